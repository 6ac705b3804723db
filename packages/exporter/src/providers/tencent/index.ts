import { TtlCache } from '../../cache.ts';
import { clientsPerAccount, eachMetric, eachRegionProduct, resolveRegions } from '../account-scope.ts';
import type { CollectRequest, Product, Provider } from '../provider.ts';
import { classifyTencent } from './classify.ts';
import { TencentApi } from './clients.ts';
import { discoverTencent, HOME_REGION, NAMESPACES } from './discovery.ts';
import { getMonitorData } from './monitor.ts';
import { type BaseMetric, minPeriod } from './period.ts';
import {
  type ListContext,
  listAllBuckets,
  listBwp,
  listClbVips,
  listGwlb,
  type TencentInstance,
  tagBuckets,
} from './resources.ts';

const instances = new TtlCache<TencentInstance[]>('tencent_resources', 3_600_000);
const buckets = new TtlCache<{ name: string; region: string }[]>('tencent_buckets', 3_600_000);
const baseMetrics = new TtlCache<BaseMetric[]>('tencent_metadata', 3_600_000);
const regionsCache = new TtlCache<string[]>('tencent_regions', 3_600_000);
const apiFor = clientsPerAccount((account) => new TencentApi(account));

function regionsOf(req: CollectRequest, api: TencentApi): Promise<string[]> {
  return resolveRegions(req, regionsCache, HOME_REGION, async () => {
    const r = (await req.calls.call('DescribeRegions', () =>
      api.call('cvm', 'DescribeRegions', HOME_REGION, {}),
    )) as {
      RegionSet?: { Region: string; RegionState?: string }[];
    };
    return (r.RegionSet ?? [])
      .filter((x) => !x.RegionState || x.RegionState === 'AVAILABLE')
      .map((x) => x.Region);
  });
}

async function listInstances(
  req: CollectRequest,
  api: TencentApi,
  resource: string,
  region: string,
): Promise<TencentInstance[]> {
  const ctx: ListContext = { api, calls: req.calls, region };
  return instances.getOrLoad(`${req.account.account_id}|${region}|${resource}`, async () => {
    switch (resource) {
      case 'clb':
        return listClbVips(ctx);
      case 'bwp':
        return listBwp(ctx);
      case 'gwlb':
        return listGwlb(ctx);
      case 'cos': {
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

/** Period per metric: group > product > the metric's smallest period (one DescribeBaseMetrics per namespace) > fallback. */
async function periodsFor(req: CollectRequest, api: TencentApi, product: Product, region: string) {
  let meta: BaseMetric[] | undefined;
  const load = async () => {
    meta ??= await baseMetrics.getOrLoad(`${req.account.account_id}|${product.namespace}`, async () => {
      const r = (await req.calls.call('DescribeBaseMetrics', () =>
        api.call('monitor', 'DescribeBaseMetrics', region, { Namespace: product.namespace }),
      )) as { MetricSet?: BaseMetric[] };
      return r.MetricSet ?? [];
    });
    return meta;
  };
  return async (metric: string, groupPeriod?: number): Promise<number> => {
    const explicit = groupPeriod ?? product.period;
    if (explicit) return explicit;
    try {
      return minPeriod(
        (await load()).find((m) => m.MetricName === metric),
        req.settings.periodFallback,
      );
    } catch {
      return req.settings.periodFallback;
    }
  };
}

async function collectProduct(
  req: CollectRequest,
  api: TencentApi,
  product: Product,
  region: string,
): Promise<number> {
  const ns = NAMESPACES[product.resource];
  if (!ns) return 0;
  const list = await listInstances(req, api, product.resource, region);
  if (!list.length) return 0;
  const byId = new Map(list.map((i) => [i.id, i]));
  const periodOf = await periodsFor(req, api, product, region);
  await eachMetric(req, product, region, async (metric, group) => {
    const values = await getMonitorData(api, req.calls, {
      region,
      namespace: product.namespace,
      metric,
      period: await periodOf(metric, group.period),
      dimension: ns.dimension,
      ids: [...byId.keys()],
      concurrency: 2,
    });
    for (const [id, value] of values) {
      req.emit({
        namespace: product.namespace,
        metric,
        region,
        resourceType: ns.type,
        resourceId: id,
        codeName: byId.get(id)?.codeName ?? '',
        value,
      });
    }
  });
  return list.length;
}

/** Tencent Cloud: CLB (per VIP), shared bandwidth packages, GWLB and COS through Cloud Monitor. */
export const tencentProvider: Provider = {
  cloud: 'tencent',
  resourceAliases: { clb: 'clb', lb: 'clb', bwp: 'bwp', gwlb: 'gwlb', s3: 'cos', cos: 'cos' },
  defaultResources: ['clb', 'bwp', 's3'],
  classify: classifyTencent,
  discover: discoverTencent,
  async collect(req) {
    for (const cache of [instances, buckets, baseMetrics, regionsCache])
      cache.setTtl(req.settings.discoveryTtlMs);
    const api = apiFor(req.account);
    // Regions are bounded by region_concurrency, unlike the public exporter, which started them all at once.
    await eachRegionProduct(req, await regionsOf(req, api), (product, region) =>
      collectProduct(req, api, product, region),
    );
  },
};
