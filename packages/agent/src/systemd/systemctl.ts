import { execFile } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { ServiceState, ServiceStatus } from '../spec.ts';
import { type SystemdMode, unitName } from './unit.ts';

/**
 * `systemctl [--user] …` run with execFile (no shell), and the pure readers of what it prints:
 * `show` output, time stamps, time spans, and the mapping of a unit's state to ours.
 * The child gets TZ=UTC so `show` prints time stamps as `Tue 2025-05-13 10:22:31 UTC` on every
 * systemd version, whatever the host's zone.
 */

export interface SystemctlOptions {
  /** The systemctl binary (or a stand-in for tests). Default `systemctl` on PATH. */
  binary?: string;
  /** `user` adds `--user`. Default `system`. */
  mode?: SystemdMode;
  /** Added to the agent's environment for the child. */
  env?: Record<string, string | undefined>;
  /** Per call; default 60 s. */
  timeoutMs?: number;
}

export class SystemctlError extends Error {
  constructor(
    readonly args: readonly string[],
    /** Null when systemctl did not run or was killed (timeout). */
    readonly exitCode: number | null,
    /** What systemctl printed on stderr, trimmed. */
    readonly stderr: string,
    message: string,
  ) {
    super(message);
    this.name = 'SystemctlError';
  }

  /** The unit is unknown to the manager: exit 5 (start/stop/restart) or "not loaded" (kill, reset-failed). */
  get unitMissing(): boolean {
    return this.exitCode === 5 || /Unit \S+ not (found|loaded)\./.test(this.stderr);
  }
}

/** What `status` asks of `systemctl show`; properties an older systemd does not know are left out by it. */
export const SHOW_PROPERTIES = [
  'LoadState',
  'ActiveState',
  'SubState',
  'Result',
  'Restart',
  'MainPID',
  'NRestarts',
  'ExecMainCode',
  'ExecMainStatus',
  'ExecMainStartTimestamp',
  'ExecMainExitTimestamp',
  'StateChangeTimestamp',
  'InactiveEnterTimestamp',
  'RestartUSec',
  'RestartUSecNext',
] as const;

export class Systemctl {
  readonly binary: string;
  readonly mode: SystemdMode;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;

  constructor(opts: SystemctlOptions = {}) {
    this.binary = opts.binary ?? 'systemctl';
    this.mode = opts.mode ?? 'system';
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, TZ: 'UTC' };
    // `systemctl --user` finds the user manager through XDG_RUNTIME_DIR, which a service manager
    // does not always set for the agent.
    if (this.mode === 'user' && !env.XDG_RUNTIME_DIR && typeof process.getuid === 'function')
      env.XDG_RUNTIME_DIR = `/run/user/${process.getuid()}`;
    this.env = env;
  }

  /** Runs systemctl with these arguments (after `--user` in user mode); rejects with a SystemctlError. */
  run(
    args: readonly string[],
    opts: { timeoutMs?: number } = {},
  ): Promise<{ stdout: string; stderr: string }> {
    const argv = this.mode === 'user' ? ['--user', ...args] : [...args];
    const shown = `${this.binary} ${argv.join(' ')}`;
    return new Promise((resolveRun, reject) => {
      execFile(
        this.binary,
        argv,
        { env: this.env, timeout: opts.timeoutMs ?? this.timeoutMs, maxBuffer: 4 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (!err) return resolveRun({ stdout, stderr });
          const e = err as NodeJS.ErrnoException & {
            code?: number | string;
            killed?: boolean;
            signal?: string;
          };
          const text = String(stderr ?? '').trim();
          if (e.code === 'ENOENT')
            return reject(
              new SystemctlError(
                argv,
                null,
                text,
                `${shown}: ${this.binary} not found; is systemd installed?`,
              ),
            );
          if (typeof e.code !== 'number')
            return reject(
              new SystemctlError(
                argv,
                null,
                text,
                `${shown}: ${e.killed ? `no answer within ${opts.timeoutMs ?? this.timeoutMs} ms` : (e.signal ?? e.message)}`,
              ),
            );
          reject(
            new SystemctlError(
              argv,
              e.code,
              text,
              `${shown} failed (exit ${e.code}): ${text || 'no message'}`,
            ),
          );
        },
      );
    });
  }

  /** The major version, from the first line `systemd 252 (252.39-1~deb12u2)`. */
  async version(): Promise<number> {
    const { stdout } = await this.run(['--version']);
    return parseSystemdVersion(stdout);
  }

  async daemonReload(): Promise<void> {
    await this.run(['daemon-reload']);
  }

  /** Links the units into their [Install] target; the caller reloads once afterwards. */
  async enable(units: readonly string[]): Promise<void> {
    if (units.length > 0) await this.run(['enable', '--no-reload', ...units]);
  }

  async disable(units: readonly string[]): Promise<void> {
    if (units.length > 0) await this.run(['disable', '--no-reload', ...units]);
  }

  async start(unit: string, opts?: { timeoutMs?: number }): Promise<void> {
    await this.run(['start', unit], opts);
  }

  async stop(unit: string, opts?: { timeoutMs?: number }): Promise<void> {
    await this.run(['stop', unit], opts);
  }

  async restart(unit: string, opts?: { timeoutMs?: number }): Promise<void> {
    await this.run(['restart', unit], opts);
  }

  /** Sends a signal to every process of the unit (the whole control group). */
  async kill(unit: string, signal: string): Promise<void> {
    await this.run(['kill', `--signal=${signal}`, unit]);
  }

  /** Clears the failed state, the start-limit counter and NRestarts. */
  async resetFailed(unit: string): Promise<void> {
    await this.run(['reset-failed', unit]);
  }

  async show(unit: string, properties: readonly string[] = SHOW_PROPERTIES): Promise<Record<string, string>> {
    const { stdout } = await this.run(['show', `--property=${properties.join(',')}`, unit]);
    return parseShow(stdout);
  }
}

export function parseSystemdVersion(text: string): number {
  const m = /^systemd (\d+)/m.exec(text);
  if (!m) throw new Error(`cannot read a systemd version from: ${text.slice(0, 80)}`);
  return Number(m[1]);
}

/** `Key=Value` lines; the value is everything after the first `=`. */
export function parseShow(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * A `show` time stamp as epoch milliseconds: `Tue 2025-05-13 10:22:31 UTC` (TZ=UTC), with
 * optional microseconds, `@1747131751` (--timestamp=unix), or undefined for empty and `n/a`.
 */
export function parseTimestamp(value: string | undefined): number | undefined {
  if (!value || value === 'n/a' || value === '0') return undefined;
  const unix = /^@(\d+(?:\.\d+)?)$/.exec(value);
  if (unix) return Math.round(Number(unix[1]) * 1000);
  const m = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?(?: (UTC|GMT|[+-]\d{2}:?\d{2}))?$/.exec(value);
  if (!m) return undefined;
  const frac = m[3] ? `.${m[3].slice(1, 4).padEnd(3, '0')}` : '';
  const zone = !m[4] || m[4] === 'UTC' || m[4] === 'GMT' ? 'Z' : m[4];
  const ms = Date.parse(`${m[1]}T${m[2]}${frac}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

const SPAN_UNITS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 2_629_800_000,
  y: 31_557_600_000,
};

/** A systemd time span as milliseconds: `100ms`, `1min 30s`, `2.500000s`; undefined for `infinity`. */
export function parseTimespan(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'infinity') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  let total = 0;
  let seen = false;
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)\s*(us|µs|ms|min|s|h|d|w|M|y)(?![a-z])/g)) {
    total += Number(m[1]) * SPAN_UNITS[m[2]!]!;
    seen = true;
  }
  return seen ? Math.round(total) : undefined;
}

/** What `systemctl show` says about one unit, typed. */
export interface UnitSnapshot {
  loadState: string;
  activeState: string;
  subState: string;
  result: string;
  /** `no`, `on-failure`, `always`… as the loaded unit says. */
  restart: string;
  mainPid: number;
  nRestarts: number;
  /** 1 exited, 2 killed, 3 dumped core (CLD_* of waitid), 0 none. */
  execMainCode: number;
  /** The exit status, or the signal number when killed. */
  execMainStatus: number;
  execMainStartAt?: number;
  execMainExitAt?: number;
  stateChangeAt?: number;
  inactiveEnterAt?: number;
  restartDelay?: number;
  restartDelayNext?: number;
}

export function snapshotOf(props: Record<string, string>): UnitSnapshot {
  const int = (k: string) => {
    const n = Number.parseInt(props[k] ?? '', 10);
    return Number.isFinite(n) ? n : 0;
  };
  return {
    loadState: props.LoadState ?? 'loaded',
    activeState: props.ActiveState ?? 'inactive',
    subState: props.SubState ?? 'dead',
    result: props.Result ?? 'success',
    restart: props.Restart ?? 'no',
    mainPid: int('MainPID'),
    nRestarts: int('NRestarts'),
    execMainCode: int('ExecMainCode'),
    execMainStatus: int('ExecMainStatus'),
    execMainStartAt: parseTimestamp(props.ExecMainStartTimestamp),
    execMainExitAt: parseTimestamp(props.ExecMainExitTimestamp),
    stateChangeAt: parseTimestamp(props.StateChangeTimestamp),
    inactiveEnterAt: parseTimestamp(props.InactiveEnterTimestamp),
    restartDelay: parseTimespan(props.RestartUSec),
    restartDelayNext: parseTimespan(props.RestartUSecNext),
  };
}

/**
 * systemd gave up on the unit and will not start it again by itself: it is `failed` after the
 * start limit was hit, or after a failure that its Restart= setting would have restarted.
 * A failed unit with Restart=no simply ended (our `never` policy): that is not FATAL.
 */
export function isGaveUp(s: UnitSnapshot): boolean {
  return s.activeState === 'failed' && (s.result === 'start-limit-hit' || s.restart !== 'no');
}

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(osConstants.signals).map(([name, n]) => [n as number, name] as const),
);

function lastExitOf(s: UnitSnapshot): ServiceStatus['lastExit'] {
  if (s.execMainExitAt === undefined || s.execMainCode === 0) return undefined;
  const killed = s.execMainCode === 2 || s.execMainCode === 3;
  return {
    code: killed ? null : s.execMainStatus,
    signal: killed ? (SIGNAL_NAMES.get(s.execMainStatus) ?? `signal ${s.execMainStatus}`) : null,
    at: new Date(s.execMainExitAt).toISOString(),
  };
}

function exitText(e: NonNullable<ServiceStatus['lastExit']>): string {
  return e.signal ? `killed by ${e.signal}` : `exited with status ${e.code}`;
}

export interface StatusContext {
  /** The state letter of MainPID in /proc/<pid>/stat, when it could be read (`T`: stopped by a signal). */
  processState?: string;
  /** The backend sent SIGSTOP and no SIGCONT since; used when the process state is unknown. */
  pausedHint?: boolean;
  /** Restarts counted before the backend last reset NRestarts (stableAfter emulation). */
  restartsOffset?: number;
  /** How long FATAL lasts before the agent starts the unit again (ms). */
  fatalCooldown?: number;
}

/**
 * The state of a unit in our words:
 * active/running → running (paused when its main process is stopped by SIGSTOP);
 * activating/auto-restart (and auto-restart-queued) → backoff; other activating → starting;
 * deactivating → stopping; failed after start-limit-hit, or failed although Restart= would
 * have restarted → fatal; any other failed (Restart=no) and inactive → stopped.
 */
export function toServiceStatus(name: string, s: UnitSnapshot, ctx: StatusContext = {}): ServiceStatus {
  const restarts = s.nRestarts + (ctx.restartsOffset ?? 0);
  const lastExit = lastExitOf(s);
  const base = { name, backend: 'systemd' as const, restarts, ...(lastExit ? { lastExit } : {}) };
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const status = (state: ServiceState, extra: Partial<ServiceStatus> = {}): ServiceStatus => {
    const out: ServiceStatus = { ...base, state, ...extra };
    for (const k of Object.keys(out) as (keyof ServiceStatus)[]) if (out[k] === undefined) delete out[k];
    return out;
  };

  if (s.loadState === 'not-found' && s.activeState === 'inactive')
    return status('stopped', { reason: `unit ${unitName(name)} is not installed` });

  const withProcess = () => ({
    ...(s.mainPid > 0 ? { pid: s.mainPid } : {}),
    startedAt: iso(s.execMainStartAt),
  });

  switch (s.activeState) {
    case 'active':
    case 'reloading':
    case 'refreshing': {
      const stopped = ctx.processState === undefined ? ctx.pausedHint === true : ctx.processState === 'T';
      return stopped
        ? status('paused', { ...withProcess(), reason: 'stopped by SIGSTOP' })
        : status('running', withProcess());
    }
    case 'activating': {
      if (s.subState === 'auto-restart' || s.subState === 'auto-restart-queued') {
        const delay = s.restartDelayNext ?? s.restartDelay;
        const since = s.stateChangeAt ?? s.inactiveEnterAt;
        return status('backoff', {
          reason: `${lastExit ? exitText(lastExit) : `result ${s.result}`}; systemd restarts it (restart ${s.nRestarts + 1})`,
          nextStartAt: since !== undefined && delay !== undefined ? iso(since + delay) : undefined,
        });
      }
      return status('starting', withProcess());
    }
    case 'deactivating':
      return status('stopping', withProcess());
    case 'failed': {
      if (isGaveUp(s)) {
        const since = s.stateChangeAt ?? s.inactiveEnterAt;
        return status('fatal', {
          reason:
            s.result === 'start-limit-hit'
              ? `start limit hit: systemd gave up after ${s.nRestarts} restarts${lastExit ? `; last ${exitText(lastExit)}` : ''}`
              : `systemd gave up: result ${s.result}${lastExit ? `, ${exitText(lastExit)}` : ''}`,
          nextStartAt:
            since !== undefined && ctx.fatalCooldown !== undefined
              ? iso(since + ctx.fatalCooldown)
              : undefined,
        });
      }
      return status('stopped', {
        reason: `failed: result ${s.result}${lastExit ? `, ${exitText(lastExit)}` : ''}`,
      });
    }
    default:
      return status('stopped', s.result !== 'success' ? { reason: `result ${s.result}` } : {});
  }
}
