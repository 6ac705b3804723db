import type { Check, HealthState, Service, ServiceState } from '../spec.ts';
import type { CheckContext, Checker, CheckResult } from './checkers/checker.ts';
import { checkerFor } from './checkers/index.ts';
import { runBounded, timedOutText } from './exec.ts';
import { CheckHistory, DEFAULT_HISTORY, type HistorySnapshot, type ResultEntry } from './history.ts';
import { boundText, describeError } from './output.ts';
import {
  bookAfterResult,
  bookAtEnd,
  bookAtStart,
  emptyBook,
  type RecoveryBook,
  recoveryDue,
} from './recovery.ts';
import { type CheckState, initialState, step, suspend, type Transition } from './state.ts';

/** What the monitor needs to know of a service from the supervisor (a ServiceStatus fits). */
export interface ServiceRuntime {
  state?: ServiceState;
  pid?: number;
  /** When the current process started: ISO time or ms since the epoch. */
  startedAt?: string | number;
}

export interface TransitionEvent {
  service: string;
  check: string;
  from: HealthState;
  to: HealthState;
  /** The output of the result that caused the transition. */
  output: string;
  /** UTC ISO time. */
  at: string;
}

export interface RecoveryEvent {
  service: string;
  check: string;
  action: 'restart' | 'script';
  /** 1 for the first attempt since the check was last passing. */
  attempt: number;
  ok: boolean;
  output: string;
  at: string;
}

export interface HealthLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MonitorOptions {
  /** The supervisor's view of a service; without it checks get no pid and no grace. */
  runtime?: (service: string) => ServiceRuntime | undefined;
  /**
   * The supervisor's restart, resolving when the service was started again. The supervisor
   * applies its own backoff; the monitor never calls it again while a call is pending.
   */
  restart?: (service: string) => Promise<unknown>;
  onTransition?: (event: TransitionEvent) => void;
  onRecovery?: (event: RecoveryEvent) => void;
  /** Which checker runs a check type (tests and future kinds); default the registered list. */
  checkerFor?: (type: Check['type']) => Checker;
  /** Results and transitions kept per check (default 100 each). */
  historySize?: number;
  /**
   * The first run of each check waits a random part of this (default 2 s, at most the
   * interval), rounded to steps of 250 ms.
   */
  firstRunSpreadMs?: number;
  /** Timeout of an `onCritical` script (default 60 s). */
  recoveryTimeoutMs?: number;
  log?: HealthLog;
  random?: () => number;
  now?: () => number;
}

export interface CheckStatusView {
  service: string;
  check: string;
  type: Check['type'];
  state: HealthState;
  /** When the state last changed. */
  since?: string;
  lastStatus?: ResultEntry['status'];
  lastOutput?: string;
  lastRunAt?: string;
  lastMs?: number;
  consecutivePasses: number;
  consecutiveFailures: number;
  recovery: {
    action: Check['onCritical']['action'];
    attempts: number;
    running: boolean;
    lastAt?: string;
    lastOk?: boolean;
    lastOutput?: string;
  };
}

/** Services whose checks do not run: someone stopped or paused them on purpose. */
const NOT_CHECKED: ReadonlySet<ServiceState> = new Set(['stopped', 'stopping', 'paused']);
/** A restart is only asked for a service the supervisor has running (not in backoff, FATAL, …). */
const RESTARTABLE: ReadonlySet<ServiceState> = new Set(['running']);
/**
 * The first run's random offset is a whole number of these: checks in one slot (and the same
 * interval) run together, one wakeup of the agent for all of them instead of one each; 50
 * checks spread over 2 s take 9 slots (bench:agent).
 */
const FIRST_RUN_SLOT_MS = 250;
/** Extra time a checker gets past its own timeout before the monitor gives up on it. */
const WATCHDOG_SLACK_MS = 1000;

const silent: HealthLog = { debug() {}, info() {}, warn() {}, error() {} };

function startedMs(at: string | number | undefined): number | undefined {
  if (at === undefined) return undefined;
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return Number.isFinite(ms) ? ms : undefined;
}

const keyOf = (service: string, check: string) => `${service}\u0000${check}`;

interface Deps extends MonitorOptions {
  log: HealthLog;
  now: () => number;
}

/** One check of one service: its loop, state, history and recovery book. */
class CheckRunner {
  state: CheckState;
  book: RecoveryBook = emptyBook();
  readonly history: CheckHistory;
  lastRecovery?: { ok: boolean; output: string };
  private timer?: NodeJS.Timeout;
  /** When the next run is due, performance.now() ms. */
  private due = 0;
  private inflight?: Promise<void>;
  /** The controller of the checker run in progress, aborted by close(). */
  private running?: AbortController;
  private readonly recoveries = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private closed = false;
  private warnedNoRestart = false;

  constructor(
    readonly service: string,
    readonly check: Check,
    readonly specKey: string,
    private readonly deps: Deps,
  ) {
    this.state = initialState();
    this.history = new CheckHistory(deps.historySize ?? DEFAULT_HISTORY, deps.historySize ?? DEFAULT_HISTORY);
  }

  start(dueAt: number): void {
    this.due = dueAt;
    this.timer = setTimeout(() => void this.loop(), Math.max(0, dueAt - performance.now()));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.stop.abort();
    this.running?.abort();
    await Promise.allSettled([this.inflight, ...this.recoveries]);
  }

  /**
   * One run, then the next one `interval` after this one was due (or at once if it overran).
   * From when it was due rather than when its timer fired, so that checks due together stay
   * together run after run, and wake the agent once between them.
   */
  private async loop(): Promise<void> {
    if (this.closed) return;
    this.inflight = this.runOnce().catch((err) =>
      this.deps.log.error({ service: this.service, check: this.check.name, err }, 'health check run failed'),
    );
    await this.inflight;
    this.inflight = undefined;
    if (this.closed) return;
    const now = performance.now();
    this.due = Math.max(this.due + this.check.interval, now);
    this.timer = setTimeout(() => void this.loop(), this.due - now);
  }

  private async runOnce(): Promise<void> {
    const rt = this.deps.runtime?.(this.service);
    if (rt?.state && NOT_CHECKED.has(rt.state)) {
      // Stopped on purpose: the check no longer knows, and an alert it raised is resolved.
      const out = suspend(this.state, this.deps.now());
      this.state = out.state;
      this.book = { ...emptyBook(), running: this.book.running };
      if (out.transition) this.transitioned(out.transition, `not checked: the service is ${rt.state}`);
      return;
    }
    const result = await this.runChecker({ ...(rt?.pid === undefined ? {} : { pid: rt.pid }) });
    if (this.closed) return;
    const now = this.deps.now();
    const outcome = step(
      this.state,
      { status: result.status, now, startedAt: startedMs(rt?.startedAt) },
      this.check,
    );
    this.state = outcome.state;
    this.book = bookAfterResult(this.book, result.status, outcome.counted);
    const at = new Date(now).toISOString();
    this.history.results.push({ at, ...result, counted: outcome.counted });
    if (outcome.transition) this.transitioned(outcome.transition, result.output);
    if (recoveryDue(this.book, this.state, this.check, now)) this.recover(rt, result.output, now);
  }

  private transitioned(transition: Transition, output: string): void {
    const { from, to } = transition;
    const at = new Date(transition.at).toISOString();
    this.history.transitions.push({ at, from, to, output });
    const ids = { service: this.service, check: this.check.name };
    this.deps.log.info({ ...ids, from, to }, `health ${from} → ${to}`);
    try {
      this.deps.onTransition?.({ ...ids, from, to, output, at });
    } catch (err) {
      this.deps.log.error({ err }, 'onTransition hook failed');
    }
  }

  /** The checker, bounded by a watchdog in case a checker ignores its own timeout. */
  private async runChecker(ctx: CheckContext): Promise<CheckResult> {
    // One controller per run, aborted by the watchdog or by close() (through `running`):
    // AbortSignal.any over the runner's long-lived stop signal cost more per run than a
    // process check itself (bench:agent, 50 services).
    const run = new AbortController();
    this.running = run;
    let watchdog: NodeJS.Timeout | undefined;
    const limit = this.check.timeout + WATCHDOG_SLACK_MS;
    const gaveUp = new Promise<CheckResult>((resolve) => {
      watchdog = setTimeout(() => {
        run.abort();
        resolve({ status: 'critical', output: `check did not finish: ${timedOutText(limit)}`, ms: limit });
      }, limit);
    });
    try {
      const checker = (this.deps.checkerFor ?? checkerFor)(this.check.type);
      const result = await Promise.race([checker.run(this.check, ctx, run.signal), gaveUp]);
      return { ...result, output: boundText(result.output) };
    } catch (err) {
      return { status: 'critical', output: `check failed: ${describeError(err)}`, ms: 0 };
    } finally {
      clearTimeout(watchdog);
      this.running = undefined;
    }
  }

  private recover(rt: ServiceRuntime | undefined, output: string, now: number): void {
    const action = this.check.onCritical.action;
    const ids = { service: this.service, check: this.check.name };
    if (action === 'none') return;
    if (action === 'restart') {
      if (!this.deps.restart) {
        if (!this.warnedNoRestart)
          this.deps.log.warn(ids, 'health check is critical but the monitor cannot restart');
        this.warnedNoRestart = true;
        return;
      }
      // Not running means the supervisor is already restarting it (backoff) or gave up (FATAL).
      if (rt?.state !== undefined && !RESTARTABLE.has(rt.state)) {
        this.deps.log.debug({ ...ids, state: rt.state }, 'restart skipped: the service is not running');
        return;
      }
    }
    this.book = bookAtStart(this.book, now);
    const attempt = this.book.attempts;
    this.deps.log.warn({ ...ids, action, attempt }, 'health check critical: recovering');
    const work: Promise<{ ok: boolean; output: string }> =
      action === 'restart'
        ? Promise.resolve()
            .then(() => this.deps.restart!(this.service))
            .then(() => ({ ok: true, output: 'restart requested' }))
        : this.runScript(output);
    const done = work
      .catch((err: unknown) => ({ ok: false, output: describeError(err) }))
      .then((r) => {
        this.book = bookAtEnd(this.book);
        this.lastRecovery = r;
        const level = r.ok ? 'info' : 'error';
        this.deps.log[level]({ ...ids, action, attempt, ok: r.ok, output: r.output }, 'health recovery done');
        try {
          this.deps.onRecovery?.({
            ...ids,
            action,
            attempt,
            ok: r.ok,
            output: r.output,
            at: new Date().toISOString(),
          });
        } catch (err) {
          this.deps.log.error({ err }, 'onRecovery hook failed');
        }
      });
    // close() waits for scripts (it aborts them), not for the supervisor's restart.
    if (action === 'script') {
      this.recoveries.add(done);
      void done.finally(() => this.recoveries.delete(done));
    }
  }

  private async runScript(output: string): Promise<{ ok: boolean; output: string }> {
    const script = this.check.onCritical.script;
    if (!script) return { ok: false, output: 'no onCritical.script' };
    const timeoutMs = this.deps.recoveryTimeoutMs ?? 60_000;
    const r = await runBounded(script.command, script.args, {
      timeoutMs,
      signal: this.stop.signal,
      env: { OPSFLEET_SERVICE: this.service, OPSFLEET_CHECK: this.check.name, OPSFLEET_OUTPUT: output },
    });
    if (r.error !== undefined) return { ok: false, output: `cannot run ${script.command}: ${r.error}` };
    if (r.timedOut) return { ok: false, output: `${timedOutText(timeoutMs)}\n${r.output}`.trimEnd() };
    const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
    return { ok: r.code === 0, output: r.output ? `${how}\n${r.output}` : how };
  }

  view(): CheckStatusView {
    const last = this.history.results.last();
    return {
      service: this.service,
      check: this.check.name,
      type: this.check.type,
      state: this.state.status,
      ...(this.state.since === undefined ? {} : { since: new Date(this.state.since).toISOString() }),
      ...(last
        ? { lastStatus: last.status, lastOutput: last.output, lastRunAt: last.at, lastMs: last.ms }
        : {}),
      consecutivePasses: this.state.consecutivePasses,
      consecutiveFailures: this.state.consecutiveFailures,
      recovery: {
        action: this.check.onCritical.action,
        attempts: this.book.attempts,
        running: this.book.running,
        ...(this.book.lastAt === undefined ? {} : { lastAt: new Date(this.book.lastAt).toISOString() }),
        ...(this.lastRecovery ? { lastOk: this.lastRecovery.ok, lastOutput: this.lastRecovery.output } : {}),
      },
    };
  }
}

/**
 * Runs every service's health checks on their intervals — one run of a check at a time, the
 * first run of each spread by a random offset — feeds each result to the state machine, keeps
 * the history, reports transitions and runs the recovery action of a check that turns critical.
 */
export class HealthMonitor {
  private runners = new Map<string, CheckRunner>();
  private readonly deps: Deps;
  private closed = false;

  constructor(opts: MonitorOptions = {}) {
    this.deps = { ...opts, log: opts.log ?? silent, now: opts.now ?? Date.now };
  }

  /**
   * The services to check, replacing the previous list. A check whose service name, check
   * name and settings are unchanged keeps running with its state and history; a changed one
   * starts over; a removed one stops.
   */
  setServices(services: readonly Pick<Service, 'name' | 'health'>[]): void {
    if (this.closed) return;
    // Refused whole, before anything starts or stops: the schema does not forbid duplicates.
    const seen = new Set<string>();
    for (const service of services)
      for (const check of service.health) {
        const key = keyOf(service.name, check.name);
        if (seen.has(key)) throw new Error(`service ${service.name} has two checks named ${check.name}`);
        seen.add(key);
      }
    const next = new Map<string, CheckRunner>();
    const spread = this.deps.firstRunSpreadMs ?? 2000;
    const random = this.deps.random ?? Math.random;
    const now = performance.now();
    for (const service of services)
      for (const check of service.health) {
        const key = keyOf(service.name, check.name);
        const specKey = JSON.stringify(check);
        const old = this.runners.get(key);
        if (old && old.specKey === specKey) {
          next.set(key, old);
          continue;
        }
        const runner = new CheckRunner(service.name, check, specKey, this.deps);
        const limit = Math.min(spread, check.interval);
        const slot = Math.round((random() * limit) / FIRST_RUN_SLOT_MS) * FIRST_RUN_SLOT_MS;
        runner.start(now + Math.min(slot, limit));
        next.set(key, runner);
      }
    for (const [key, runner] of this.runners) if (next.get(key) !== runner) void runner.close();
    this.runners = next;
  }

  /** Every check's state, or one service's, in configuration order. */
  status(service?: string): CheckStatusView[] {
    return [...this.runners.values()]
      .filter((r) => service === undefined || r.service === service)
      .map((r) => r.view());
  }

  /** A check's last results and transitions, oldest first; undefined for an unknown check. */
  history(service: string, check: string): HistorySnapshot | undefined {
    return this.runners.get(keyOf(service, check))?.history.snapshot();
  }

  /** Stops every check, cancelling runs and recovery scripts in flight. */
  async close(): Promise<void> {
    this.closed = true;
    const runners = [...this.runners.values()];
    this.runners.clear();
    await Promise.all(runners.map((r) => r.close()));
  }
}
