import { describe, expect, it } from 'vitest';
import {
  retryDelayMs,
  TASK_EVENTS,
  TASK_STATES,
  type TaskEvent,
  type TaskState,
  taskStep,
} from './transitions.ts';

const facts = (state: TaskState, over: Partial<{ attempts: number; max: number; cancel: boolean }> = {}) => ({
  state,
  attempts: over.attempts ?? 1,
  maxAttempts: over.max ?? 3,
  cancelRequested: over.cancel ?? false,
});

const event = (type: TaskEvent['type']): TaskEvent =>
  type === 'fail' ? { type, retryable: true } : ({ type } as TaskEvent);

// Every (state, event) pair, with no cancel requested and attempts left: the state it leads to,
// or the start of the reason it is refused with.
const TABLE: Record<TaskState, Record<TaskEvent['type'], TaskState | `refused: ${string}`>> = {
  pending: {
    claim: 'processing',
    succeed: 'refused: only a processing task succeeds',
    fail: 'refused: only a processing task fails',
    cancel: 'cancelled',
    aborted: 'refused: only a processing task whose cancel',
    retry: 'refused: only a failed or cancelled task is retried; this one is pending',
  },
  processing: {
    claim: 'refused: only a pending or retrying task is started; this one is processing',
    succeed: 'done',
    fail: 'retrying',
    cancel: 'processing',
    aborted: 'refused: only a processing task whose cancel',
    retry: 'refused: only a failed or cancelled task is retried; this one is processing',
  },
  done: {
    claim: 'refused: only a pending or retrying task is started; this one is done',
    succeed: 'refused: only a processing task succeeds; this one is done',
    fail: 'refused: only a processing task fails; this one is done',
    cancel: 'refused: the task is done already',
    aborted: 'refused: only a processing task whose cancel',
    retry: 'refused: only a failed or cancelled task is retried; this one is done',
  },
  failed: {
    claim: 'refused: only a pending or retrying task is started; this one is failed',
    succeed: 'refused: only a processing task succeeds',
    fail: 'refused: only a processing task fails',
    cancel: 'refused: the task is failed already',
    aborted: 'refused: only a processing task whose cancel',
    retry: 'retrying',
  },
  retrying: {
    claim: 'processing',
    succeed: 'refused: only a processing task succeeds',
    fail: 'refused: only a processing task fails',
    cancel: 'cancelled',
    aborted: 'refused: only a processing task whose cancel',
    retry: 'refused: only a failed or cancelled task is retried; this one is retrying',
  },
  cancelled: {
    claim: 'refused: only a pending or retrying task is started; this one is cancelled',
    succeed: 'refused: only a processing task succeeds',
    fail: 'refused: only a processing task fails',
    cancel: 'refused: the task is cancelled already',
    aborted: 'refused: only a processing task whose cancel',
    retry: 'retrying',
  },
};

describe('file task transitions', () => {
  const pairs = TASK_STATES.flatMap((s) => TASK_EVENTS.map((e) => [s, e] as const));
  it.each(pairs)('%s + %s', (state, type) => {
    const want = TABLE[state][type];
    const step = taskStep(facts(state), event(type));
    if (want.startsWith('refused: ')) {
      expect(step.ok).toBe(false);
      expect(step.ok ? '' : step.reason).toContain(want.slice('refused: '.length));
    } else {
      expect(step).toMatchObject({ ok: true, state: want });
    }
  });

  it('a claim counts the attempt', () => {
    expect(taskStep(facts('retrying', { attempts: 2 }), { type: 'claim' })).toMatchObject({ attempts: 3 });
  });

  it('a retryable failure waits its back-off; the last attempt or a non-retryable one fails', () => {
    expect(taskStep(facts('processing', { attempts: 2 }), { type: 'fail', retryable: true })).toMatchObject({
      state: 'retrying',
      delayMs: 10_000,
    });
    expect(taskStep(facts('processing', { attempts: 3 }), { type: 'fail', retryable: true })).toMatchObject({
      state: 'failed',
    });
    expect(taskStep(facts('processing'), { type: 'fail', retryable: false })).toMatchObject({
      state: 'failed',
    });
  });

  it('cancel of a running task is cooperative: requested once, then the aborted attempt ends it', () => {
    const asked = taskStep(facts('processing'), { type: 'cancel' });
    expect(asked).toMatchObject({ ok: true, state: 'processing', cancelRequested: true });
    expect(taskStep(facts('processing', { cancel: true }), { type: 'cancel' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('already requested'),
    });
    expect(taskStep(facts('processing', { cancel: true }), { type: 'aborted' })).toMatchObject({
      state: 'cancelled',
    });
    // An attempt that fails while its cancel is pending is not tried again.
    expect(taskStep(facts('processing', { cancel: true }), { type: 'fail', retryable: true })).toMatchObject({
      state: 'failed',
    });
  });

  it('a manual retry gives exactly one more attempt and keeps the count', () => {
    expect(taskStep(facts('failed', { attempts: 3, max: 3 }), { type: 'retry' })).toEqual({
      ok: true,
      state: 'retrying',
      attempts: 3,
      maxAttempts: 4,
      cancelRequested: false,
      delayMs: 0,
    });
  });

  it.each([
    [1, 5_000],
    [2, 10_000],
    [3, 20_000],
    [7, 300_000],
    [30, 300_000],
  ])('back-off after %i failed attempts is %i ms', (n, ms) => {
    expect(retryDelayMs(n)).toBe(ms);
  });
});
