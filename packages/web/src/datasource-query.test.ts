import { describe, expect, it } from 'vitest';
import type { QueryAnswer, Sample } from './api/datasources.ts';
import { instantRows, RANGES, rangeBody, rangeChart, seriesName, stepFor } from './datasource-query.ts';

describe('the step of a range', () => {
  it.each([
    [60, 1],
    [15 * 60, 3],
    [3600, 12],
    [6 * 3600, 72],
    [24 * 3600, 288],
    [1000, 4],
  ])('%i s → %i s', (range, step) => {
    expect(stepFor(range)).toBe(step);
  });

  it('keeps every offered range at 300 points or fewer', () => {
    for (const r of RANGES) expect(Math.floor(r.seconds / stepFor(r.seconds)) + 1).toBeLessThanOrEqual(301);
  });

  it('asks for the range before now in Unix seconds', () => {
    expect(rangeBody(' up ', 3600, 1_800_000_000_500)).toEqual({
      query: 'up',
      start: '1799996400',
      end: '1800000000',
      step: '12',
    });
  });
});

describe('series names', () => {
  it.each([
    [{ __name__: 'up', job: 'p', instance: 'a:1' }, 'up{instance="a:1",job="p"}'],
    [{ __name__: 'up' }, 'up'],
    [{ job: 'p' }, '{job="p"}'],
    [{}, '{}'],
    [{ path: 'say "hi"' }, '{path="say \\"hi\\""}'],
  ])('%j → %s', (metric, name) => {
    expect(seriesName(metric)).toBe(name);
  });
});

const matrix = (n: number): QueryAnswer => ({
  resultType: 'matrix',
  result: Array.from(
    { length: n },
    (_, i): Sample => ({
      metric: { __name__: 'up', instance: `h${i}` },
      values: [
        [1000, '1'],
        [1015, 'NaN'],
      ],
    }),
  ),
});

describe('the range chart', () => {
  it('draws one line per series with its labels, times in ms and NaN as a gap', () => {
    const { option, drawn, total } = rangeChart(matrix(2));
    expect([drawn, total]).toEqual([2, 2]);
    expect(option.series).toMatchObject([
      {
        type: 'line',
        name: 'up{instance="h0"}',
        data: [
          [1_000_000, 1],
          [1_015_000, null],
        ],
      },
      { name: 'up{instance="h1"}' },
    ]);
    expect(option.legend).toMatchObject({ type: 'scroll' });
  });

  it('draws at most the cap and says how many there were', () => {
    const { option, drawn, total } = rangeChart(matrix(60), 50);
    expect([drawn, total]).toEqual([50, 60]);
    expect(option.series).toHaveLength(50);
  });

  it('draws nothing for an answer that is not a matrix', () => {
    expect(rangeChart({ resultType: 'scalar', result: [1, '2'] }).total).toBe(0);
  });
});

describe('the instant table', () => {
  it.each([
    [
      'a vector',
      { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'p' }, value: [5, '1'] }] },
      [{ key: '0:up{job="p"}', series: 'up{job="p"}', value: '1', time: 5 }],
    ],
    [
      'a scalar',
      { resultType: 'scalar', result: [5, '42'] },
      [{ key: 'scalar', series: 'scalar', value: '42', time: 5 }],
    ],
    ['an empty vector', { resultType: 'vector', result: [] }, []],
  ] as const)('%s', (_, answer, rows) => {
    expect(instantRows(answer as unknown as QueryAnswer)).toEqual(rows);
  });
});
