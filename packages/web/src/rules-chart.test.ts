import { describe, expect, it } from 'vitest';
import type { RuleTest } from './api/rule-groups.ts';
import { ruleTestOption, seriesName, statePoints } from './rules-chart.ts';

const test = (series: RuleTest['series']): RuleTest => ({
  step: 60,
  start: 0,
  end: 3600,
  firingNow: 0,
  series,
  truncated: false,
});

describe('statePoints', () => {
  it.each([
    [
      'no episode: inactive throughout',
      [],
      [
        [0, 0],
        [3_600_000, 0],
      ],
    ],
    [
      'pending, then firing, then over a step after its last sample',
      [{ start: 600, end: 1200, firingAt: 900 }],
      [
        [0, 0],
        [600_000, 1],
        [900_000, 2],
        [1_260_000, 0],
        [3_600_000, 0],
      ],
    ],
    [
      'never lasted `for`: pending only',
      [{ start: 600, end: 660, firingAt: null }],
      [
        [0, 0],
        [600_000, 1],
        [720_000, 0],
        [3_600_000, 0],
      ],
    ],
    [
      'for 0: firing at once, no pending',
      [{ start: 600, end: 660, firingAt: 600 }],
      [
        [0, 0],
        [600_000, 2],
        [720_000, 0],
        [3_600_000, 0],
      ],
    ],
    [
      'still firing at the end',
      [{ start: 3000, end: 3600, firingAt: 3300 }],
      [
        [0, 0],
        [3_000_000, 1],
        [3_300_000, 2],
        [3_600_000, 2],
      ],
    ],
  ] as const)('%s', (_, episodes, points) => {
    expect(statePoints(test([]), [...episodes])).toEqual(points);
  });
});

describe('seriesName', () => {
  it.each([
    [{}, '{}'],
    [{ __name__: 'up', job: 'x' }, 'up{job="x"}'],
    [{ a: '1', b: '2' }, '{a="1", b="2"}'],
  ])('%j → %s', (labels, name) => expect(seriesName(labels)).toBe(name));
});

describe('ruleTestOption', () => {
  it('draws one step line per series, named by its labels, over the tested range', () => {
    const option = ruleTestOption(
      test([
        { labels: { job: 'a' }, episodes: [] },
        { labels: { job: 'b' }, episodes: [{ start: 60, end: 120, firingAt: 120 }] },
      ]),
    );
    const series = option.series as { name: string; step: string }[];
    expect(series.map((s) => [s.name, s.step])).toEqual([
      ['{job="a"}', 'end'],
      ['{job="b"}', 'end'],
    ]);
    expect(option.xAxis).toMatchObject({ type: 'time', min: 0, max: 3_600_000 });
  });
});
