import { describe, expect, it } from 'vitest';
import {
  batchHold,
  settle,
  type TargetState,
  type TaskEvent,
  type TaskState,
  targetStep,
  taskStep,
} from './state.ts';

describe('taskStep', () => {
  it.each<[TaskState, TaskEvent, TaskState | null]>([
    ['awaiting_approval', 'approve', 'pending'],
    ['pending', 'approve', null],
    ['awaiting_approval', 'start', null],
    ['pending', 'start', 'running'],
    ['running', 'pause', 'paused'],
    ['pending', 'pause', 'paused'],
    ['paused', 'pause', null],
    ['paused', 'resume', 'running'],
    ['running', 'resume', null],
    ['awaiting_approval', 'cancel', 'cancelled'],
    ['running', 'cancel', 'cancelled'],
    ['paused', 'cancel', 'cancelled'],
    ['succeeded', 'cancel', null],
    ['failed', 'resume', null],
    ['cancelled', 'approve', null],
    ['failed', 'retry', 'running'],
    ['paused', 'retry', 'running'],
    ['succeeded', 'retry', null],
    ['cancelled', 'retry', null],
    ['running', 'retry', null],
    ['awaiting_promotion', 'promote', 'running'],
    ['running', 'promote', null],
    ['paused', 'promote', null],
    ['awaiting_promotion', 'cancel', 'cancelled'],
    ['awaiting_promotion', 'pause', null],
    ['awaiting_promotion', 'resume', null],
  ])('%s + %s → %s', (from, event, to) => {
    const got = taskStep(from, event);
    if (to) expect(got).toEqual({ ok: true, state: to });
    else expect(got.ok).toBe(false);
  });
});

describe('targetStep', () => {
  it.each<[TargetState, 'dispatch' | 'succeeded' | 'failed' | 'skip', TargetState | null]>([
    ['pending', 'dispatch', 'running'],
    ['running', 'dispatch', null],
    ['running', 'succeeded', 'succeeded'],
    ['running', 'failed', 'failed'],
    ['pending', 'succeeded', null],
    ['succeeded', 'failed', null],
    ['pending', 'skip', 'skipped'],
    ['running', 'skip', null],
  ])('%s + %s → %s', (from, event, to) => {
    const got = targetStep(from, event);
    if (to) expect(got).toEqual({ ok: true, state: to });
    else expect(got.ok).toBe(false);
  });
});

describe('settle', () => {
  it.each<[string, TaskState, 'continue' | 'pause' | 'abort', TargetState[], TaskState, boolean]>([
    ['all succeeded', 'running', 'continue', ['succeeded', 'succeeded'], 'succeeded', false],
    ['work left', 'running', 'continue', ['succeeded', 'pending'], 'running', false],
    ['continue goes on past a failure', 'running', 'continue', ['failed', 'pending'], 'running', false],
    ['continue ends failed', 'running', 'continue', ['failed', 'succeeded'], 'failed', false],
    ['pause stops at a failure', 'running', 'pause', ['failed', 'pending'], 'paused', false],
    ['pause with nothing left ends failed', 'running', 'pause', ['failed', 'succeeded'], 'failed', false],
    ['abort fails and skips the rest', 'running', 'abort', ['failed', 'pending', 'running'], 'failed', true],
    ['a paused task stays paused', 'paused', 'continue', ['succeeded', 'succeeded'], 'paused', false],
    ['a cancelled task stays cancelled', 'cancelled', 'abort', ['failed'], 'cancelled', false],
  ])('%s', (_name, task, failure, targets, state, skipPending) => {
    expect(settle(task, failure, targets)).toEqual({ state, skipPending });
  });

  it('goes on past the failure a resumed task paused for, and pauses at the next one', () => {
    expect(settle('running', 'pause', ['failed', 'pending'], false)).toEqual({
      state: 'running',
      skipPending: false,
    });
    expect(settle('running', 'pause', ['failed', 'failed', 'pending'], true)).toEqual({
      state: 'paused',
      skipPending: false,
    });
  });
});

describe('batchHold', () => {
  const open = { open: true } as const;
  const closed = { open: false, opensAt: null } as const;
  it.each<[string, Parameters<typeof batchHold>[0], 'promotion' | 'window' | null]>([
    ['a first batch inside the window goes', { canary: true, batch: 0, promoted: false, window: open }, null],
    [
      'a canary waits for promotion before its second batch',
      { canary: true, batch: 1, promoted: false, window: open },
      'promotion',
    ],
    ['a promoted canary goes on', { canary: true, batch: 1, promoted: true, window: open }, null],
    ['rolling batches need no promotion', { canary: false, batch: 3, promoted: false, window: open }, null],
    [
      'no batch starts outside the window',
      { canary: false, batch: 0, promoted: false, window: closed },
      'window',
    ],
    [
      'promotion is asked for first, even outside the window',
      { canary: true, batch: 1, promoted: false, window: closed },
      'promotion',
    ],
    [
      'a promoted canary still waits for the window',
      { canary: true, batch: 1, promoted: true, window: closed },
      'window',
    ],
  ])('%s', (_name, input, want) => expect(batchHold(input)).toBe(want));
});
