/**
 * When a cloud has a datapoint. A metric is reported every `native` seconds: a raw point stamped
 * t (a multiple of the native period) covers [t, t + native) and is published when that interval
 * has ended. A query at an aggregation `period` gets one point per period-aligned bucket that holds
 * at least one published raw point and has itself ended; a bucket finer than the native period
 * holds a point only where a raw point falls in it. Nothing is invented between raw points, so a
 * query whose window holds no such bucket gets no datapoint, as on the real clouds.
 */
export interface PointQuery {
  /** Seconds between the raw points the cloud keeps for the metric. */
  native: number;
  /** Seconds per aggregated point the caller asked for. */
  period: number;
  /** Window in ms: buckets starting at or after `from`… */
  from: number;
  /** …and before `to` (or at `to` when `toInclusive`, as Tencent reads EndTime). */
  to: number;
  toInclusive?: boolean;
  now: number;
}

/** Buckets at most enumerated per query; every cloud caps its answers far below this. */
const MAX_BUCKETS = 100_000;

/** Start times (ms, ascending) of the buckets of the window that have a datapoint. */
export function pointTimes(q: PointQuery): number[] {
  const native = q.native * 1000;
  const period = q.period * 1000;
  if (!(native > 0 && period > 0) || !(q.from <= q.to)) return [];
  const inWindow = (t: number) => t >= q.from && (q.toInclusive ? t <= q.to : t < q.to);
  const out: number[] = [];
  if (period >= native) {
    for (let b = Math.ceil(q.from / period) * period; inWindow(b) && out.length < MAX_BUCKETS; b += period) {
      const firstRaw = Math.ceil(b / native) * native;
      if (firstRaw < b + period && firstRaw + native <= q.now && b + period <= q.now) out.push(b);
    }
    return out;
  }
  // Finer than the data: walk the raw points and keep the bucket each falls in.
  for (let t = Math.floor(q.from / native) * native; t <= q.to && out.length < MAX_BUCKETS; t += native) {
    const b = Math.floor(t / period) * period;
    if (inWindow(b) && t + native <= q.now && b + period <= q.now && out.at(-1) !== b) out.push(b);
  }
  return out;
}

/** The newest bucket that has a datapoint at or before `now` (no window: "the latest value"). */
export function latestPoint(native: number, period: number, now: number): number | undefined {
  const span = Math.max(native, period) * 3000;
  return pointTimes({ native, period, from: now - span, to: now, now }).at(-1);
}
