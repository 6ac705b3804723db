import { chunk, mapLimit } from '@opsfleet/core';
import type { CloudCalls } from '../provider.ts';
import type { TencentApi } from './clients.ts';
import { queryWindow } from './period.ts';

export interface MonitorQuery {
  region: string;
  namespace: string;
  metric: string;
  period: number;
  /** The instance dimension (`vip`, `bandwidthPackageId`, `gwLoadBalancerId`, `bucket`). */
  dimension: string;
  ids: string[];
  concurrency: number;
}

/** The last non-null value of a datapoint series; undefined when the last value is null or missing. */
export function lastValue(values: (number | null | undefined)[] | undefined): number | undefined {
  const v = values?.at(-1);
  return v === null || v === undefined || !Number.isFinite(Number(v)) ? undefined : Number(v);
}

/** GetMonitorData for any number of instances, at most 10 per call (the API's limit). */
export async function getMonitorData(
  api: TencentApi,
  calls: CloudCalls,
  q: MonitorQuery,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const { start, end } = queryWindow(q.period, q.namespace, Date.now());
  await mapLimit(chunk(q.ids, 10), q.concurrency, async (batch) => {
    const r = (await calls.call('GetMonitorData', () =>
      api.call('monitor', 'GetMonitorData', q.region, {
        Namespace: q.namespace,
        MetricName: q.metric,
        Period: q.period,
        StartTime: start.toISOString(),
        EndTime: end.toISOString(),
        Instances: batch.map((id) => ({ Dimensions: [{ Name: q.dimension, Value: id }] })),
      }),
    )) as { DataPoints?: { Dimensions?: { Name: string; Value: string }[]; Values?: (number | null)[] }[] };
    for (const point of r.DataPoints ?? []) {
      const id = point.Dimensions?.find((d) => d.Name === q.dimension)?.Value;
      const value = lastValue(point.Values);
      if (id !== undefined && value !== undefined) out.set(id, value);
    }
  });
  return out;
}
