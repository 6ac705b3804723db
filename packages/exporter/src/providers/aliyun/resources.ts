import { mapLimit } from '@opsfleet/core';
import type { CloudCalls } from '../provider.ts';
import type { AliyunApi } from './client.ts';

/** One resource as the collector needs it: id, CodeName tag, capacity tag, listeners. */
export interface AliyunResource {
  id: string;
  codeName: string;
  capBps?: number;
  listeners?: { port: string; protocol: string }[];
}

export type ListContext = { api: AliyunApi; calls: CloudCalls; region: string; pageSize?: number };

type TagLike = { TagKey?: string; TagValue?: string; Key?: string; Value?: string };

/** The `CodeName` tag (any case, or `code_name`) and the `BandwidthCapBps` tag of a tag list. */
export function readTags(tags: TagLike[] | undefined): { codeName: string; capBps?: number } {
  let codeName = '';
  let capBps: number | undefined;
  for (const t of tags ?? []) {
    const key = (t.TagKey ?? t.Key ?? '').toLowerCase();
    const value = t.TagValue ?? t.Value ?? '';
    if (key === 'codename' || key === 'code_name') codeName = value;
    if (key === 'bandwidthcapbps' && Number(value) > 0) capBps = Number(value);
  }
  return { codeName, capBps };
}

/** SLB/CLB: `DescribeLoadBalancers` pages. */
export async function listClb(ctx: ListContext): Promise<AliyunResource[]> {
  const size = Math.min(100, ctx.pageSize ?? 100);
  const lbs: AliyunResource[] = [];
  for (let page = 1; ; page++) {
    const body = await ctx.calls.call('DescribeLoadBalancers', () =>
      ctx.api.call<{
        TotalCount?: number;
        LoadBalancers?: { LoadBalancer?: { LoadBalancerId: string; Tags?: { Tag?: TagLike[] } }[] };
      }>('slb', 'DescribeLoadBalancers', ctx.region, { PageSize: size, PageNumber: page }),
    );
    const items = body.LoadBalancers?.LoadBalancer ?? [];
    lbs.push(...items.map((lb) => ({ id: lb.LoadBalancerId, ...readTags(lb.Tags?.Tag) })));
    if (items.length < size || lbs.length >= Number(body.TotalCount ?? 0)) break;
  }
  return lbs;
}

/** Listener port and protocol of each LB (`DescribeLoadBalancerAttribute`, 5 at a time), for per-listener series. */
export async function loadListeners(ctx: ListContext, lbs: AliyunResource[]): Promise<void> {
  await mapLimit(lbs, 5, async (lb) => {
    const attr = await ctx.calls.call('DescribeLoadBalancerAttribute', () =>
      ctx.api.call<{
        ListenerPortsAndProtocol?: {
          ListenerPortAndProtocol?: { ListenerPort: number; ListenerProtocol: string }[];
        };
      }>('slb', 'DescribeLoadBalancerAttribute', ctx.region, { LoadBalancerId: lb.id }),
    );
    lb.listeners = (attr.ListenerPortsAndProtocol?.ListenerPortAndProtocol ?? []).map((l) => ({
      port: String(l.ListenerPort),
      protocol: l.ListenerProtocol,
    }));
  });
}

/** Shared bandwidth packages: `DescribeCommonBandwidthPackages` (at most 50 per page). */
export async function listCbwp(ctx: ListContext): Promise<AliyunResource[]> {
  const size = Math.min(50, ctx.pageSize ?? 50);
  const out: AliyunResource[] = [];
  for (let page = 1; ; page++) {
    const body = await ctx.calls.call('DescribeCommonBandwidthPackages', () =>
      ctx.api.call<{
        TotalCount?: number;
        CommonBandwidthPackages?: {
          CommonBandwidthPackage?: { BandwidthPackageId: string; Tags?: { Tag?: TagLike[] } }[];
        };
      }>('vpc', 'DescribeCommonBandwidthPackages', ctx.region, { PageSize: size, PageNumber: page }),
    );
    const items = body.CommonBandwidthPackages?.CommonBandwidthPackage ?? [];
    out.push(...items.map((b) => ({ id: b.BandwidthPackageId, ...readTags(b.Tags?.Tag) })));
    if (items.length < size || out.length >= Number(body.TotalCount ?? 0)) break;
  }
  return out;
}

/** ALB and NLB: `ListLoadBalancers` with MaxResults/NextToken. */
export async function listAlbNlb(ctx: ListContext, product: 'alb' | 'nlb'): Promise<AliyunResource[]> {
  const out: AliyunResource[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const body = await ctx.calls.call('ListLoadBalancers', () =>
      ctx.api.call<{ NextToken?: string; LoadBalancers?: { LoadBalancerId: string; Tags?: TagLike[] }[] }>(
        product,
        'ListLoadBalancers',
        ctx.region,
        { MaxResults: Math.min(100, ctx.pageSize ?? 100), NextToken: token },
      ),
    );
    out.push(...(body.LoadBalancers ?? []).map((lb) => ({ id: lb.LoadBalancerId, ...readTags(lb.Tags) })));
    if (!body.NextToken || body.NextToken === token) break;
    token = body.NextToken;
  }
  return out;
}

/** GWLB has no listing API the exporter may rely on: the instances that reported `ActiveConnection` in the last 5 minutes. */
export async function listGwlb(ctx: ListContext): Promise<AliyunResource[]> {
  const end = Date.now();
  const body = await ctx.calls.call('DescribeMetricList', () =>
    ctx.api.call<{ Datapoints?: string }>('cms', 'DescribeMetricList', ctx.region, {
      Namespace: 'acs_gwlb',
      MetricName: 'ActiveConnection',
      Period: '60',
      StartTime: String(end - 5 * 60_000),
      EndTime: String(end),
      Length: '1000',
    }),
  );
  const points = body.Datapoints ? (JSON.parse(body.Datapoints) as Record<string, unknown>[]) : [];
  const ids = new Set(points.map((p) => String(p.instanceId ?? p.InstanceId ?? '')).filter(Boolean));
  return [...ids].map((id) => ({ id, codeName: '' }));
}

/** Every bucket of the account with its location, once per account (OSS `ListBuckets` is global). */
export async function listAllBuckets(
  api: AliyunApi,
  calls: CloudCalls,
): Promise<{ name: string; region: string }[]> {
  const client = api.oss('cn-hangzhou');
  const out: { name: string; region: string }[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await calls.call('ListBuckets', () =>
      client.listBuckets({ 'max-keys': 1000, ...(marker ? { marker } : {}) } as Record<string, unknown>),
    );
    for (const b of (res.buckets ?? []) as { name: string; region: string }[]) {
      out.push({ name: b.name, region: b.region.replace(/^oss-/, '') });
    }
    if (!res.isTruncated || !res.nextMarker) break;
    marker = res.nextMarker;
  }
  return out;
}

/** The buckets of one region with their CodeName tag (`GetBucketTagging`, 5 at a time). */
export async function tagBuckets(ctx: ListContext, names: string[]): Promise<AliyunResource[]> {
  const client = ctx.api.oss(ctx.region);
  return mapLimit(names, 5, async (name) => {
    const res = await ctx.calls.call('GetBucketTagging', () => client.getBucketTags(name));
    const tags = Object.entries((res.tag ?? {}) as Record<string, string>).map(([Key, Value]) => ({
      Key,
      Value,
    }));
    return { id: name, ...readTags(tags) };
  });
}
