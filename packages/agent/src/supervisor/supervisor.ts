import { AgentError } from '../errors.ts';
import { isSameProcess } from '../proc/stat.ts';
import type { Service, ServiceStatus } from '../spec.ts';
import {
  adoptProcess,
  removePidFile,
  type ServiceProcess,
  type SpawnOptions,
  signalService,
  spawnService,
  stopTree,
  strayDescendants,
  writePidFile,
} from './direct.ts';
import { assertGraph, dependenciesOf, startLayers, stopLayers } from './graph.ts';
import { type ProcEntry, ProcTable, snapshot } from './process-tree.ts';
import {
  decideRestart,
  describeExit,
  type Exit,
  freshHistory,
  type RestartHistory,
  shortDuration,
} from './restart-policy.ts';
import {
  fullSpecHash,
  type KnownProcess,
  loadState,
  quarantineState,
  type SavedService,
  type StoppedService,
  saveState,
  specHash,
} from './state-file.ts';

/**
 * The orchestrator: one state machine per service (stopped, waiting, starting, running,
 * backoff, fatal, paused, stopping), dependency order on start and stop, the restart policy on
 * every exit, hot reload by `apply`, and re-adoption of processes an earlier agent left running.
 *
 * Every operation on a service runs in that service's queue, one at a time; an operation may
 * wait for the queues of the services that depend on it (a stop stops them first), never for
 * the queues of the services it depends on, so the queues cannot deadlock on an acyclic graph.
 */

export interface SupervisorLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SupervisorOptions {
  /** PID files in `run/`, service logs in `logs/`, `state.json`. */
  dataDir: string;
  log?: SupervisorLog;
  /** The jitter's random source, [0, 1). */
  random?: () => number;
  /** How often an adopted process (not our child) is looked for in /proc; default 500 ms. */
  pollInterval?: number;
  /** How long processes have to vanish after SIGKILL before a stop reports them; default 5 s. */
  killWait?: number;
  /**
   * How often the running services' descendants outside their process groups are looked for
   * in /proc and remembered, so they can be stopped after their parent died; default 5 s.
   */
  treeInterval?: number;
  /** Passed to the direct backend (tests give their own /etc/passwd). */
  spawn?: Omit<SpawnOptions, 'dataDir'>;
}

/** What `apply` did, by service name. */
export interface ApplyResult {
  /** New services started (or waiting for a dependency). */
  started: string[];
  /** New services not started (`autostart: false`). */
  added: string[];
  /** Processes left running by an earlier agent, taken over. */
  adopted: string[];
  /** Restarted because their command, args, cwd, env, envFile, user or group changed. */
  restarted: string[];
  /** Changed in a way applied without a restart (restart policy, stop settings, health, logs, dependsOn). */
  updated: string[];
  /** Removed from the list, and stopped. */
  stopped: string[];
  /** Also the services an earlier agent left stopped on purpose, kept stopped. */
  unchanged: string[];
}

export class SupervisorError extends AgentError {
  constructor(code: 'not-found' | 'conflict' | 'unsupported' | 'closed', message: string) {
    super(code, message);
    this.name = 'SupervisorError';
  }
}

export type ChangeListener = (status: ServiceStatus) => void;

interface Unit {
  spec: Service;
  /** specHash: what shapes the process. */
  hash: string;
  /** The whole spec. */
  full: string;
  status: ServiceStatus;
  /** The operator (or the config) wants it up; a policy stop or `stop()` clears it. */
  desired: boolean;
  proc?: ServiceProcess;
  history: RestartHistory;
  timer?: NodeJS.Timeout;
  queue: Promise<unknown>;
  /** A start is already queued for it by a dependency becoming ready. */
  startQueued?: boolean;
  /** Descendants of the running process seen outside its process group. */
  known: KnownProcess[];
}

/** The promise's value, or undefined after `ms`; the timer does not outlive the answer. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const stableKey = (k: readonly KnownProcess[]) => k.map((p) => `${p.pid}:${p.startTime}`).join(',');
const noLog: SupervisorLog = { debug() {}, info() {}, warn() {}, error() {} };
const iso = (ms: number) => new Date(ms).toISOString();
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class Supervisor {
  private readonly units = new Map<string, Unit>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly log: SupervisorLog;
  private readonly random: () => number;
  private readonly pollInterval: number;
  private readonly killWait: number;
  /** Entries of state.json not yet adopted or cleaned up by the first `apply`. */
  private saved: Record<string, SavedService>;
  /** Services state.json says were stopped on purpose, until the first `apply` takes them. */
  private savedStopped: Record<string, StoppedService>;
  /** What `close` records as stopped on purpose: the services stopped before it stopped the rest. */
  private closingStopped?: Record<string, StoppedService>;
  private readonly treeTimer: NodeJS.Timeout;
  private closed = false;
  private detached = false;
  private applying: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: SupervisorOptions) {
    this.log = opts.log ?? noLog;
    this.random = opts.random ?? Math.random;
    this.pollInterval = opts.pollInterval ?? 500;
    this.killWait = opts.killWait ?? 5000;
    const loaded = loadState(opts.dataDir);
    if (loaded.problem)
      this.log.warn(
        { problem: loaded.problem, copy: quarantineState(opts.dataDir) },
        'state file ignored: nothing will be adopted',
      );
    this.saved = loaded.services;
    this.savedStopped = loaded.stopped;
    this.treeTimer = setInterval(() => this.trackTrees(), opts.treeInterval ?? 5000);
    this.treeTimer.unref();
  }

  // ---------------------------------------------------------------------------------------
  // Public API

  /**
   * Makes the supervised set equal to `services`: stops the removed ones, restarts the ones
   * whose process-shaping settings changed (dependents follow them down and back up), starts
   * the new ones in dependency order, leaves the rest running. The first call also adopts the
   * processes an earlier agent left running. A graph with a cycle or an unknown dependency is
   * refused before anything changes.
   */
  async apply(services: readonly Service[]): Promise<ApplyResult> {
    this.assertOpen();
    const other = services.find((s) => s.backend !== 'direct');
    if (other)
      throw new SupervisorError(
        'unsupported',
        `${other.name}: the supervisor runs direct services; ${other.backend} ones go to their own backend`,
      );
    assertGraph(services);
    const run = this.applying.then(() => this.doApply(services));
    this.applying = run.catch(() => {});
    return run;
  }

  /** Starts the service, and first its dependencies that are stopped. A fresh restart series. */
  async start(name: string): Promise<ServiceStatus> {
    const u = this.unitNamed(name);
    for (const dep of dependenciesOf(this.specs(), name)) {
      const d = this.units.get(dep);
      if (d && !d.desired) await this.startUnit(d);
    }
    return this.startUnit(u);
  }

  /** Stops the service (its dependents first; they wait for it to run again). */
  async stop(name: string): Promise<ServiceStatus> {
    const u = this.unitNamed(name);
    u.desired = false;
    await this.run(u, () => this.doStop(u, 'stopped'));
    return this.copy(u.status);
  }

  /** Stops and starts the service; its dependents follow it down and back up. A fresh restart series. */
  async restart(name: string): Promise<ServiceStatus> {
    const u = this.unitNamed(name);
    this.assertOpen();
    u.desired = true;
    await this.run(u, async () => {
      await this.doStop(u, 'stopped');
      u.history = freshHistory();
      await this.doStart(u, 'manual');
    });
    return this.copy(u.status);
  }

  /**
   * A health check found the service critical: its process is stopped and the restart policy
   * brings it back, counted like a crash, so a service that stays unhealthy backs off and ends
   * FATAL instead of being restarted forever.
   */
  async recover(name: string, why: string): Promise<ServiceStatus> {
    const u = this.unitNamed(name);
    this.assertOpen();
    await this.run(u, async () => {
      if (!u.proc || u.status.state !== 'running') return;
      const startedAt = u.proc.startedAtMs;
      await this.doStop(u, 'stopped');
      await this.afterExit(
        u,
        { code: null, signal: u.spec.stopSignal },
        startedAt,
        `health check critical: ${why}`,
      );
    });
    return this.copy(u.status);
  }

  /** SIGSTOP to the service's processes; it stays `paused` (no restarts, no health) until resumed. */
  async pause(name: string): Promise<ServiceStatus> {
    const u = this.unitNamed(name);
    await this.run(u, async () => {
      if (u.status.state !== 'running' || !u.proc)
        throw new SupervisorError(
          'conflict',
          `${name} is ${u.status.state}; only a running service can be paused`,
        );
      signalService(u.proc.pid, u.proc.pgid, 'SIGSTOP');
      this.set(u, { state: 'paused', reason: 'paused by request' });
      this.save();
    });
    return this.copy(u.status);
  }

  /** SIGCONT to the service's processes. */
  async resume(name: string): Promise<ServiceStatus> {
    const u = this.unitNamed(name);
    await this.run(u, async () => {
      if (u.status.state !== 'paused' || !u.proc)
        throw new SupervisorError(
          'conflict',
          `${name} is ${u.status.state}; only a paused service can be resumed`,
        );
      signalService(u.proc.pid, u.proc.pgid, 'SIGCONT');
      this.set(u, { state: 'running', reason: undefined });
      this.save();
    });
    return this.copy(u.status);
  }

  list(): ServiceStatus[] {
    return [...this.units.values()].map((u) => this.copy(u.status));
  }

  get(name: string): ServiceStatus | undefined {
    const u = this.units.get(name);
    return u && this.copy(u.status);
  }

  /** Called with a copy of a service's status on every change; returns the unsubscribe. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops every service, dependents first, and records that nothing runs. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.treeTimer);
    await this.applying;
    // The next agent starts what autostarts, but not what was stopped on purpose before.
    this.closingStopped = this.stoppedOnPurpose();
    for (const u of this.units.values()) {
      u.desired = false;
      this.clearTimer(u);
    }
    for (const layer of stopLayers(this.specs()))
      await Promise.all(
        layer.map((name) => {
          const u = this.units.get(name)!;
          return this.run(u, () => this.doStop(u, 'stopped')).catch((err) =>
            this.log.error({ service: name, err: message(err) }, 'stop failed'),
          );
        }),
      );
    this.save(true);
  }

  /**
   * Leaves every process running and records it in state.json for the next agent to adopt
   * (an agent restart or upgrade). The supervisor is unusable afterwards.
   */
  async detach(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.treeTimer);
    for (const u of this.units.values()) this.clearTimer(u);
    await this.applying;
    await Promise.allSettled([...this.units.values()].map((u) => u.queue));
    this.save(true);
    this.detached = true;
    for (const u of this.units.values()) {
      this.clearTimer(u);
      u.proc?.release();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Apply

  private async doApply(services: readonly Service[]): Promise<ApplyResult> {
    const result: ApplyResult = {
      started: [],
      added: [],
      adopted: [],
      restarted: [],
      updated: [],
      stopped: [],
      unchanged: [],
    };
    const next = new Map(services.map((s) => [s.name, s]));
    const oldSpecs = this.specs();
    const removed = new Set(oldSpecs.filter((s) => !next.has(s.name)).map((s) => s.name));
    const changed = new Set(
      oldSpecs
        .filter((s) => next.has(s.name) && specHash(next.get(s.name)!) !== specHash(s))
        .map((s) => s.name),
    );

    // 1. Stop what goes away or must restart, dependents first.
    for (const layer of stopLayers(oldSpecs)) {
      await Promise.all(
        layer
          .filter((n) => removed.has(n) || changed.has(n))
          .map(async (name) => {
            const u = this.units.get(name)!;
            if (removed.has(name)) u.desired = false;
            await this.run(u, () => this.doStop(u, 'stopped'));
          }),
      );
    }
    for (const name of removed) {
      this.units.delete(name);
      removePidFile(this.opts.dataDir, name);
      result.stopped.push(name);
    }

    // 2. Take the new specs; create, and adopt, the new services.
    const toStart = new Set<string>();
    const toRestart = new Set<string>();
    for (const spec of services) {
      const u = this.units.get(spec.name);
      if (u) {
        const full = fullSpecHash(spec);
        u.spec = spec;
        u.hash = specHash(spec);
        if (changed.has(spec.name)) {
          if (u.desired) {
            toStart.add(spec.name);
            result.restarted.push(spec.name);
          } else result.updated.push(spec.name);
        } else if (full !== u.full) result.updated.push(spec.name);
        else result.unchanged.push(spec.name);
        u.full = full;
        continue;
      }
      const unit = this.create(spec);
      const saved = this.saved[spec.name];
      delete this.saved[spec.name];
      if (saved && this.adopt(unit, saved)) {
        if (saved.specHash === unit.hash) result.adopted.push(spec.name);
        else {
          result.restarted.push(spec.name);
          toRestart.add(spec.name);
        }
        continue;
      }
      const kept = this.savedStopped[spec.name];
      delete this.savedStopped[spec.name];
      if (kept && spec.autostart) {
        // Stopped on purpose under the earlier agent: stays stopped, as a stopped unit
        // survives `systemctl daemon-reexec`.
        unit.desired = false;
        this.set(unit, { reason: kept.reason, ...(kept.lastExit ? { lastExit: kept.lastExit } : {}) });
        result.unchanged.push(spec.name);
      } else if (spec.autostart) {
        result.started.push(spec.name);
        toStart.add(spec.name);
      } else result.added.push(spec.name);
      if (saved) await this.stopStale(spec.name, saved);
    }
    this.savedStopped = {};

    // A dependency that ended while no agent ran takes its adopted dependents down, to come back
    // with it, as when it ends under the agent (dependencies first, so the hold cascades).
    const adopted = new Set(result.adopted);
    for (const layer of startLayers(services))
      for (const name of layer) {
        const u = this.units.get(name)!;
        if (!adopted.has(name) || !u.proc) continue;
        const down = u.spec.dependsOn.some((dep) => {
          const d = this.units.get(dep);
          return d && d.status.state !== 'running' && d.status.state !== 'paused';
        });
        if (down) await this.run(u, () => this.doStop(u, 'waiting'));
      }
    for (const name of adopted)
      if (this.units.get(name)!.status.state === 'waiting') {
        result.adopted.splice(result.adopted.indexOf(name), 1);
        result.restarted.push(name);
      }

    // A changed dependsOn may release a waiting service.
    for (const u of this.units.values()) this.wake(u);

    // 3. Processes of services no longer configured, left by an earlier agent.
    for (const [name, saved] of Object.entries(this.saved)) {
      if (await this.stopStale(name, saved)) result.stopped.push(name);
      delete this.saved[name];
    }

    // 4. Start in dependency layers; a dependent whose dependency did not come up waits for it.
    for (const layer of startLayers(services)) {
      await Promise.all(
        layer.map(async (name) => {
          const u = this.units.get(name)!;
          if (toRestart.has(name))
            await this.run(u, async () => {
              await this.doStop(u, 'stopped');
              await this.doStart(u, 'manual');
            });
          else if (toStart.has(name)) {
            u.desired = true;
            await this.run(u, () => this.doStart(u, 'manual'));
          }
        }),
      );
    }
    this.save();
    return result;
  }

  private create(spec: Service): Unit {
    const u: Unit = {
      spec,
      hash: specHash(spec),
      full: fullSpecHash(spec),
      status: { name: spec.name, state: 'stopped', backend: spec.backend, restarts: 0 },
      desired: spec.autostart,
      history: freshHistory(),
      queue: Promise.resolve(),
      known: [],
    };
    this.units.set(spec.name, u);
    this.set(u, {});
    return u;
  }

  /** Takes over the saved process when it is still the same process (pid and start time). */
  private adopt(u: Unit, saved: SavedService): boolean {
    const proc = adoptProcess(saved, this.pollInterval);
    if (!proc) {
      this.log.info(
        { service: u.spec.name, pid: saved.pid },
        'saved process is gone or its pid was reused: not adopted',
      );
      return false;
    }
    u.desired = true;
    u.history = saved.history;
    u.status.restarts = saved.restarts;
    u.known = saved.known ?? [];
    writePidFile(this.opts.dataDir, u.spec.name, proc.pid);
    this.attach(u, proc, saved.paused ? 'paused' : 'running', 'adopted');
    this.log.info({ service: u.spec.name, pid: proc.pid }, 'adopted');
    return true;
  }

  /** Stops a process an earlier agent left for a service that is no longer ours to run. */
  private async stopStale(name: string, saved: SavedService): Promise<boolean> {
    if (!isSameProcess(saved.pid, saved.startTime)) return false;
    this.log.info({ service: name, pid: saved.pid }, 'stopping a process left by an earlier agent');
    await stopTree({
      pid: saved.pid,
      pgid: saved.pgid,
      signal: 'SIGTERM',
      timeoutMs: 10_000,
      killWaitMs: this.killWait,
      known: saved.known ?? [],
    });
    removePidFile(this.opts.dataDir, name);
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // The state machine; every method below runs inside the service's queue.

  private async startUnit(u: Unit): Promise<ServiceStatus> {
    this.assertOpen();
    u.desired = true;
    await this.run(u, async () => {
      if (u.proc) return;
      u.history = freshHistory();
      await this.doStart(u, 'manual');
    });
    return this.copy(u.status);
  }

  private async doStart(u: Unit, cause: 'manual' | 'auto' | 'dependency'): Promise<void> {
    if (cause === 'dependency') u.startQueued = false;
    if (this.closed || !u.desired || u.proc || this.units.get(u.spec.name) !== u) return;
    this.clearTimer(u);
    const blocker = this.blocker(u);
    if (blocker) {
      this.set(u, { state: 'waiting', reason: this.waitReason(u), nextStartAt: undefined });
      return;
    }
    if (cause === 'auto') u.status.restarts++;
    this.set(u, {
      state: 'starting',
      reason: undefined,
      nextStartAt: undefined,
      pid: undefined,
      startedAt: undefined,
    });
    let proc: ServiceProcess;
    try {
      proc = await spawnService(u.spec, { ...this.opts.spawn, dataDir: this.opts.dataDir });
    } catch (err) {
      this.log.warn({ service: u.spec.name, err: message(err) }, 'could not start');
      await this.afterExit(u, { code: null, signal: null }, Date.now(), `could not start: ${message(err)}`);
      return;
    }
    this.log.info({ service: u.spec.name, pid: proc.pid }, 'started');
    this.attach(u, proc, 'running');
  }

  private attach(u: Unit, proc: ServiceProcess, state: 'running' | 'paused', reason?: string): void {
    u.proc = proc;
    this.set(u, { state, pid: proc.pid, startedAt: iso(proc.startedAtMs), reason, nextStartAt: undefined });
    this.save();
    proc.exited.then((exit) => {
      if (this.detached || u.proc !== proc) return;
      this.run(u, () => this.onExit(u, proc, exit)).catch((err) =>
        this.log.error({ service: u.spec.name, err: message(err) }, 'exit handling failed'),
      );
    });
  }

  private async onExit(u: Unit, proc: ServiceProcess, exit: Exit): Promise<void> {
    if (u.proc !== proc) return; // stopped on purpose meanwhile
    u.proc = undefined;
    proc.release();
    removePidFile(this.opts.dataDir, u.spec.name);
    this.log.warn({ service: u.spec.name, pid: proc.pid, ...exit }, 'exited');
    await this.sweep(u, proc);
    await this.afterExit(u, exit, proc.startedAtMs);
  }

  /**
   * The main process ended: what is left of its process group, and the descendants seen
   * outside it, are stopped with the stop sequence (systemd's KillMode=control-group), so a
   * run leaves nothing behind and the next one does not start beside it.
   */
  private async sweep(u: Unit, proc: ServiceProcess): Promise<void> {
    const r = await stopTree({
      pid: proc.pid,
      pgid: proc.pgid,
      signal: u.spec.stopSignal as NodeJS.Signals,
      timeoutMs: u.spec.stopTimeout,
      killWaitMs: this.killWait,
      known: u.known,
    });
    u.known = [];
    if (r.strays.length || r.killed || r.survivors.length)
      this.log.info(
        { service: u.spec.name, pid: proc.pid, strays: r.strays, killed: r.killed, survivors: r.survivors },
        'stopped what the ended process left running',
      );
  }

  /** The restart policy, after the process ended or could not start. */
  private async afterExit(u: Unit, exit: Exit, startedAt: number, cause?: string): Promise<void> {
    const now = Date.now();
    const lastExit = { code: exit.code, signal: exit.signal, at: iso(now) };
    const gone = { pid: undefined, startedAt: undefined, lastExit };
    if (this.closed || !u.desired) {
      this.set(u, { ...gone, state: 'stopped', reason: cause ?? describeExit(exit), nextStartAt: undefined });
    } else {
      const d = decideRestart({
        policy: u.spec.restart,
        exit,
        ranMs: now - startedAt,
        history: u.history,
        now,
        random: this.random,
        cause,
      });
      u.history = d.history;
      if (d.action === 'stop') {
        u.desired = false;
        this.set(u, { ...gone, state: 'stopped', reason: d.reason, nextStartAt: undefined });
      } else {
        const delay = d.action === 'restart' ? d.delayMs : d.retryAfterMs;
        this.set(u, {
          ...gone,
          state: d.action === 'restart' ? 'backoff' : 'fatal',
          reason: d.reason,
          nextStartAt: iso(now + delay),
        });
        if (d.action === 'fatal') this.log.error({ service: u.spec.name, reason: d.reason }, 'FATAL');
        u.timer = setTimeout(() => {
          u.timer = undefined;
          this.run(u, () => this.doStart(u, 'auto')).catch((err) =>
            this.log.error({ service: u.spec.name, err: message(err) }, 'restart failed'),
          );
        }, delay);
      }
    }
    this.save();
    await this.holdDependents(u);
  }

  /**
   * Stops the process tree. `after` is the state to end in: `stopped`, or `waiting` when a
   * dependency went down and this service will come back with it.
   */
  private async doStop(u: Unit, after: 'stopped' | 'waiting'): Promise<void> {
    this.clearTimer(u);
    const proc = u.proc;
    if (!proc) {
      if (after === 'waiting' && u.desired)
        this.set(u, { state: 'waiting', reason: this.waitReason(u), nextStartAt: undefined });
      else if (u.status.state !== 'stopped' || u.status.nextStartAt)
        this.set(u, { state: 'stopped', reason: 'stopped by request', nextStartAt: undefined });
      return;
    }
    this.set(u, { state: 'stopping', reason: undefined, nextStartAt: undefined });
    await this.holdDependents(u);
    const { stopSignal, stopTimeout } = u.spec;
    this.log.info({ service: u.spec.name, pid: proc.pid, signal: stopSignal }, 'stopping');
    const r = await stopTree({
      pid: proc.pid,
      pgid: proc.pgid,
      signal: stopSignal as NodeJS.Signals,
      timeoutMs: stopTimeout,
      killWaitMs: this.killWait,
      known: u.known,
    });
    u.known = [];
    // Our own child is reaped by node a moment after it vanished from the group.
    const exit = proc.adopted || r.survivors.includes(proc.pid) ? undefined : await within(proc.exited, 1000);
    u.proc = undefined;
    proc.release();
    removePidFile(this.opts.dataDir, u.spec.name);
    const notes = [
      r.killed && `killed with SIGKILL after ${shortDuration(stopTimeout)}`,
      r.strays.length > 0 && `${r.strays.length} descendant(s) outside the process group stopped`,
      r.survivors.length > 0 && `pids ${r.survivors.join(', ')} still alive after SIGKILL`,
    ].filter(Boolean);
    if (r.survivors.length)
      this.log.error({ service: u.spec.name, survivors: r.survivors }, 'stop incomplete');
    this.set(u, {
      state: after === 'waiting' && u.desired ? 'waiting' : 'stopped',
      pid: undefined,
      startedAt: undefined,
      lastExit: exit ? { code: exit.code, signal: exit.signal, at: iso(Date.now()) } : u.status.lastExit,
      reason:
        after === 'waiting' && u.desired ? this.waitReason(u) : notes.join('; ') || 'stopped by request',
    });
    this.save();
  }

  /** Takes down the services that depend on `u` while it is not running; they wait for it. */
  private async holdDependents(u: Unit): Promise<void> {
    const name = u.spec.name;
    const dependents = [...this.units.values()].filter((d) => d.spec.dependsOn.includes(name) && d.desired);
    await Promise.all(dependents.map((d) => this.run(d, () => this.doStop(d, 'waiting'))));
  }

  /** The first dependency that is not running. */
  private blocker(u: Unit): Unit | undefined {
    for (const dep of u.spec.dependsOn) {
      const d = this.units.get(dep);
      if (d && d.status.state !== 'running') return d;
    }
    return undefined;
  }

  private waitReason(u: Unit): string {
    const b = this.blocker(u);
    return b ? `dependency ${b.spec.name} is ${b.status.state}` : 'dependencies are running';
  }

  /** A waiting service starts as soon as all its dependencies run; meanwhile its reason follows theirs. */
  private wake(u: Unit): void {
    if (this.closed || u.status.state !== 'waiting' || !u.desired) return;
    if (this.blocker(u)) {
      const reason = this.waitReason(u);
      if (u.status.reason !== reason) this.set(u, { reason });
      return;
    }
    if (u.startQueued) return;
    u.startQueued = true;
    this.run(u, () => this.doStart(u, 'dependency')).catch((err) =>
      this.log.error({ service: u.spec.name, err: message(err) }, 'start failed'),
    );
  }

  // ---------------------------------------------------------------------------------------
  // Plumbing

  private set(u: Unit, patch: Partial<ServiceStatus>): void {
    const s = u.status as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete s[k];
      else s[k] = v;
    }
    const copy = this.copy(u.status);
    for (const l of this.listeners) {
      try {
        l(copy);
      } catch (err) {
        this.log.error({ service: u.spec.name, err: message(err) }, 'change listener failed');
      }
    }
    if (this.units.get(u.spec.name) !== u) return;
    if (u.status.state === 'waiting') this.wake(u);
    for (const d of this.units.values()) if (d.spec.dependsOn.includes(u.spec.name)) this.wake(d);
  }

  /** Services not running because they were stopped by request or their policy said so. */
  private stoppedOnPurpose(): Record<string, StoppedService> {
    const out: Record<string, StoppedService> = { ...this.savedStopped };
    for (const [name, u] of this.units)
      if (!u.desired && !u.proc && u.status.state === 'stopped' && u.spec.autostart)
        out[name] = {
          reason: u.status.reason ?? 'stopped by request',
          ...(u.status.lastExit ? { lastExit: u.status.lastExit } : {}),
        };
    return out;
  }

  private save(force = false): void {
    if (this.detached || (this.closed && !force)) return;
    const services: Record<string, SavedService> = { ...this.saved };
    for (const [name, u] of this.units)
      if (u.proc)
        services[name] = {
          pid: u.proc.pid,
          pgid: u.proc.pgid,
          startTime: u.proc.startTime,
          specHash: u.hash,
          restarts: u.status.restarts,
          history: u.history,
          ...(u.status.state === 'paused' ? { paused: true } : {}),
          ...(u.known.length ? { known: u.known } : {}),
        };
    try {
      saveState(this.opts.dataDir, services, this.closingStopped ?? this.stoppedOnPurpose());
    } catch (err) {
      this.log.error({ err: message(err) }, 'could not write the state file');
    }
  }

  /**
   * The tree pass on every process of /proc that someone else has just read (the metrics
   * sampler reads them all each interval): the timer's next pass comes a full interval after
   * this one, so a pass still comes at least every `treeInterval` and the two readers of
   * /proc share one read whenever their times meet.
   */
  trackTreesIn(processes: Iterable<ProcEntry>): void {
    if (this.closed) return;
    this.trackTrees(processes);
    this.treeTimer.refresh();
  }

  /** One look at /proc for every running service: remembers its descendants outside its group. */
  private trackTrees(processes?: Iterable<ProcEntry>): void {
    const running = [...this.units.values()].filter((u) => u.proc);
    if (!running.length) return;
    // Indexed once for all services: per service, a walk over every process made this pass cost
    // more than the rest of the agent's steady work together (bench:agent, 50 services).
    const table = new ProcTable(processes ?? snapshot());
    let changed = false;
    for (const u of running) {
      const proc = u.proc!;
      const known = strayDescendants(table, proc.pid, proc.pgid, u.known);
      if (stableKey(known) !== stableKey(u.known)) changed = true;
      u.known = known;
    }
    if (changed) this.save();
  }

  private run<T>(u: Unit, fn: () => Promise<T>): Promise<T> {
    const next = u.queue.then(
      () => fn(),
      () => fn(),
    );
    u.queue = next.catch(() => {});
    return next;
  }

  private clearTimer(u: Unit): void {
    if (u.timer) clearTimeout(u.timer);
    u.timer = undefined;
  }

  private specs(): Service[] {
    return [...this.units.values()].map((u) => u.spec);
  }

  private copy(s: ServiceStatus): ServiceStatus {
    return { ...s, ...(s.lastExit ? { lastExit: { ...s.lastExit } } : {}) };
  }

  private assertOpen(): void {
    if (this.closed) throw new SupervisorError('closed', 'the supervisor is closed');
  }

  /** A service by name, or a SupervisorError. */
  private unitNamed(name: string): Unit {
    this.assertOpen();
    const u = this.units.get(name);
    if (!u) throw new SupervisorError('not-found', `no service named ${name}`);
    return u;
  }
}
