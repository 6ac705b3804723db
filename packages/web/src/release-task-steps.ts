/**
 * Which steps a deploy task offers in each state, as the server's task life allows them
 * (packages/server/src/release/state.ts): a step the server would refuse is not offered.
 */
import type { TaskState, TaskStep, TaskTarget } from './api/release.ts';

export interface StepChoice {
  step: TaskStep;
  label: string;
  past: string;
  danger?: boolean;
  /** Asked before the step is taken: it cannot be undone. */
  confirm?: string;
}

export const STEPS: readonly StepChoice[] = [
  { step: 'approve', label: 'Approve', past: 'Approved' },
  { step: 'promote', label: 'Promote', past: 'Promoted' },
  { step: 'resume', label: 'Resume', past: 'Resumed' },
  { step: 'retry', label: 'Retry failed', past: 'Retrying the failed targets' },
  { step: 'pause', label: 'Pause', past: 'Paused' },
  {
    step: 'cancel',
    label: 'Cancel task',
    past: 'Cancelled',
    danger: true,
    confirm: 'Cancel this task? Running targets are stopped, those not started are skipped.',
  },
];

const OVER: readonly TaskState[] = ['succeeded', 'failed', 'cancelled'];

interface Facts {
  anyFailed: boolean;
  /** The server refuses an approval by the task's creator. */
  mine: boolean;
}

function allowed(step: TaskStep, state: TaskState, { anyFailed, mine }: Facts): boolean {
  switch (step) {
    case 'approve':
      return state === 'awaiting_approval' && !mine;
    case 'promote':
      return state === 'awaiting_promotion';
    case 'resume':
      return state === 'paused';
    // The server retries a paused task too, but one paused by hand has no failure to run again.
    case 'retry':
      return state === 'failed' || (state === 'paused' && anyFailed);
    case 'pause':
      return state === 'pending' || state === 'running';
    case 'cancel':
      return !OVER.includes(state);
  }
}

/** `mine`: the person looking created the task. */
export function stepsFor(state: TaskState, targets: readonly TaskTarget[] = [], mine = false): StepChoice[] {
  const anyFailed = targets.some((t) => t.state === 'failed' || t.state === 'skipped');
  return STEPS.filter((s) => allowed(s.step, state, { anyFailed, mine }));
}

export const isOver = (state: TaskState): boolean => OVER.includes(state);

export const TASK_STATE_COLORS: Record<TaskState, string> = {
  awaiting_approval: 'gold',
  pending: 'default',
  running: 'blue',
  paused: 'orange',
  awaiting_promotion: 'purple',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'default',
};

export const TARGET_STATE_COLORS: Record<TaskTarget['state'], string> = {
  pending: 'default',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  skipped: 'default',
};
