import { describe, expect, it } from 'vitest';
import { latestPoint, pointTimes } from './granularity.ts';

const M = 60_000;
// 12:00:30 on some day: half a minute past a boundary.
const NOW = Date.UTC(2026, 0, 10, 12, 0, 30);
const at = (h: number, m: number, s = 0) => Date.UTC(2026, 0, 10, h, m, s);

describe('pointTimes', () => {
  it.each([
    ['minute data, minute period, last two minutes', 60, 60, NOW - 2 * M, NOW, false, [at(11, 59)]],
    ['minute data, last minute only: the current minute has not ended', 60, 60, NOW - M, NOW, false, []],
    ['minute data, raw (period 1) over one second', 60, 1, NOW - 2_000, NOW - 1_000, false, []],
    ['minute data, raw over three minutes', 60, 1, NOW - 3 * M, NOW, false, [at(11, 58), at(11, 59)]],
    [
      'minute data, five-minute period: the bucket that ended',
      60,
      300,
      NOW - 10 * M,
      NOW - 5 * M,
      false,
      [at(11, 55)],
    ],
    ['minute data, five-minute period still running', 60, 300, NOW - 4 * M, NOW, false, []],
    ['daily data, minute period over half an hour', 86_400, 60, NOW - 30 * M, NOW, false, []],
    [
      'daily data, daily period over two days',
      86_400,
      86_400,
      NOW - 48 * 60 * M,
      NOW,
      false,
      [at(0, 0) - 86_400_000],
    ],
    [
      'inclusive end takes a bucket starting at the end',
      60,
      60,
      at(11, 58),
      at(11, 59),
      true,
      [at(11, 58), at(11, 59)],
    ],
    ['exclusive end leaves it out', 60, 60, at(11, 58), at(11, 59), false, [at(11, 58)]],
    ['an empty window', 60, 60, NOW, NOW - M, false, []],
  ])('%s', (_name, native, period, from, to, toInclusive, want) => {
    expect(pointTimes({ native, period, from, to, toInclusive, now: NOW })).toEqual(want);
  });
});

describe('latestPoint', () => {
  it.each([
    ['minute data', 60, 60, at(11, 59)],
    ['minute data, raw', 60, 1, at(11, 59)],
    ['minute data, five-minute period', 60, 300, at(11, 55)],
    ['daily data', 86_400, 86_400, at(0, 0) - 86_400_000],
  ])('%s', (_name, native, period, want) => {
    expect(latestPoint(native, period, NOW)).toBe(want);
  });
});
