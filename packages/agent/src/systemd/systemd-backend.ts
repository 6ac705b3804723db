import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { AgentError } from '../errors.ts';
import { readStat } from '../proc/stat.ts';
import type { Service, ServiceStatus } from '../spec.ts';
import { planRecovery, type Recovery } from './recovery.ts';
import {
  Systemctl,
  SystemctlError,
  type SystemctlOptions,
  snapshotOf,
  toServiceStatus,
} from './systemctl.ts';
import {
  GENERATED_MARKER,
  generateUnit,
  type SystemdMode,
  serviceOfUnit,
  UnitError,
  type UnitFile,
  type UnitIssue,
  type UnitOptions,
  unitName,
} from './unit.ts';

/**
 * Services with `backend: systemd` become units of a systemd manager (the user's with
 * `systemctl --user`, or the system's), and systemd supervises them: the agent writes the unit
 * files, asks systemctl to start, stop and signal them, and reads their state back with
 * `systemctl show`. The two policy parts systemd cannot express (fatalCooldown, stableAfter) are
 * carried out by `tick`, which the supervisor calls now and then.
 */

export interface SystemdBackendOptions {
  /** Default: `system` when the agent runs as root, else `user`. */
  mode?: SystemdMode;
  /** Default `~/.config/systemd/user` ($XDG_CONFIG_HOME) in user mode, `/etc/systemd/system` in system mode. */
  unitDir?: string;
  /** The agent's dataDir: service output goes to `<dataDir>/logs/<name>.log`. */
  dataDir: string;
  /** Relative paths of the config are taken from here. Default the agent's working directory. */
  baseDir?: string;
  /** The systemctl binary, extra environment and timeout; the mode is this backend's. */
  systemctl?: Omit<SystemctlOptions, 'mode'>;
  /** Default: asked of `systemctl --version` once. */
  systemdVersion?: number;
  /** Where /proc is; the paused state is read from the main process's stat. */
  procRoot?: string;
  resolveCommand?: UnitOptions['resolveCommand'];
  searchPath?: string;
  now?: () => number;
}

/** Service names by what apply did to their unit. */
export interface ApplyResult {
  added: string[];
  /** Rewritten; systemd uses the new file from the next (re)start of the service on. */
  changed: string[];
  /** Stopped, disabled and deleted. */
  removed: string[];
  unchanged: string[];
}

export interface RecoveryTaken {
  name: string;
  recovery: Recovery;
  /** Set when carrying the recovery out failed. */
  error?: string;
}

export function defaultMode(): SystemdMode {
  return typeof process.getuid === 'function' && process.getuid() === 0 ? 'system' : 'user';
}

export function defaultUnitDir(mode: SystemdMode, env: NodeJS.ProcessEnv = process.env): string {
  if (mode === 'system') return '/etc/systemd/system';
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd', 'user');
}

export class SystemdBackend {
  readonly mode: SystemdMode;
  readonly unitDir: string;
  readonly systemctl: Systemctl;
  private readonly opts: SystemdBackendOptions;
  private readonly now: () => number;
  private readonly services = new Map<string, Service>();
  private readonly paused = new Set<string>();
  private readonly restartsOffset = new Map<string, number>();
  private version: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: SystemdBackendOptions) {
    this.opts = opts;
    this.mode = opts.mode ?? defaultMode();
    this.unitDir = opts.unitDir ?? defaultUnitDir(this.mode);
    this.systemctl = new Systemctl({ ...opts.systemctl, mode: this.mode });
    this.version = opts.systemdVersion;
    this.now = opts.now ?? Date.now;
  }

  async systemdVersion(): Promise<number> {
    this.version ??= await this.systemctl.version();
    return this.version;
  }

  /**
   * Makes the unit directory match the services with `backend: systemd` (others are ignored,
   * and a unit of a service that moved to another backend is removed): writes new and changed
   * unit files, stops, disables and deletes the units of services no longer listed, enables new
   * units with autostart, then runs one daemon-reload. Nothing is run when nothing changed.
   * Starting and restarting are left to the caller. Throws a UnitError listing every field that
   * cannot be mapped, before touching anything.
   */
  apply(all: readonly Service[]): Promise<ApplyResult> {
    return this.serial(async () => {
      const wanted = all.filter((s) => s.backend === 'systemd');
      const backends = new Map(all.map((s) => [s.name, s.backend] as const));
      const version = await this.systemdVersion();
      const units = new Map<string, { service: Service; unit: UnitFile }>();
      const issues: UnitIssue[] = [];
      for (const service of wanted) {
        try {
          const unit = generateUnit(service, {
            mode: this.mode,
            systemdVersion: version,
            dataDir: this.opts.dataDir,
            baseDir: this.opts.baseDir,
            searchPath: this.opts.searchPath,
            resolveCommand: this.opts.resolveCommand,
            backendOf: (name) => backends.get(name),
          });
          units.set(service.name, { service, unit });
        } catch (err) {
          if (!(err instanceof UnitError)) throw err;
          issues.push(...err.issues.filter((i) => !issues.some((j) => j.path === i.path)));
        }
      }
      if (issues.length > 0) throw new UnitError(issues);

      const installed = await this.installedUnits();
      const result: ApplyResult = { added: [], changed: [], removed: [], unchanged: [] };
      for (const name of installed.keys()) if (!units.has(name)) result.removed.push(name);
      for (const [name, { unit }] of units) {
        const old = installed.get(name);
        if (old === undefined) result.added.push(name);
        else if (old !== unit.text) result.changed.push(name);
        else result.unchanged.push(name);
      }

      this.services.clear();
      for (const [name, { service }] of units) this.services.set(name, service);
      for (const name of result.removed) {
        this.paused.delete(name);
        this.restartsOffset.delete(name);
      }
      const written = [...result.added, ...result.changed];
      if (written.length === 0 && result.removed.length === 0) return result;

      for (const name of result.removed) {
        await this.ignoreMissing(this.systemctl.stop(unitName(name), { timeoutMs: 150_000 }));
        await this.clearFailed(name);
      }
      await this.ignoreMissing(this.systemctl.disable(result.removed.map(unitName)));
      for (const name of result.removed) await rm(join(this.unitDir, unitName(name)), { force: true });

      await mkdir(this.unitDir, { recursive: true });
      for (const name of written) {
        const { unit } = units.get(name)!;
        if (unit.logFile) await mkdir(resolve(unit.logFile, '..'), { recursive: true });
        await writeAtomic(join(this.unitDir, unit.name), unit.text);
      }
      const enable = written.filter((n) => units.get(n)!.service.autostart);
      const disable = result.changed.filter((n) => !units.get(n)!.service.autostart);
      await this.systemctl.enable(enable.map(unitName));
      await this.systemctl.disable(disable.map(unitName));
      await this.systemctl.daemonReload();
      return result;
    });
  }

  /** Starts the unit; an operator start also clears a FATAL state and the restart counters first. */
  start(name: string): Promise<void> {
    return this.serial(async () => {
      const unit = unitName(this.service(name).name);
      await this.resetCounters(name);
      this.paused.delete(name);
      await this.systemctl.start(unit);
    });
  }

  /**
   * Stops the unit. A process that answers the stop signal with a non-zero exit, or outlives
   * TimeoutStopSec=, leaves the unit `failed`; that is cleared, so a stop asked for is never
   * taken for a crash (and never restarted by the FATAL cool-down).
   */
  stop(name: string): Promise<void> {
    return this.serial(async () => {
      const service = this.service(name);
      // systemd sends SIGCONT after the stop signal, so a paused service stops too.
      await this.systemctl.stop(unitName(name), { timeoutMs: service.stopTimeout + 30_000 });
      this.paused.delete(name);
      await this.clearFailed(name);
    });
  }

  restart(name: string): Promise<void> {
    return this.serial(async () => {
      const service = this.service(name);
      await this.resetCounters(name);
      this.paused.delete(name);
      await this.systemctl.restart(unitName(name), { timeoutMs: service.stopTimeout + 60_000 });
    });
  }

  /** SIGSTOP to every process of the unit (`systemctl kill` signals the whole control group). */
  pause(name: string): Promise<void> {
    return this.serial(async () => {
      this.service(name);
      await this.systemctl.kill(unitName(name), 'SIGSTOP');
      this.paused.add(name);
    });
  }

  resume(name: string): Promise<void> {
    return this.serial(async () => {
      this.service(name);
      await this.systemctl.kill(unitName(name), 'SIGCONT');
      this.paused.delete(name);
    });
  }

  async status(name: string): Promise<ServiceStatus> {
    const service = this.service(name);
    const snap = snapshotOf(await this.systemctl.show(unitName(name)));
    const proc = snap.mainPid > 0 ? readStat(snap.mainPid, this.opts.procRoot) : undefined;
    return toServiceStatus(name, snap, {
      processState: proc?.state,
      pausedHint: this.paused.has(name),
      restartsOffset: this.restartsOffset.get(name),
      fatalCooldown: service.restart.fatalCooldown,
    });
  }

  /** The status of every applied service, in the order of the config. */
  async list(): Promise<ServiceStatus[]> {
    const out: ServiceStatus[] = [];
    for (const name of this.services.keys()) out.push(await this.status(name));
    return out;
  }

  /**
   * Carries out fatalCooldown and stableAfter (see recovery.ts) for every service; call it every
   * few seconds. Returns what was decided for each service that needed something.
   */
  tick(now = this.now()): Promise<RecoveryTaken[]> {
    return this.serial(async () => {
      const taken: RecoveryTaken[] = [];
      for (const [name, service] of this.services) {
        const unit = unitName(name);
        let recovery: Recovery;
        try {
          recovery = planRecovery(snapshotOf(await this.systemctl.show(unit)), service.restart, now);
        } catch (err) {
          taken.push({ name, recovery: { action: 'none' }, error: errorText(err) });
          continue;
        }
        if (recovery.action === 'none') continue;
        try {
          if (recovery.action === 'reset-counters') await this.resetCounters(name);
          else if (recovery.action === 'restart') {
            await this.resetCounters(name);
            this.paused.delete(name);
            await this.systemctl.start(unit);
          }
          taken.push({ name, recovery });
        } catch (err) {
          taken.push({ name, recovery, error: errorText(err) });
        }
      }
      return taken;
    });
  }

  private service(name: string): Service {
    const s = this.services.get(name);
    if (!s)
      throw new AgentError(
        'not-found',
        `no service ${name} under the systemd backend; is it in the config with backend: systemd?`,
      );
    return s;
  }

  /** reset-failed, keeping the restarts seen so far in our count. A unit systemd has unloaded has nothing to reset. */
  private async resetCounters(name: string): Promise<void> {
    const unit = unitName(name);
    let before = 0;
    try {
      before = snapshotOf(await this.systemctl.show(unit, ['NRestarts'])).nRestarts;
    } catch {
      // counting is best effort
    }
    await this.ignoreMissing(this.systemctl.resetFailed(unit));
    if (before > 0) this.restartsOffset.set(name, (this.restartsOffset.get(name) ?? 0) + before);
  }

  /** After a stop: a unit left `failed` by its own exit status is reset to inactive. */
  private async clearFailed(name: string): Promise<void> {
    const unit = unitName(name);
    const { ActiveState } = await this.systemctl.show(unit, ['ActiveState']);
    if (ActiveState === 'failed') await this.ignoreMissing(this.systemctl.resetFailed(unit));
  }

  /** Our unit files in the unit directory (marked as generated), by service name. */
  private async installedUnits(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(this.unitDir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    for (const e of entries) {
      const name = serviceOfUnit(e.name);
      if (!name || !e.isFile()) continue;
      const text = await readFile(join(this.unitDir, e.name), 'utf8');
      if (text.startsWith(GENERATED_MARKER)) out.set(name, text);
    }
    return out;
  }

  private async ignoreMissing(p: Promise<void>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (err instanceof SystemctlError && (err.unitMissing || /does not exist/.test(err.stderr))) return;
      throw err;
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, file);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
