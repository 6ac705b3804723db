import { mapLimit } from '@opsfleet/core';
import type { CloudCalls } from '../provider.ts';
import type { TencentApi } from './clients.ts';

/** One monitored instance: the id GetMonitorData is asked with, and its CodeName. */
export interface TencentInstance {
  id: string;
  codeName: string;
}

export type ListContext = { api: TencentApi; calls: CloudCalls; region: string };

type Tag = { TagKey?: string; TagValue?: string; Key?: string; Value?: string };
function codeName(tags: Tag[] | undefined): string {
  for (const t of tags ?? [])
    if (/^(codename|code_name)$/i.test(t.TagKey ?? t.Key ?? '')) return t.TagValue ?? t.Value ?? '';
  return '';
}

/** Offset/Limit paging (100 per page, the API's maximum). */
async function paged<T>(
  ctx: ListContext,
  api: string,
  fetch: (offset: number) => Promise<{ total: number; items: T[] }>,
): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += 100) {
    const { total, items } = await ctx.calls.call(api, () => fetch(offset));
    out.push(...items);
    if (items.length < 100 || out.length >= total) return out;
  }
}

/** CLB instances are monitored per VIP, as the public exporter reported them. */
export async function listClbVips(ctx: ListContext): Promise<TencentInstance[]> {
  const lbs = await paged(ctx, 'DescribeLoadBalancers', async (offset) => {
    const r = (await ctx.api.call('clb', 'DescribeLoadBalancers', ctx.region, {
      Offset: offset,
      Limit: 100,
    })) as {
      TotalCount?: number;
      LoadBalancerSet?: { LoadBalancerVips?: string[]; Tags?: Tag[] }[];
    };
    return { total: r.TotalCount ?? 0, items: r.LoadBalancerSet ?? [] };
  });
  return lbs.flatMap((lb) =>
    (lb.LoadBalancerVips ?? []).map((vip) => ({ id: vip, codeName: codeName(lb.Tags) })),
  );
}

export async function listBwp(ctx: ListContext): Promise<TencentInstance[]> {
  const items = await paged(ctx, 'DescribeBandwidthPackages', async (offset) => {
    const r = (await ctx.api.call('vpc', 'DescribeBandwidthPackages', ctx.region, {
      Offset: offset,
      Limit: 100,
    })) as {
      TotalCount?: number;
      BandwidthPackageSet?: { BandwidthPackageId: string; Tags?: Tag[] }[];
    };
    return { total: r.TotalCount ?? 0, items: r.BandwidthPackageSet ?? [] };
  });
  return items.map((b) => ({ id: b.BandwidthPackageId, codeName: codeName(b.Tags) }));
}

/** Gateway load balancers that reported connections in the last five minutes (no listing API is used). */
export async function listGwlb(ctx: ListContext): Promise<TencentInstance[]> {
  const now = Date.now();
  const r = (await ctx.calls.call('GetMonitorData', () =>
    ctx.api.call('monitor', 'GetMonitorData', ctx.region, {
      Namespace: 'qce/gwlb',
      MetricName: 'ConcurConn',
      Period: 60,
      StartTime: new Date(now - 5 * 60_000).toISOString(),
      EndTime: new Date(now).toISOString(),
    }),
  )) as { DataPoints?: { Dimensions?: { Name: string; Value: string }[] }[] };
  const ids = new Set(
    (r.DataPoints ?? [])
      .map((p) => p.Dimensions?.find((d) => d.Name === 'gwLoadBalancerId')?.Value ?? '')
      .filter(Boolean),
  );
  return [...ids].map((id) => ({ id, codeName: '' }));
}

function cosCall<T>(fn: (cb: (err: unknown, data: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    fn((err, data) => (err ? reject(normaliseCosError(err)) : resolve(data))),
  );
}

/** COS callback errors are plain objects; make them Errors that carry the COS code. */
function normaliseCosError(err: unknown): Error {
  const e = err as {
    code?: string;
    message?: string;
    statusCode?: number;
    error?: { Code?: string; Message?: string };
  };
  const code = e.code ?? e.error?.Code ?? 'CosError';
  return Object.assign(new Error(`${code}: ${e.message ?? e.error?.Message ?? ''}`), {
    code,
    statusCode: e.statusCode,
  });
}

/** Every bucket of the account with its region (GET Service is global). */
export async function listAllBuckets(
  api: TencentApi,
  calls: CloudCalls,
): Promise<{ name: string; region: string }[]> {
  const data = await calls.call('GetService', () =>
    cosCall<{ Buckets?: { Name: string; Location: string }[] }>((cb) => api.cos().getService({}, cb)),
  );
  return (data.Buckets ?? []).map((b) => ({ name: b.Name, region: b.Location }));
}

/** The region's buckets with their CodeName tag. */
export async function tagBuckets(ctx: ListContext, names: string[]): Promise<TencentInstance[]> {
  type Tagging = { Tags?: { Key: string; Value: string }[] };
  return mapLimit(names, 5, async (name) => {
    const data = await ctx.calls.call('GetBucketTagging', () =>
      cosCall<Tagging>((cb) =>
        ctx.api.cos().getBucketTagging({ Bucket: name, Region: ctx.region }, cb),
      ).catch((err) => {
        // A bucket without tags answers NoSuchTagSet: that is an answer, not a failure.
        if ((err as { code?: string }).code === 'NoSuchTagSet') return { Tags: [] } as Tagging;
        throw err;
      }),
    );
    return { id: name, codeName: codeName(data.Tags) };
  });
}
