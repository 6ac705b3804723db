import { describe, expect, it } from 'vitest';
import type { AlertOverview } from './api/types.ts';
import {
  bucketStarts,
  failedDeliveries,
  rangeMean,
  responseTrend,
  startedBySeverity,
} from './overview-charts.ts';

const H = 3_600_000;
const FROM = Date.parse('2026-11-25T06:00:00Z');
const hour = (n: number) => new Date(FROM + n * H).toISOString();

/** Four hourly buckets, 06:00 to 10:00. */
function overview(part: Partial<AlertOverview>): AlertOverview {
  return {
    range: '24h',
    from: hour(0),
    to: hour(4),
    bucketSeconds: 3600,
    started: [],
    responseTimes: [],
    noisiest: [],
    agents: { online: 0, offline: 0 },
    deliveries: { failed: [], failedTotal: 0, deadLetters: 0 },
    ...part,
  };
}

describe('overview charts', () => {
  it.each([
    ['four whole hours', { from: hour(0), to: hour(4), bucketSeconds: 3600 }, [0, 1, 2, 3]],
    ['a range that ends inside a bucket', { from: hour(0), to: hour(2.5), bucketSeconds: 3600 }, [0, 1, 2]],
    ['six-hour buckets', { from: hour(0), to: hour(12), bucketSeconds: 21_600 }, [0, 6]],
  ])('lays out every bucket: %s', (_, range, hours) => {
    expect(bucketStarts(range)).toEqual(hours.map((n) => FROM + n * H));
  });

  it('gives each severity a series over every bucket, most severe first, zero where none started', () => {
    const series = startedBySeverity(
      overview({
        started: [
          { at: hour(1), severity: 'warning', count: 2 },
          { at: hour(1), severity: 'critical', count: 1 },
          { at: hour(3), severity: 'custom', count: 4 },
          { at: hour(3), severity: 'warning', count: 1 },
        ],
      }),
    );
    expect(series.map((s) => [s.severity, s.points.map(([, v]) => v)])).toEqual([
      ['critical', [0, 1, 0, 0]],
      ['warning', [0, 2, 0, 1]],
      ['custom', [0, 0, 0, 4]],
    ]);
  });

  it('draws MTTA and MTTR in minutes, with a gap where nothing was acknowledged or resolved', () => {
    const trend = responseTrend(
      overview({
        responseTimes: [
          { at: hour(0), mttaSeconds: 90, acknowledged: 1, mttrSeconds: null, resolved: 0 },
          { at: hour(2), mttaSeconds: null, acknowledged: 0, mttrSeconds: 1800, resolved: 3 },
        ],
      }),
    );
    expect(trend.mtta.map(([, v]) => v)).toEqual([1.5, null, null, null]);
    expect(trend.mttr.map(([, v]) => v)).toEqual([null, null, 30, null]);
  });

  it('counts failed deliveries in every bucket', () => {
    const points = failedDeliveries(
      overview({ deliveries: { failed: [{ at: hour(2), count: 5 }], failedTotal: 5, deadLetters: 1 } }),
    );
    expect(points).toEqual([
      [FROM, 0],
      [FROM + H, 0],
      [FROM + 2 * H, 5],
      [FROM + 3 * H, 0],
    ]);
  });

  it.each([
    ['no acknowledgement at all', [], null],
    ['one bucket', [{ at: hour(0), mttaSeconds: 60, acknowledged: 2, mttrSeconds: null, resolved: 0 }], 60],
    [
      'buckets weighted by how many were acknowledged',
      [
        { at: hour(0), mttaSeconds: 60, acknowledged: 3, mttrSeconds: null, resolved: 0 },
        { at: hour(1), mttaSeconds: 300, acknowledged: 1, mttrSeconds: 10, resolved: 1 },
      ],
      120,
    ],
  ])('averages MTTA over the range: %s', (_, responseTimes, mean) => {
    expect(rangeMean(overview({ responseTimes }), 'mtta')).toBe(mean);
  });
});
