/**
 * The life of a file task as one pure function: the runner and the routes ask here whether a
 * step is allowed and what it changes, so a refused step carries the reason the API answers
 * with (409) and every path through the table is tested in one place.
 */
export const TASK_STATES = ['pending', 'processing', 'done', 'failed', 'retrying', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export type TaskEvent =
  /** A runner takes the task for an attempt. */
  | { type: 'claim' }
  | { type: 'succeed' }
  /** The attempt failed; `retryable` is the action's word on whether another one may pass. */
  | { type: 'fail'; retryable: boolean }
  /** A person cancels. */
  | { type: 'cancel' }
  /** The attempt stopped because a cancel was requested while it ran. */
  | { type: 'aborted' }
  /** A person asks for one more attempt of a task that ended. */
  | { type: 'retry' };
export const TASK_EVENTS: readonly TaskEvent['type'][] = [
  'claim',
  'succeed',
  'fail',
  'cancel',
  'aborted',
  'retry',
];

export interface TaskFacts {
  state: TaskState;
  attempts: number;
  maxAttempts: number;
  cancelRequested: boolean;
}

export type TaskStep =
  | {
      ok: true;
      state: TaskState;
      attempts: number;
      maxAttempts: number;
      cancelRequested: boolean;
      /** When set, the next attempt is due this long from now. */
      delayMs?: number;
    }
  | { ok: false; reason: string };

/** Back-off before attempt n+1 after n failed ones: 5 s doubling, at most 5 min. */
export function retryDelayMs(failedAttempts: number, baseMs = 5_000, capMs = 300_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

const refuse = (reason: string): TaskStep => ({ ok: false, reason });

export function taskStep(t: TaskFacts, event: TaskEvent): TaskStep {
  const keep = {
    state: t.state,
    attempts: t.attempts,
    maxAttempts: t.maxAttempts,
    cancelRequested: t.cancelRequested,
  };
  switch (event.type) {
    case 'claim':
      if (t.state !== 'pending' && t.state !== 'retrying')
        return refuse(`only a pending or retrying task is started; this one is ${t.state}`);
      return { ok: true, ...keep, state: 'processing', attempts: t.attempts + 1 };
    case 'succeed':
      if (t.state !== 'processing') return refuse(`only a processing task succeeds; this one is ${t.state}`);
      return { ok: true, ...keep, state: 'done' };
    case 'fail':
      if (t.state !== 'processing') return refuse(`only a processing task fails; this one is ${t.state}`);
      // A cancel asked for during the attempt wins over another attempt.
      if (event.retryable && !t.cancelRequested && t.attempts < t.maxAttempts)
        return { ok: true, ...keep, state: 'retrying', delayMs: retryDelayMs(t.attempts) };
      return { ok: true, ...keep, state: 'failed' };
    case 'cancel':
      if (t.state === 'pending' || t.state === 'retrying') return { ok: true, ...keep, state: 'cancelled' };
      if (t.state === 'processing')
        return t.cancelRequested
          ? refuse('a cancel was already requested; the running attempt is stopping')
          : { ok: true, ...keep, cancelRequested: true };
      return refuse(`the task is ${t.state} already`);
    case 'aborted':
      if (t.state !== 'processing' || !t.cancelRequested)
        return refuse('only a processing task whose cancel was requested stops as cancelled');
      return { ok: true, ...keep, state: 'cancelled' };
    case 'retry':
      // One more attempt, counted on top of the ones made: the history keeps every attempt.
      if (t.state !== 'failed' && t.state !== 'cancelled')
        return refuse(`only a failed or cancelled task is retried; this one is ${t.state}`);
      return {
        ok: true,
        state: 'retrying',
        attempts: t.attempts,
        maxAttempts: t.attempts + 1,
        cancelRequested: false,
        delayMs: 0,
      };
  }
}
