/** A rule test's answer as a chart of WHEN it would have fired: per series a step line 0 / 1 / 2. */
import type { RuleTest } from './api/rule-groups.ts';
import type { ChartOption } from './chart-option.ts';

export const STATES = ['inactive', 'pending', 'firing'] as const;

/** A series' name as Prometheus writes it: `up{job="x"}`, `{}` for none. */
export function seriesName(labels: Record<string, string>): string {
  const { __name__: name, ...rest } = labels;
  const inner = Object.entries(rest)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return `${name ?? ''}{${inner}}`;
}

/**
 * A series' state changes as [ms, state] points (0 inactive, 1 pending, 2 firing), each state
 * held until the next point: an episode is pending from its start, firing from `firingAt`, and
 * over one step after its last sample (the peer saw it until its next evaluation).
 */
export function statePoints(
  test: RuleTest,
  episodes: RuleTest['series'][number]['episodes'],
): [number, number][] {
  const points: [number, number][] = [[test.start * 1000, 0]];
  for (const e of episodes) {
    if (e.firingAt === null || e.firingAt > e.start) points.push([e.start * 1000, 1]);
    if (e.firingAt !== null) points.push([e.firingAt * 1000, 2]);
    if (e.end < test.end) points.push([Math.min(e.end + test.step, test.end) * 1000, 0]);
  }
  const last = points.at(-1)!;
  if (last[0] < test.end * 1000) points.push([test.end * 1000, last[1]]);
  return points;
}

/** Echarts options: one step line per series over the tested hours, states on the y axis. */
export function ruleTestOption(test: RuleTest): ChartOption {
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 32, bottom: 24, containLabel: true },
    legend: { type: 'scroll', top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time', min: test.start * 1000, max: test.end * 1000 },
    yAxis: {
      type: 'value',
      min: 0,
      max: 2,
      interval: 1,
      axisLabel: { formatter: (v: number) => STATES[v] ?? '' },
    },
    series: test.series.map((s) => ({
      type: 'line',
      name: seriesName(s.labels),
      step: 'end',
      showSymbol: false,
      areaStyle: { opacity: 0.15 },
      data: statePoints(test, s.episodes),
    })),
  };
}
