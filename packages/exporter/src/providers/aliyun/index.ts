import { TtlCache } from '../../cache.ts';
import { clientsPerAccount, eachMetric, eachRegionProduct, resolveRegions } from '../account-scope.ts';
import type { CollectRequest, MetricGroup, Product, Provider } from '../provider.ts';
import { classifyAliyun } from './classify.ts';
import { AliyunApi } from './client.ts';
import { describeMetricLast, type MetricMeta, namespaceMeta, pickValue } from './cms.ts';
import { discoverAliyun, HOME_REGION, RESOURCE_TYPE } from './discovery.ts';
import { utilisationSamples } from './estimate.ts';
import {
  type AliyunResource,
  type ListContext,
  listAlbNlb,
  listAllBuckets,
  listCbwp,
  listClb,
  listGwlb,
  loadListeners,
  tagBuckets,
} from './resources.ts';

const resources = new TtlCache<AliyunResource[]>('aliyun_resources', 3_600_000);
const buckets = new TtlCache<{ name: string; region: string }[]>('aliyun_buckets', 3_600_000);
const metadata = new TtlCache<MetricMeta[]>('aliyun_metadata', 3_600_000);
const regionsCache = new TtlCache<string[]>('aliyun_regions', 3_600_000);
const apiFor = clientsPerAccount((account) => new AliyunApi(account));

async function listResources(
  req: CollectRequest,
  api: AliyunApi,
  resource: string,
  region: string,
): Promise<AliyunResource[]> {
  const ctx: ListContext = { api, calls: req.calls, region, pageSize: req.settings.pageSize };
  const key = `${req.account.account_id}|${region}|${resource}`;
  return resources.getOrLoad(key, async () => {
    switch (resource) {
      case 'clb':
        return listClb(ctx);
      case 'cbwp':
        return listCbwp(ctx);
      case 'alb':
      case 'nlb':
        return listAlbNlb(ctx, resource);
      case 'gwlb':
        return listGwlb(ctx);
      case 'oss': {
        const all = await buckets.getOrLoad(req.account.account_id, () => listAllBuckets(api, req.calls));
        return tagBuckets(
          ctx,
          all.filter((b) => b.region === region).map((b) => b.name),
        );
      }
      default:
        return [];
    }
  });
}

const listenerLoads = new WeakMap<AliyunResource[], Promise<void>>();

/** Loads the listeners of a cached LB list once, the first time a per-listener metric needs them. */
function listenersOnce(
  req: CollectRequest,
  api: AliyunApi,
  list: AliyunResource[],
  region: string,
): Promise<void> {
  let load = listenerLoads.get(list);
  if (!load) {
    load = loadListeners({ api, calls: req.calls, region, pageSize: req.settings.pageSize }, list);
    listenerLoads.set(list, load);
  }
  return load;
}

/** The dimension that names the resource: the first configured candidate the metric has. */
function idKey(meta: MetricMeta, candidates: string[]): string | undefined {
  for (const c of candidates) {
    const hit = meta.dimensions.find((d) => d.toLowerCase() === c.toLowerCase());
    if (hit && !['userid', 'port', 'protocol', 'vip'].includes(hit.toLowerCase())) return hit;
  }
  return undefined;
}

function periodFor(group: MetricGroup, product: Product, meta: MetricMeta, fallback: number): number {
  return group.period ?? product.period ?? (meta.periods.length ? Math.min(...meta.periods) : fallback);
}

async function collectProduct(
  req: CollectRequest,
  api: AliyunApi,
  product: Product,
  region: string,
): Promise<number> {
  const list = await listResources(req, api, product.resource, region);
  if (!list.length) return 0;
  const byId = new Map(list.map((r) => [r.id, r]));
  const metas = await namespaceMeta(
    api,
    req.calls,
    metadata,
    req.account.account_id,
    product.namespace,
    region,
  );
  const candidates = req.settings.resourceDimMapping[`aliyun.${product.namespace}`] ?? ['instanceId'];
  await eachMetric(req, product, region, async (metric, group) => {
    const meta = metas.get(metric);
    if (!meta) return;
    const key = idKey(meta, candidates);
    if (!key) return;
    const fanOut = product.resource === 'clb' && meta.dimensions.includes('port');
    if (fanOut) await listenersOnce(req, api, list, region);
    const withProtocol = meta.dimensions.includes('protocol');
    const dimensions = list.flatMap((r) =>
      fanOut && r.listeners?.length
        ? r.listeners.map((l) => ({
            [key]: r.id,
            port: l.port,
            ...(withProtocol ? { protocol: l.protocol } : {}),
          }))
        : [{ [key]: r.id }],
    );
    const points = await describeMetricLast(api, req.calls, {
      region,
      namespace: product.namespace,
      metric,
      period: periodFor(group, product, meta, req.settings.periodFallback),
      length: req.settings.pageSize,
      dimensions,
    });
    for (const point of points) {
      const res = byId.get(String(point[key] ?? ''));
      const value = pickValue(point, meta.statistics);
      if (!res || value === undefined) continue;
      const dims: Record<string, string> = {};
      for (const d of meta.dimensions)
        if (d !== key && point[d] !== undefined && point[d] !== null) dims[d] = String(point[d]);
      const sample = {
        namespace: product.namespace,
        metric,
        region,
        resourceType: RESOURCE_TYPE[product.resource] ?? product.resource,
        resourceId: res.id,
        codeName: res.codeName,
        dimensions: dims,
        value,
      };
      req.emit(sample);
      for (const u of utilisationSamples(sample, res, req.settings.estimation)) req.emit(u);
    }
  });
  return list.length;
}

/**
 * Aliyun: CLB/SLB (with listener fan-out), ALB, NLB, GWLB, shared bandwidth packages and OSS,
 * read through CMS `DescribeMetricLast`.
 */
export const aliyunProvider: Provider = {
  cloud: 'aliyun',
  resourceAliases: {
    clb: 'clb',
    slb: 'clb',
    alb: 'alb',
    nlb: 'nlb',
    gwlb: 'gwlb',
    bwp: 'cbwp',
    cbwp: 'cbwp',
    s3: 'oss',
    oss: 'oss',
  },
  defaultResources: ['bwp', 'clb', 's3', 'alb', 'nlb', 'gwlb'],
  classify: classifyAliyun,
  discover: discoverAliyun,
  async collect(req) {
    for (const cache of [resources, buckets, metadata, regionsCache])
      cache.setTtl(req.settings.discoveryTtlMs);
    const api = apiFor(req.account);
    const regions = await resolveRegions(req, regionsCache, HOME_REGION, async () => {
      const body = await req.calls.call('DescribeRegions', () =>
        api.call<{ Regions?: { Region?: { RegionId: string }[] } }>(
          'ecs',
          'DescribeRegions',
          HOME_REGION,
          {},
        ),
      );
      return (body.Regions?.Region ?? []).map((r) => r.RegionId).filter(Boolean);
    });
    await eachRegionProduct(req, regions, (product, region) => collectProduct(req, api, product, region));
  },
};
