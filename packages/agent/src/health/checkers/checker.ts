import type { Check } from '../../spec.ts';

/** What one run of a check says. `unknown` is never a result: only a check that has not yet decided. */
export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface CheckResult {
  status: CheckStatus;
  /** What the check saw, at most MAX_OUTPUT bytes (plus a truncation note). */
  output: string;
  /** How long the run took, milliseconds. */
  ms: number;
}

/** What a checker may know about the service it checks. */
export interface CheckContext {
  /** The service's current main process, undefined when it has none. */
  pid?: number;
}

/**
 * One kind of health check. `run` never throws: every failure, including its own timeout
 * (`check.timeout`), is a `critical` result whose output says why. `signal` aborts a run when
 * the monitor stops or replaces the check; the checker then releases what it holds (sockets,
 * child processes) and may return anything.
 */
export interface Checker {
  readonly type: Check['type'];
  run(check: Check, ctx: CheckContext, signal: AbortSignal): Promise<CheckResult>;
}

/** Milliseconds since `started` (a `performance.now()` reading), rounded to 0.1 ms. */
export function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
