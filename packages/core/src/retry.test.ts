import { describe, expect, it } from 'vitest';
import { ClassifiedError, type ErrorClass } from './errors.ts';
import { TokenBucket } from './rate-limit.ts';
import { backoffDelay, retry } from './retry.ts';

const classify = (err: unknown): ErrorClass => (err instanceof ClassifiedError ? err.errorClass : 'error');

function failing(classes: ErrorClass[]) {
  let calls = 0;
  return {
    fn: async () => {
      const c = classes[calls++];
      if (c) throw new ClassifiedError(c, c);
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('retry', () => {
  it('backs off 200, 400, 800, 1600 ms capped at the maximum', async () => {
    const waits: number[] = [];
    const f = failing(['limit_error', 'limit_error', 'network_error', 'error']);
    const out = await retry(f.fn, {
      attempts: 5,
      baseMs: 200,
      maxMs: 1000,
      classify,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(out).toBe('ok');
    expect(waits).toEqual([200, 400, 800, 1000]);
  });

  it.each(['auth_error', 'region_skip'] as const)('does not retry %s', async (c) => {
    const f = failing([c, c]);
    await expect(
      retry(f.fn, { attempts: 5, baseMs: 1, maxMs: 1, classify, sleep: async () => {} }),
    ).rejects.toThrow(c);
    expect(f.calls()).toBe(1);
  });

  it('gives up after the attempts and rethrows the last error', async () => {
    const f = failing(['limit_error', 'limit_error', 'limit_error', 'limit_error']);
    await expect(
      retry(f.fn, { attempts: 3, baseMs: 1, maxMs: 1, classify, sleep: async () => {} }),
    ).rejects.toThrow('limit_error');
    expect(f.calls()).toBe(3);
  });

  it('keeps jitter within its fraction of the delay', () => {
    expect(backoffDelay(3, 200, 5000, 0.2, () => 0)).toBe(800);
    expect(backoffDelay(3, 200, 5000, 0.2, () => 1)).toBe(640);
    expect(backoffDelay(10, 200, 5000, 0.5, () => 0.5)).toBe(3750);
  });

  it('stops waiting when aborted', async () => {
    const ctl = new AbortController();
    const f = failing(['limit_error', 'limit_error']);
    const run = retry(f.fn, { attempts: 5, baseMs: 10_000, maxMs: 10_000, classify, signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('stop')), 20);
    await expect(run).rejects.toThrow('stop');
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now = 100;
    expect([bucket.tryTake(), bucket.tryTake()]).toEqual([true, false]);
    now = 10_000;
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('makes callers wait their turn: 25 takes at 50/s with a burst of 5 last about 400 ms', async () => {
    const bucket = new TokenBucket(50, 5);
    const t0 = performance.now();
    const order: number[] = [];
    await Promise.all(Array.from({ length: 25 }, (_, i) => bucket.take().then(() => order.push(i))));
    const elapsed = performance.now() - t0;
    expect(order).toEqual([...Array(25).keys()]);
    expect(elapsed).toBeGreaterThan(350);
  });
});
