import { describe, expect, it } from 'vitest';
import { minPeriod, queryWindow } from './period.ts';

describe('minPeriod (AC-15)', () => {
  it.each([
    ['Periods [10,60,300]', { Periods: [10, 60, 300] }, 10],
    ['Periods ["60","300"]', { Periods: ['60', '300'] }, 60],
    ['Periods as objects', { Periods: [{ Period: '300' }, { Period: '60' }] }, 60],
    ['Period 300 without a list', { Period: 300 }, 300],
    ['Period as an array', { Period: [300, 60] }, 60],
    ['metric absent', undefined, 60],
    ['empty lists', { Periods: [], Period: [] }, 60],
  ])('%s', (_name, meta, want) => expect(minPeriod(meta, 60)).toBe(want));
});

describe('queryWindow', () => {
  const now = Date.UTC(2026, 0, 10, 12, 0, 0);
  it.each([
    ['QCE/LB', 60, now - 120_000, now],
    ['QCE/BWP', 300, now - 600_000, now],
    ['QCE/COS', 300, now - 600_000, now - 300_000],
    ['QCE/COS', 86_400, now - 48 * 3_600_000, now],
  ])('%s @%is', (ns, period, start, end) => {
    expect(queryWindow(period, ns, now)).toEqual({ start: new Date(start), end: new Date(end) });
  });
});
