import { describe, expect, it } from 'vitest';
import { TASK_STATES, type TaskEvent, taskStep } from '../../server/src/release/state.ts';
import type { TaskState, TaskTarget } from './api/release.ts';
import { isOver, stepsFor } from './release-task-steps.ts';

const target = (state: TaskTarget['state']): TaskTarget => ({
  targetId: state,
  agent: { id: 'a', name: 'a' },
  batch: 1,
  state,
  commandId: null,
  error: null,
  startedAt: null,
  finishedAt: null,
});

describe('the steps a task page offers', () => {
  it.each([
    ['awaiting_approval', [], ['approve', 'cancel']],
    ['pending', [], ['pause', 'cancel']],
    ['running', ['running'], ['pause', 'cancel']],
    ['paused', ['succeeded'], ['resume', 'cancel']],
    ['paused', ['failed', 'pending'], ['resume', 'retry', 'cancel']],
    ['awaiting_promotion', ['succeeded', 'pending'], ['promote', 'cancel']],
    ['succeeded', ['succeeded'], []],
    ['failed', ['failed'], ['retry']],
    ['failed', ['succeeded', 'skipped'], ['retry']],
    ['cancelled', ['skipped'], []],
  ] as const)('%s with targets %j: %j', (state, targets, steps) => {
    expect(stepsFor(state, targets.map(target)).map((s) => s.step)).toEqual(steps);
  });

  it('offers no approval to the task creator, who the server refuses', () => {
    expect(stepsFor('awaiting_approval', [], true).map((s) => s.step)).toEqual(['cancel']);
  });

  // The server's task life is the authority: a step offered is one it takes.
  const events: TaskEvent[] = ['approve', 'promote', 'pause', 'resume', 'cancel', 'retry'];
  it.each([...TASK_STATES])('agrees with the server for %s', (state) => {
    const offered = stepsFor(state as TaskState, [target('failed')]).map((s) => s.step as string);
    for (const event of events) expect(offered.includes(event), event).toBe(taskStep(state, event).ok);
  });

  it.each([
    ['succeeded', true],
    ['failed', true],
    ['cancelled', true],
    ['running', false],
    ['awaiting_promotion', false],
  ] as const)('%s is over: %s', (state, over) => {
    expect(isOver(state)).toBe(over);
  });
});
