/** The query preview: the range it covers, its step, and answers shaped for the chart and the table. */

import type { LineSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import type { QueryAnswer, Sample } from './api/datasources.ts';

/** What the preview chart is given: a subset of what the console's EChart draws. */
export type LineChartOption = ComposeOption<
  LineSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>;

export const RANGES = [
  { key: '15m', label: 'Last 15 min', seconds: 15 * 60 },
  { key: '1h', label: 'Last 1 h', seconds: 3600 },
  { key: '6h', label: 'Last 6 h', seconds: 6 * 3600 },
  { key: '24h', label: 'Last 24 h', seconds: 24 * 3600 },
] as const;

/** The most points a line gets: enough for a chart a screen wide, little for the peer to compute. */
export const MAX_POINTS = 300;
/** The most series drawn; a legend of more is unreadable and the canvas slows down. */
export const MAX_SERIES = 50;

/** The step in whole seconds that keeps a range at most `maxPoints` points (at least 1 s). */
export function stepFor(rangeSeconds: number, maxPoints = MAX_POINTS): number {
  return Math.max(1, Math.ceil(rangeSeconds / maxPoints));
}

/** The range query's body for the `seconds` before `nowMs`, times in Unix seconds. */
export function rangeBody(query: string, seconds: number, nowMs: number) {
  const end = Math.floor(nowMs / 1000);
  return {
    query: query.trim(),
    start: String(end - seconds),
    end: String(end),
    step: String(stepFor(seconds)),
  };
}

/** A series as Prometheus writes it: `up{instance="a:1",job="x"}`; `{}` when it has no labels. */
export function seriesName(metric: Record<string, string>): string {
  const { __name__: name = '', ...labels } = metric;
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return pairs.length || !name ? `${name}{${pairs.join(',')}}` : name;
}

const number = (v: string): number | null => {
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** A range answer as a line chart: one line per series up to `cap`, legend from the labels. */
export function rangeChart(
  answer: QueryAnswer,
  cap = MAX_SERIES,
): { option: LineChartOption; drawn: number; total: number } {
  const series = answer.resultType === 'matrix' ? (answer.result as Sample[]) : [];
  const drawn = series.slice(0, cap);
  return {
    drawn: drawn.length,
    total: series.length,
    option: {
      animation: false,
      grid: { left: 56, right: 16, top: 16, bottom: drawn.length > 1 ? 72 : 32 },
      tooltip: { trigger: 'axis' },
      legend: drawn.length > 1 ? { type: 'scroll', bottom: 0 } : { show: false },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', scale: true },
      series: drawn.map((s) => ({
        type: 'line' as const,
        name: seriesName(s.metric),
        showSymbol: false,
        data: (s.values ?? []).map(([t, v]) => [t * 1000, number(v)]),
      })),
    },
  };
}

export interface InstantRow {
  key: string;
  series: string;
  value: string;
  /** Unix seconds of the sample. */
  time: number;
}

/** An instant answer as table rows: one per series of a vector, one for a scalar or string. */
export function instantRows(answer: QueryAnswer): InstantRow[] {
  if (answer.resultType === 'scalar' || answer.resultType === 'string') {
    const [time, value] = answer.result as [number, string];
    return [{ key: answer.resultType, series: answer.resultType, value, time }];
  }
  return (answer.result as Sample[]).map((s, i) => {
    const [time, value] = s.value ?? s.values?.at(-1) ?? [0, ''];
    const series = seriesName(s.metric);
    return { key: `${i}:${series}`, series, value, time };
  });
}
