import { describe, expect, it } from 'vitest';
import type { FileStats } from './api/files.ts';
import { durationChart, failureChart, failureRows, queueChart, rateChart, seconds } from './files-charts.ts';

const stats = (change: Partial<FileStats> = {}): FileStats => ({
  files: { detected: 120, uploaded: 100, failed: 3 },
  perMinute: { detected: 2, uploaded: 1.6666666, failed: 0.05 },
  queue: { files: { detected: 4, uploading: 2 }, tasks: { pending: 5, retrying: 1, processing: 3 } },
  uploadSeconds: { p50: 1.234, p95: 9.87 },
  tasksFinished: 90,
  taskSeconds: { p50: null, p95: null },
  failures: {
    files: [
      { cause: 'AccessDenied', count: 2 },
      { cause: 'connection', count: 1 },
    ],
    tasks: [{ cause: 'connection', count: 4 }],
  },
  ...change,
});

// biome-ignore lint/suspicious/noExplicitAny: reading back the chart option's series
const data = (option: any) => option.series.map((s: { name: string; data: unknown[] }) => [s.name, s.data]);

describe('files overview charts', () => {
  it('rates per minute from the window counts, to three significant digits', () => {
    const hour = ['2026-12-07T10:00:00Z', '2026-12-07T11:00:00Z'] as const;
    expect(data(rateChart(stats(), ...hour))).toEqual([['per minute', [2, 1.67, 0.05]]]);
    // A quiet week (3 files in 10 080 minutes) still shows, which thousandths would not.
    const week = ['2026-11-30T10:00:00Z', '2026-12-07T10:00:00Z'] as const;
    const quiet = stats({ files: { detected: 3, uploaded: 1, failed: 0 } });
    expect(data(rateChart(quiet, ...week))).toEqual([['per minute', [0.000298, 0.0000992, 0]]]);
    // A rate's axis is not in whole steps, which would flatten such bars to nothing.
    // biome-ignore lint/suspicious/noExplicitAny: the value axis
    expect((rateChart(quiet, ...week).yAxis as any).minInterval).toBeUndefined();
    // biome-ignore lint/suspicious/noExplicitAny: the value axis
    expect((queueChart(stats()).yAxis as any).minInterval).toBe(1);
  });

  it('queue now: files waiting and unfinished tasks', () => {
    expect(data(queueChart(stats()))).toEqual([['now', [4, 2, 5, 1, 3]]]);
  });

  it('durations: p50 and p95 of uploads and tasks, nothing drawn without data', () => {
    expect(data(durationChart(stats()))).toEqual([
      ['p50', [1.2, null]],
      ['p95', [9.9, null]],
    ]);
  });

  it('failures by cause, files and tasks apart, most frequent first', () => {
    expect(failureRows(stats())).toEqual([
      { cause: 'connection', files: 1, tasks: 4 },
      { cause: 'AccessDenied', files: 2, tasks: 0 },
    ]);
    const option = failureChart(stats());
    // biome-ignore lint/suspicious/noExplicitAny: the category axis
    expect((option.xAxis as any).data).toEqual(['connection', 'AccessDenied']);
    expect(failureRows(stats({ failures: { files: [], tasks: [] } }))).toEqual([]);
  });

  it.each([
    [null, '—'],
    [0.04, '0 s'],
    [1.26, '1.3 s'],
    [200, '3m 20s'],
  ])('%s seconds reads %s', (n, text) => {
    expect(seconds(n)).toBe(text);
  });
});
