import type { WindowState } from './window.ts';

/**
 * The life of a deploy task and of each of its targets, as pure functions: the routes and the
 * runner ask here whether a step is allowed and what follows from a target's outcome.
 */
export const TASK_STATES = [
  'awaiting_approval',
  'pending',
  'running',
  'paused',
  'awaiting_promotion',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TARGET_STATES = ['pending', 'running', 'succeeded', 'failed', 'skipped'] as const;
export type TargetState = (typeof TARGET_STATES)[number];

export type FailureStrategy = 'continue' | 'pause' | 'abort';

export type TaskEvent = 'approve' | 'start' | 'pause' | 'resume' | 'cancel' | 'retry' | 'promote';

export type Step<S> = { ok: true; state: S } | { ok: false; reason: string };

const OVER: readonly TaskState[] = ['succeeded', 'failed', 'cancelled'];

/** A person's (or the scheduler's) step on a task. */
export function taskStep(state: TaskState, event: TaskEvent): Step<TaskState> {
  // Retry runs the failed targets again: of a task that ended failed, or one paused at a failure.
  if (event === 'retry')
    return state === 'failed' || state === 'paused'
      ? { ok: true, state: 'running' }
      : { ok: false, reason: `only a failed or paused task is retried; this one is ${state}` };
  if (OVER.includes(state)) return { ok: false, reason: `the task is ${state} already` };
  switch (event) {
    case 'approve':
      return state === 'awaiting_approval'
        ? { ok: true, state: 'pending' }
        : { ok: false, reason: `the task is ${state}, it awaits no approval` };
    case 'start':
      return state === 'pending'
        ? { ok: true, state: 'running' }
        : { ok: false, reason: `only a pending task starts; this one is ${state}` };
    case 'pause':
      return state === 'running' || state === 'pending'
        ? { ok: true, state: 'paused' }
        : { ok: false, reason: `only a pending or running task pauses; this one is ${state}` };
    case 'resume':
      return state === 'paused'
        ? { ok: true, state: 'running' }
        : { ok: false, reason: `only a paused task resumes; this one is ${state}` };
    case 'promote':
      return state === 'awaiting_promotion'
        ? { ok: true, state: 'running' }
        : {
            ok: false,
            reason: `only a canary that finished its first batch is promoted; this task is ${state}`,
          };
    case 'cancel':
      return { ok: true, state: 'cancelled' };
  }
}

/** A target's step: dispatched (its command is sent), or its outcome arrived. */
export function targetStep(
  state: TargetState,
  event: 'dispatch' | 'succeeded' | 'failed' | 'skip',
): Step<TargetState> {
  if (event === 'dispatch')
    return state === 'pending'
      ? { ok: true, state: 'running' }
      : { ok: false, reason: `the target is ${state}` };
  if (event === 'skip')
    return state === 'pending'
      ? { ok: true, state: 'skipped' }
      : { ok: false, reason: `the target is ${state}` };
  return state === 'running'
    ? { ok: true, state: event }
    : { ok: false, reason: `an outcome is only taken for a running target; this one is ${state}` };
}

/**
 * What the task becomes once its targets are as given: a failure pauses or aborts it when the
 * failure strategy says so; with every target done it succeeded if none failed. A task resumed
 * after a pause goes on past the failures it paused for: only `newFailure` (a target failed
 * since the task's last step) pauses it again. `skipPending`: an abort leaves the rest out.
 */
export function settle(
  task: TaskState,
  failure: FailureStrategy,
  targets: readonly TargetState[],
  newFailure = targets.includes('failed'),
): { state: TaskState; skipPending: boolean } {
  if (task !== 'running') return { state: task, skipPending: false };
  const failed = targets.includes('failed');
  const open = targets.some((t) => t === 'pending' || t === 'running');
  if (failed && failure === 'abort') return { state: 'failed', skipPending: true };
  if (!open) return { state: failed ? 'failed' : 'succeeded', skipPending: false };
  if (newFailure && failure === 'pause') return { state: 'paused', skipPending: false };
  return { state: 'running', skipPending: false };
}

/**
 * Why the runner may not send the next batch now (null: it may). A canary's later batches wait
 * for a person to promote it; no batch starts outside the environment's release window (one
 * already running goes on to its end).
 */
export function batchHold(h: {
  canary: boolean;
  batch: number;
  promoted: boolean;
  window: WindowState;
}): 'promotion' | 'window' | null {
  if (h.canary && h.batch > 0 && !h.promoted) return 'promotion';
  return h.window.open ? null : 'window';
}
