import { chunk } from '@opsfleet/core';
import type { TtlCache } from '../../cache.ts';
import type { CloudCalls } from '../provider.ts';
import type { AliyunApi } from './client.ts';
import { nextPage, type PagingState } from './paging.ts';

export interface MetricMeta {
  name: string;
  /** Dimension keys without `userId` (every CMS metric has it; it never identifies a resource). */
  dimensions: string[];
  periods: number[];
  statistics: string[];
}

interface RawMeta {
  MetricName?: string;
  Dimensions?: string;
  Periods?: string;
  Statistics?: string;
}

const csv = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export function parseMeta(raw: RawMeta): MetricMeta {
  return {
    name: raw.MetricName ?? '',
    dimensions: csv(raw.Dimensions).filter((d) => d !== 'userId'),
    periods: csv(raw.Periods)
      .map(Number)
      .filter((n) => Number.isFinite(n) && n > 0),
    statistics: csv(raw.Statistics),
  };
}

/** Every metric's metadata of a namespace (`DescribeMetricMetaList`, paged), cached per account. */
export async function namespaceMeta(
  api: AliyunApi,
  calls: CloudCalls,
  cache: TtlCache<MetricMeta[]>,
  accountId: string,
  namespace: string,
  region: string,
): Promise<Map<string, MetricMeta>> {
  const list = await cache.getOrLoad(`${accountId}|${namespace}`, async () => {
    const out: MetricMeta[] = [];
    for (let page = 1; page <= 50; page++) {
      const body = await calls.call(
        'DescribeMetricMetaList',
        () =>
          api.call<{ Resources?: { Resource?: RawMeta[] }; TotalCount?: number | string }>(
            'cms',
            'DescribeMetricMetaList',
            region,
            {
              Namespace: namespace,
              PageSize: 100,
              PageNumber: page,
            },
          ),
        { attempts: 5 },
      );
      const items = body.Resources?.Resource ?? [];
      out.push(...items.map(parseMeta));
      if (items.length < 100 || out.length >= Number(body.TotalCount ?? 0)) break;
    }
    return out;
  });
  return new Map(list.map((m) => [m.name, m]));
}

/** The value of a datapoint: the first statistic of the metadata order that is present. */
export function pickValue(point: Record<string, unknown>, statistics: string[]): number | undefined {
  for (const stat of [...statistics, 'Average', 'Maximum', 'Minimum', 'Value', 'Sum']) {
    const v = point[stat];
    if (v === undefined || v === null || v === '') continue;
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

export interface LastQuery {
  region: string;
  namespace: string;
  metric: string;
  period: number;
  length?: number;
  dimensions: Record<string, string>[];
}

/**
 * `DescribeMetricLast` for any number of dimension sets: batches of 50 (the API's limit), each
 * batch paged by NextToken under the paging guards.
 */
export async function describeMetricLast(
  api: AliyunApi,
  calls: CloudCalls,
  q: LastQuery,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const batch of chunk(q.dimensions, 50)) {
    let token: string | undefined;
    let state: PagingState = { pages: 0, emptyStreak: 0 };
    for (;;) {
      const body = await calls.call(
        'DescribeMetricLast',
        () =>
          api.call<{ Datapoints?: string; NextToken?: string }>('cms', 'DescribeMetricLast', q.region, {
            Namespace: q.namespace,
            MetricName: q.metric,
            Period: String(q.period),
            Length: q.length === undefined ? undefined : String(q.length),
            Dimensions: JSON.stringify(batch),
            NextToken: token,
          }),
        { attempts: 5 },
      );
      const points = body.Datapoints ? (JSON.parse(body.Datapoints) as Record<string, unknown>[]) : [];
      out.push(...points);
      const step = nextPage(state, body.NextToken, points.length);
      if ('stop' in step) break;
      token = step.next;
      state = step.state;
    }
  }
  return out;
}
