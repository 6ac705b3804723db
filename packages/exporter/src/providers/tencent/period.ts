/** One entry of `DescribeBaseMetrics.MetricSet`, in the shapes the API has used over time. */
export interface BaseMetric {
  MetricName?: string;
  Period?: number | string | (number | string)[];
  Periods?: (number | string | { Period?: number | string })[];
}

/**
 * The period to query a metric with: the smallest period the metric supports (`Periods`, as
 * numbers, strings or `{Period}` objects; else `Period`), or the fallback when the metadata
 * has none.
 */
export function minPeriod(meta: BaseMetric | undefined, fallback: number): number {
  const values = (meta?.Periods ?? [])
    .map((p) => Number(typeof p === 'object' && p !== null ? p.Period : p))
    .filter((n) => Number.isFinite(n) && n > 0);
  if (values.length) return Math.min(...values);
  const single = ([] as (number | string)[])
    .concat(meta?.Period ?? [])
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
  if (single.length) return Math.min(...single);
  return fallback;
}

/**
 * The query window: daily capacity metrics look back 48 hours (they land once a day); other
 * COS metrics read the previous complete period; load balancer and bandwidth metrics the last two
 * periods, whose older one has always ended (a point appears once its period is over, so the
 * last period alone holds one only when `now` falls on a boundary).
 */
export function queryWindow(period: number, namespace: string, now: number): { start: Date; end: Date } {
  if (period >= 86_400) return { start: new Date(now - 48 * 3_600_000), end: new Date(now) };
  if (namespace.toLowerCase() === 'qce/cos')
    return { start: new Date(now - 2 * period * 1000), end: new Date(now - period * 1000) };
  return { start: new Date(now - 2 * period * 1000), end: new Date(now) };
}
