import { describe, expect, it } from 'vitest';
import { eventually, seededShuffle } from './testing.ts';

/** A probe answering each call with the next step: a value, or an Error to throw. */
const steps = (...answers: unknown[]) => {
  let i = 0;
  return () => {
    const a = answers[Math.min(i++, answers.length - 1)];
    if (a instanceof Error) throw a;
    return a;
  };
};

const rejectsTwice = (value: string) => {
  let calls = 0;
  return async () => {
    if (++calls <= 2) throw new Error(`rejection ${calls}`);
    return value;
  };
};

describe('eventually', () => {
  it.each([
    ['the first truthy value', steps(0, '', null, 'x'), undefined, 'x'],
    ['the first value ok accepts', steps(1, 2, 3, 4), (v: unknown) => v === 3, 3],
    ['a falsy value ok accepts', steps(5, 0), (v: unknown) => v === 0, 0],
    ['a value after throws', steps(new Error('not yet'), new Error('still not'), 'up'), undefined, 'up'],
    ['a resolved promise', () => Promise.resolve('async'), undefined, 'async'],
    ['a value after rejections', rejectsTwice('later'), undefined, 'later'],
  ])('returns %s', async (_, probe, ok, expected) => {
    const opts = { everyMs: 1, timeoutMs: 1000 };
    const got = ok ? await eventually('it', probe, { ...opts, ok }) : await eventually('it', probe, opts);
    expect(got).toBe(expected);
  });

  it.each([
    ['the last value', steps(1, 2, 3), /^timed out after \d+ms waiting for three; last value 3$/],
    [
      'the last error',
      steps(7, new Error('connection refused')),
      /^timed out after \d+ms waiting for three; last error Error: connection refused$/,
    ],
    ['an undefined value', () => undefined, /waiting for three; last value undefined$/],
  ])('on timeout names what it waited for and %s', async (_, probe, message) => {
    await expect(
      eventually('three', probe, { ok: (v) => v === 'never', everyMs: 1, timeoutMs: 50 }),
    ).rejects.toThrow(message);
  });

  it('waits at least timeoutMs, keeps the last error as the cause, and names a lazy `what` only then', async () => {
    let named = 0;
    const refused = new Error('refused');
    const started = Date.now();
    const err = await eventually(
      () => `the ${++named}st name`,
      () => {
        throw refused;
      },
      { timeoutMs: 100, everyMs: 10 },
    ).catch((e: Error) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(named).toBe(1);
    expect(err.message).toMatch(
      /^timed out after \d+ms waiting for the 1st name; last error Error: refused$/,
    );
    expect(err.cause).toBe(refused);
  });
});

describe('seededShuffle', () => {
  it('is a permutation that one seed always gives and another seed changes', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const once = seededShuffle(items, 7);
    expect([...once].sort((a, b) => a - b)).toEqual(items);
    expect(seededShuffle(items, 7)).toEqual(once);
    expect(seededShuffle(items, 8)).not.toEqual(once);
    expect(once).not.toEqual(items);
  });
});
