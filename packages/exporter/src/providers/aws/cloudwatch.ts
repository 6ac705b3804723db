import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { chunk, mapLimit } from '@opsfleet/core';
import type { CloudCalls } from '../provider.ts';
import type { AwsApi } from './clients.ts';
import { statisticFor } from './statistics.ts';

export interface MetricAsk {
  namespace: string;
  metric: string;
  dimensions: { Name: string; Value: string }[];
  period: number;
}

/**
 * Answers many metric questions with as few GetMetricData calls as the API allows: 500
 * queries per call (calls `concurrency` at a time), NextToken followed; values are the newest
 * datapoint, Sum turned into a rate.
 * Returns the questions that got an answer, with it; the others have no datapoint.
 */
export async function getMetricData<A extends MetricAsk>(
  api: AwsApi,
  calls: CloudCalls,
  region: string,
  asks: A[],
  window: { start: Date; end: Date },
  concurrency: number,
): Promise<{ ask: A; value: number }[]> {
  const out = new Array<number | undefined>(asks.length);
  await mapLimit(chunk(asks, 500), concurrency, async (batch, batchNo) => {
    const queries: MetricDataQuery[] = batch.map((a, i) => ({
      Id: `q${batchNo * 500 + i}`,
      MetricStat: {
        Metric: { Namespace: a.namespace, MetricName: a.metric, Dimensions: a.dimensions },
        Period: a.period,
        Stat: statisticFor(a.metric).stat,
      },
    }));
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await calls.call(
        'GetMetricData',
        () =>
          api.getMetricData(region, {
            MetricDataQueries: queries,
            StartTime: window.start,
            EndTime: window.end,
            ScanBy: 'TimestampDescending',
            NextToken: token,
          }),
        { attempts: 3 },
      );
      for (const r of res.MetricDataResults ?? []) {
        const index = Number(r.Id?.slice(1));
        const ask = asks[index];
        const value = r.Values?.[0];
        if (!ask || value === undefined) continue;
        out[index] = statisticFor(ask.metric).perSecond ? value / ask.period : value;
      }
      if (!res.NextToken || res.NextToken === token) break;
      token = res.NextToken;
    }
  });
  return asks.flatMap((ask, i) => (out[i] === undefined ? [] : [{ ask, value: out[i]! }]));
}
