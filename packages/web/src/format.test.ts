import { describe, expect, it } from 'vitest';
import { duration, parseDuration, relativeTime } from './format.ts';

describe('format', () => {
  it('says how long ago in the largest unit', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(relativeTime('2025-01-01T12:00:02Z', now)).toBe('now');
    expect(relativeTime('2025-01-01T11:59:30Z', now)).toBe('30 sec. ago');
    expect(relativeTime('2025-01-01T11:57:00Z', now)).toBe('3 min. ago');
    expect(relativeTime('2025-01-01T14:00:00Z', now)).toBe('in 2 hr.');
    expect(relativeTime('2024-12-30T12:00:00Z', now)).toBe('2 days ago');
    expect(relativeTime(null, now)).toBe('—');
  });

  it('writes durations with two units at most', () => {
    expect(duration(0)).toBe('0s');
    expect(duration(45)).toBe('45s');
    expect(duration(252)).toBe('4m 12s');
    expect(duration(7500)).toBe('2h 5m');
    expect(duration(3 * 86_400 + 4 * 3600 + 5)).toBe('3d 4h');
    expect(duration(null)).toBe('—');
  });

  it('reads durations', () => {
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('0s')).toBeUndefined();
  });
});
