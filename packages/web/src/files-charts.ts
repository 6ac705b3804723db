/**
 * The files overview's statistics as charts. The server answers one window's totals (no
 * series), so each chart compares a few quantities side by side: rates, queue, durations, causes.
 */
import type { Cause, FileStats } from './api/files.ts';
import type { ChartOption } from './chart-option.ts';

/** The windows the overview offers; the server takes 1m to 7d. */
export const STATS_WINDOWS = ['15m', '1h', '6h', '24h', '7d'] as const;
export type StatsWindow = (typeof STATS_WINDOWS)[number];

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Bars per category; without a unit the values are counts (whole steps on the axis). */
function bars(categories: string[], series: { name: string; values: (number | null)[] }[], unit?: string) {
  return {
    // The page redraws every refresh from scratch: bars growing from zero each time would flicker.
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { show: series.length > 1, top: 0 },
    grid: { left: 48, right: 16, top: series.length > 1 ? 40 : 24, bottom: 32 },
    // Every category named: a hidden label would leave a bar nobody can read.
    xAxis: { type: 'category', data: categories, axisLabel: { interval: 0 } },
    yAxis: { type: 'value', name: unit, minInterval: unit ? undefined : 1 },
    series: series.map((s) => ({ type: 'bar', name: s.name, data: s.values })),
  } as ChartOption;
}

/** Three significant digits: a quiet week's rate (0.0003 a minute) must not read as none. */
const significant = (n: number) => Number(n.toPrecision(3));

/**
 * Files detected, uploaded and failed per minute over the window `from`–`to`, from the window's
 * counts: the server's own average is rounded to thousandths, which a quiet week falls below.
 */
export function rateChart(s: FileStats, from: string, to: string): ChartOption {
  const minutes = Math.max(1, (Date.parse(to) - Date.parse(from)) / 60_000);
  const rate = (n: number) => significant(n / minutes);
  return bars(
    ['detected', 'uploaded', 'failed'],
    [{ name: 'per minute', values: [rate(s.files.detected), rate(s.files.uploaded), rate(s.files.failed)] }],
    '/min',
  );
}

/** What waits now: files not uploaded yet and tasks not finished. */
export function queueChart(s: FileStats): ChartOption {
  const q = s.queue;
  return bars(
    ['to upload', 'uploading', 'tasks pending', 'retrying', 'processing'],
    [
      {
        name: 'now',
        values: [q.files.detected, q.files.uploading, q.tasks.pending, q.tasks.retrying, q.tasks.processing],
      },
    ],
  );
}

/** Upload (first report → uploaded) and task run time, p50 and p95 in seconds; none without data. */
export function durationChart(s: FileStats): ChartOption {
  const v = (n: number | null) => (n === null ? null : round(n, 1));
  return bars(
    ['upload', 'task'],
    [
      { name: 'p50', values: [v(s.uploadSeconds.p50), v(s.taskSeconds.p50)] },
      { name: 'p95', values: [v(s.uploadSeconds.p95), v(s.taskSeconds.p95)] },
    ],
    's',
  );
}

/**
 * Failures by cause, files' and tasks' causes apart (the same word may mean different things
 * to an upload and to an action), most frequent first; an empty list when nothing failed.
 */
export function failureRows(s: FileStats): { cause: string; files: number; tasks: number }[] {
  const rows = new Map<string, { files: number; tasks: number }>();
  const add = (list: Cause[], which: 'files' | 'tasks') => {
    for (const c of list) {
      const row = rows.get(c.cause) ?? { files: 0, tasks: 0 };
      row[which] += c.count;
      rows.set(c.cause, row);
    }
  };
  add(s.failures.files, 'files');
  add(s.failures.tasks, 'tasks');
  return [...rows]
    .map(([cause, r]) => ({ cause, ...r }))
    .sort((a, b) => b.files + b.tasks - (a.files + a.tasks) || a.cause.localeCompare(b.cause));
}

export function failureChart(s: FileStats): ChartOption {
  const rows = failureRows(s);
  return bars(
    rows.map((r) => r.cause),
    [
      { name: 'files', values: rows.map((r) => r.files) },
      { name: 'tasks', values: rows.map((r) => r.tasks) },
    ],
  );
}

/** `1.2 s`, `3m 20s`: a percentile for a card; `—` without data. */
export function seconds(n: number | null): string {
  if (n === null) return '—';
  if (n < 60) return `${round(n, 1)} s`;
  const m = Math.floor(n / 60);
  return `${m}m ${Math.round(n - m * 60)}s`;
}
