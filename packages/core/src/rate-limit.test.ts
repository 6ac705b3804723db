import { describe, expect, it } from 'vitest';
import { TokenBucket } from './rate-limit.ts';

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
    now = 50;
    expect(bucket.tryTake()).toBe(false);
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

  it('defaults the burst to one second of rate, at least 1', () => {
    let now = 0;
    const fast = new TokenBucket(5, undefined, () => now);
    expect(Array.from({ length: 6 }, () => fast.tryTake())).toEqual([true, true, true, true, true, false]);
    const slow = new TokenBucket(0.5, undefined, () => now);
    expect([slow.tryTake(), slow.tryTake()]).toEqual([true, false]);
    now = 2000;
    expect(slow.tryTake()).toBe(true);
  });

  it('refuses a rate or burst that could never hand out a token', () => {
    expect(() => new TokenBucket(0)).toThrow(/rate must be a positive number, got 0/);
    expect(() => new TokenBucket(Number.NaN)).toThrow(RangeError);
    expect(() => new TokenBucket(10, 0)).toThrow(/burst must be at least 1, got 0/);
  });

  it('makes callers wait their turn: 25 takes at 50/s with a burst of 5 last about 400 ms', async () => {
    const bucket = new TokenBucket(50, 5);
    const t0 = performance.now();
    const order: number[] = [];
    await Promise.all(Array.from({ length: 25 }, (_, i) => bucket.take().then(() => order.push(i))));
    const elapsed = performance.now() - t0;
    expect(order).toEqual([...Array(25).keys()]);
    expect(elapsed).toBeGreaterThan(350);
    expect(elapsed).toBeLessThan(2000);
  });

  it('rejects an aborted caller without spending a token or holding up the others', async () => {
    const bucket = new TokenBucket(20, 1);
    await bucket.take();
    const ctl = new AbortController();
    const order: string[] = [];
    const waiting = bucket.take(ctl.signal).then(
      () => order.push('aborted one got a token'),
      (err: Error) => order.push(`rejected: ${err.message}`),
    );
    const queued = bucket
      .take(ctl.signal)
      .catch((err: Error) => order.push(`queued rejected: ${err.message}`));
    const other = bucket.take().then(() => order.push('other'));
    ctl.abort(new Error('cancelled'));
    await Promise.all([waiting, queued, other]);
    expect(order).toEqual(['rejected: cancelled', 'queued rejected: cancelled', 'other']);
    // 'other' took the one token that refilled; none is left over for an aborted caller.
    expect(bucket.tryTake()).toBe(false);
    await expect(bucket.take(ctl.signal)).rejects.toThrow('cancelled');
  });
});
