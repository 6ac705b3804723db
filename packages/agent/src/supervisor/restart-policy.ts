import type { RestartPolicy } from '../spec.ts';

/**
 * What to do when a supervised process ends: a pure function of the policy, the exit, how long
 * the process ran and the restarts made so far. The supervisor keeps the returned history and
 * hands it back at the next exit; the clock and the random source are inputs.
 */

/** How a process ended. Both null: unknown (an adopted process is not our child, its status is lost). */
export interface Exit {
  code: number | null;
  signal: string | null;
}

export interface RestartHistory {
  /** Restarts since the last stable run: the exponent of the delay. */
  streak: number;
  /** When those restarts were decided (ms since the epoch); only the ones inside `window` count. */
  times: number[];
}

export const freshHistory = (): RestartHistory => ({ streak: 0, times: [] });

export type RestartDecision =
  /** Not restarted: `policy: never`, or `on-failure` after a clean exit. */
  | { action: 'stop'; reason: string; history: RestartHistory }
  | { action: 'restart'; delayMs: number; reason: string; history: RestartHistory }
  /** Too many restarts inside the window: wait `retryAfterMs`, then start a fresh series. */
  | { action: 'fatal'; retryAfterMs: number; reason: string; history: RestartHistory };

export interface RestartInput {
  policy: RestartPolicy;
  exit: Exit;
  /** How long the process ran, ms. */
  ranMs: number;
  history: RestartHistory;
  now: number;
  /** [0, 1); the jitter's source. */
  random?: () => number;
  /** How it ended, for the reason (`could not start: …`); by default told from `exit`. */
  cause?: string;
}

export function isFailure(exit: Exit): boolean {
  return exit.code !== 0 || exit.signal !== null;
}

export function describeExit(exit: Exit): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code !== null) return `exit code ${exit.code}`;
  return 'exit status unknown';
}

/** `1500` → `1.5s`, `60000` → `60s`, `250` → `250ms`: short, for reasons read by people. */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(1))}s`;
}

/** The delay before restart number `streak + 1` of a series, before jitter: initialDelay × multiplier^streak, capped. */
export function backoff(policy: RestartPolicy, streak: number): number {
  return Math.min(policy.maxDelay, policy.initialDelay * policy.multiplier ** streak);
}

export function decideRestart(input: RestartInput): RestartDecision {
  const { policy, exit, ranMs, now } = input;
  const random = input.random ?? Math.random;
  const how = input.cause ?? describeExit(exit);
  const stable = ranMs >= policy.stableAfter;
  const history = stable ? freshHistory() : input.history;

  if (policy.policy === 'never') return { action: 'stop', reason: `${how} (restart policy never)`, history };
  if (policy.policy === 'on-failure' && !isFailure(exit))
    return { action: 'stop', reason: `${how} (restart policy on-failure)`, history };

  const recent = history.times.filter((t) => t > now - policy.window);
  if (recent.length >= policy.maxRestarts)
    return {
      action: 'fatal',
      retryAfterMs: policy.fatalCooldown,
      reason:
        `${recent.length} restart${recent.length === 1 ? '' : 's'} in ${shortDuration(policy.window)}, then ${how}; ` +
        `trying again in ${shortDuration(policy.fatalCooldown)}`,
      history: freshHistory(),
    };

  const base = backoff(policy, history.streak);
  const delayMs = Math.round(base + base * policy.jitter * random());
  return {
    action: 'restart',
    delayMs,
    reason: `${how}; restarting in ${shortDuration(delayMs)}`,
    history: { streak: history.streak + 1, times: [...recent, now] },
  };
}
