import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['1d', 86_400_000],
    ['60m', 3_600_000],
    ['500ms', 500],
    ['30s', 30_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['60', 60_000],
    [' 5m ', 300_000],
    [90, 90_000],
    ['0', 0],
    ['1.5s', 1500],
    ['2h45m30s500ms', 9_930_500],
    ['1d12h', 129_600_000],
  ])('%j → %i ms', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['', 'soon', '5 minutes', '1w', '10mss', '-5s', 'ms', '1h 30m', '1H'])(
    'rejects %j naming the value and the fix',
    (input) => {
      expect(() => parseDuration(input)).toThrow(
        new RegExp(`invalid duration "${input}".*500ms, 30s, 5m, 2h, 1d`),
      );
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [1500, '1.5s'],
    [125_000, '2m5s'],
    [3_725_000, '1h2m5s'],
    [3_600_000, '1h0m0s'],
    [120_000, '2m0s'],
    [12_345, '12.345s'],
    [0, '0ms'],
  ])('%i → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
