/**
 * The overview's answer shaped for its charts. The server leaves out empty buckets; a trend
 * drawn from those alone would join the points on either side of a quiet night, so every
 * bucket of the range is given a value here (zero counts, no mean).
 */
import { type AlertOverview, SEVERITIES } from './api/types.ts';

/** One point of a time series: bucket start (ms) and its value (null = nothing to average). */
export type Point = [number, number | null];

/** The start of every bucket in [from, to), oldest first, aligned on `from` as the server bins. */
export function bucketStarts(overview: Pick<AlertOverview, 'from' | 'to' | 'bucketSeconds'>): number[] {
  const from = Date.parse(overview.from);
  const to = Date.parse(overview.to);
  const step = overview.bucketSeconds * 1000;
  const starts: number[] = [];
  for (let t = from; t < to; t += step) starts.push(t);
  return starts;
}

function fill(starts: number[], values: Map<number, number | null>, empty: number | null): Point[] {
  return starts.map((t) => [t, values.has(t) ? (values.get(t) ?? null) : empty]);
}

/**
 * Episodes started per bucket, one series per severity that occurs, most severe first; a
 * severity the console does not know comes after the known ones.
 */
export function startedBySeverity(overview: AlertOverview): { severity: string; points: Point[] }[] {
  const starts = bucketStarts(overview);
  const bySeverity = new Map<string, Map<number, number>>();
  for (const b of overview.started) {
    const counts = bySeverity.get(b.severity) ?? new Map<number, number>();
    counts.set(Date.parse(b.at), (counts.get(Date.parse(b.at)) ?? 0) + b.count);
    bySeverity.set(b.severity, counts);
  }
  const rank = (s: string) => {
    const i = (SEVERITIES as readonly string[]).indexOf(s);
    return i < 0 ? SEVERITIES.length : i;
  };
  return [...bySeverity.keys()]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((severity) => ({ severity, points: fill(starts, bySeverity.get(severity)!, 0) }));
}

/** MTTA and MTTR per bucket in minutes; a bucket with no acknowledgement (resolution) has none. */
export function responseTrend(overview: AlertOverview): { mtta: Point[]; mttr: Point[] } {
  const starts = bucketStarts(overview);
  const minutes = (s: number | null) => (s === null ? null : Math.round((s / 60) * 10) / 10);
  const mtta = new Map<number, number | null>();
  const mttr = new Map<number, number | null>();
  for (const r of overview.responseTimes) {
    mtta.set(Date.parse(r.at), minutes(r.mttaSeconds));
    mttr.set(Date.parse(r.at), minutes(r.mttrSeconds));
  }
  return { mtta: fill(starts, mtta, null), mttr: fill(starts, mttr, null) };
}

/** Failed delivery attempts per bucket, zero where none failed. */
export function failedDeliveries(overview: AlertOverview): Point[] {
  const counts = new Map(overview.deliveries.failed.map((b) => [Date.parse(b.at), b.count] as const));
  return fill(bucketStarts(overview), counts, 0);
}

/** The mean over the whole range, weighted by how many each bucket's mean stands for. */
export function rangeMean(overview: AlertOverview, which: 'mtta' | 'mttr'): number | null {
  let total = 0;
  let n = 0;
  for (const r of overview.responseTimes) {
    const mean = which === 'mtta' ? r.mttaSeconds : r.mttrSeconds;
    const count = which === 'mtta' ? r.acknowledged : r.resolved;
    if (mean === null || count === 0) continue;
    total += mean * count;
    n += count;
  }
  return n === 0 ? null : total / n;
}
