import { chunk, mapLimit } from '@opsfleet/core';
import type { CloudCalls } from '../provider.ts';
import type { HuaweiApi } from './clients.ts';

/** `BatchListMetricData` takes at most 500 metric × instance entries per call. */
export const BATCH_LIMIT = 500;
/** CES aggregation periods; "1" (raw data) is left out: see cesPeriod. */
const PERIODS = [300, 1200, 3600, 14400, 86400];

export interface CesAsk {
  namespace: string;
  metric: string;
  dimension: { name: string; value: string };
}

const keyOf = (ns?: string, metric?: string, id?: string) => `${ns}|${metric}|${id}`;

/**
 * The largest aggregation period CES offers that does not exceed the wanted one, and at least
 * 300: raw data (period "1") holds a point only at each metric's own reporting interval, which a
 * window of one or two seconds almost never contains.
 */
export function cesPeriod(seconds: number): number {
  return PERIODS.filter((p) => p <= seconds).at(-1) ?? 300;
}

/**
 * The query window: daily capacity metrics look back 48 hours to catch the last daily point;
 * others ask for the period that ended one period ago, the newest one CES has aggregated.
 */
export function cesWindow(period: number, now = Date.now()): { from: number; to: number } {
  if (period >= 86_400) return { from: now - 48 * 3_600_000, to: now };
  return { from: now - 2 * period * 1000, to: now - period * 1000 };
}

/**
 * Answers every question with as few `BatchListMetricData` calls as the limit allows (batches
 * run `concurrency` at a time); a question's value is its newest datapoint's average. Returns
 * only the questions that had a datapoint.
 */
export async function batchListMetricData<A extends CesAsk>(
  api: HuaweiApi,
  calls: CloudCalls,
  scope: { region: string; projectId: string; period: number; concurrency: number },
  asks: A[],
): Promise<{ ask: A; value: number }[]> {
  const period = cesPeriod(scope.period);
  const client = api.client('ces', scope.region, scope.projectId);
  const batches = chunk(asks, BATCH_LIMIT);
  const answers = await mapLimit(batches, scope.concurrency, async (batch) => {
    const r = (await calls.call(
      'BatchListMetricData',
      () =>
        client.sendRequest({
          method: 'POST',
          url: '/V1.0/{project_id}/batch-query-metric-data',
          contentType: 'application/json',
          queryParams: {},
          pathParams: { project_id: scope.projectId },
          headers: {},
          data: {
            metrics: batch.map((a) => ({
              namespace: a.namespace,
              metric_name: a.metric,
              dimensions: [a.dimension],
            })),
            period: String(period),
            filter: 'average',
            ...cesWindow(period),
          },
        }),
      { attempts: 3 },
    )) as {
      metrics?: {
        namespace?: string;
        metric_name?: string;
        dimensions?: { name: string; value: string }[];
        datapoints?: { average?: number; timestamp: number }[];
      }[];
    };
    const newest = new Map<string, number>();
    for (const m of r.metrics ?? []) {
      const points = [...(m.datapoints ?? [])].sort((x, y) => x.timestamp - y.timestamp);
      const value = points.at(-1)?.average;
      const dim = m.dimensions?.[0];
      if (typeof value === 'number' && dim) newest.set(keyOf(m.namespace, m.metric_name, dim.value), value);
    }
    return batch.flatMap((ask) => {
      const value = newest.get(keyOf(ask.namespace, ask.metric, ask.dimension.value));
      return value === undefined ? [] : [{ ask, value }];
    });
  });
  return answers.flat();
}
