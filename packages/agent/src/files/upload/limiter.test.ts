import { describe, expect, it } from 'vitest';
import { ByteLimiter, debit } from './limiter.ts';

const RATE = 1000; // bytes per second

describe('upload byte limiter', () => {
  it.each([
    ['a full bucket sends at once', { tokens: 1000, at: 0 }, 400, 0, 0, 600],
    ['past the bucket the sender waits for the debt', { tokens: 1000, at: 0 }, 1500, 0, 500, -500],
    ['a debt is paid back by time', { tokens: -500, at: 0 }, 100, 400, 200, -200],
    ['refill stops at the burst', { tokens: 0, at: 0 }, 1000, 60_000, 0, 0],
    ['an empty bucket waits for exactly its bytes', { tokens: 0, at: 0 }, 250, 0, 250, -250],
  ])('%s', (_, bucket, bytes, now, waitMs, tokens) => {
    const out = debit(bucket, bytes, now, RATE, 1000);
    expect(out.waitMs).toBe(waitMs);
    expect(out.bucket.tokens).toBe(tokens);
  });

  it('workers sharing one limiter get the configured rate together, in the order they asked', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = new ByteLimiter(
      100_000,
      () => clock,
      async (ms) => {
        waits.push(ms);
      },
    );
    // Burst of one second spent by the first worker; the next two queue behind it.
    await limiter.take(100_000);
    await Promise.all([limiter.take(50_000), limiter.take(50_000)]);
    expect(waits).toEqual([500, 1000]);
    clock = 1000; // the second worker's wait is over: debt paid back exactly
    await limiter.take(100_000);
    expect(waits.at(-1)).toBe(1000);
  });

  it('gives back the bytes of a sender aborted while waiting', async () => {
    const waits: number[] = [];
    const limiter = new ByteLimiter(
      1000,
      () => 0,
      async (ms, signal) => {
        if (signal?.aborted) throw signal.reason;
        waits.push(ms);
      },
    );
    await limiter.take(65_536); // the whole burst (one chunk at this low rate)
    const ac = new AbortController();
    ac.abort(new Error('stopping'));
    await expect(limiter.take(5000, ac.signal)).rejects.toThrow('stopping');
    // Without the refund this sender would wait 6 s for the aborted sender's debt.
    await limiter.take(1000);
    expect(waits).toEqual([1000]);
  });
});
