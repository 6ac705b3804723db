import { describe, expect, it } from 'vitest';
import { allowance, backoffMs, DEFAULT_RETRY } from './retry.ts';

describe('backoffMs', () => {
  it.each([
    [1, 0, 2_500],
    [1, 1, 5_000],
    [2, 0, 5_000],
    [3, 1, 20_000],
    [7, 0.5, 240_000],
    [8, 1, 600_000],
    [30, 0, 300_000],
  ])('after attempt %i with random %d waits %i ms', (attempt, r, ms) => {
    expect(backoffMs(attempt, DEFAULT_RETRY, () => r)).toBe(ms);
  });

  it('spreads receivers that failed together', () => {
    const waits = new Set(Array.from({ length: 50 }, () => backoffMs(3, DEFAULT_RETRY)));
    expect(waits.size).toBeGreaterThan(40);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(20_000);
  });
});

describe('allowance', () => {
  const now = 1_000_000;
  it.each([
    ['nothing sent', [], { allowed: 20 }],
    ['19 in the last minute', Array.from({ length: 19 }, (_, i) => now - i * 1000), { allowed: 1 }],
    [
      '20 sends older than a minute do not count',
      Array.from({ length: 20 }, () => now - 61_000),
      { allowed: 20 },
    ],
    [
      '20 in the last minute: wait for the oldest to leave',
      Array.from({ length: 20 }, (_, i) => now - 50_000 + i * 1000),
      { allowed: 0, freeAt: now + 10_000 },
    ],
    [
      '25 (two replicas raced): wait until only 19 are left',
      Array.from({ length: 25 }, (_, i) => now - 50_000 + i * 1000),
      { allowed: 0, freeAt: now + 15_000 },
    ],
  ])('%s', (_, sent, expected) => {
    expect(allowance(sent, now, 20)).toEqual(expected);
  });
});
