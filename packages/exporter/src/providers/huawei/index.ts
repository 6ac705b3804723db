import { TtlCache } from '../../cache.ts';
import { clientsPerAccount, eachRegionProduct } from '../account-scope.ts';
import type { CollectRequest, Product, Provider } from '../provider.ts';
import { batchListMetricData } from './ces.ts';
import { classifyHuawei } from './classify.ts';
import { HuaweiApi } from './clients.ts';
import { discoverHuawei, NAMESPACES, SKIPPED_OBS } from './discovery.ts';
import { type HuaweiInstance, listLoadBalancers } from './elb.ts';
import { projectOf, projects } from './projects.ts';

/**
 * `regions: ["*"]` means these regions: Huawei's project listing is per account and enabling a
 * region is rare, so the exporter keeps the public exporter's fixed list (no API call).
 */
export const HUAWEI_REGIONS = [
  'cn-north-4',
  'cn-north-1',
  'cn-east-3',
  'cn-east-2',
  'cn-south-1',
  'cn-southwest-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
];

const instances = new TtlCache<HuaweiInstance[]>('huawei_resources', 3_600_000);
const buckets = new TtlCache<{ name: string; region: string }[]>('huawei_buckets', 3_600_000);
const apiFor = clientsPerAccount((account) => new HuaweiApi(account));

async function listInstances(
  req: CollectRequest,
  api: HuaweiApi,
  resource: string,
  region: string,
  projectId: string,
): Promise<HuaweiInstance[]> {
  return instances.getOrLoad(`${req.account.account_id}|${region}|${resource}`, async () => {
    if (resource === 'elb') return listLoadBalancers(api, req.calls, region, projectId);
    const all = await buckets.getOrLoad(req.account.account_id, () =>
      req.calls.call('ListBuckets', () => api.listBuckets(), { attempts: 3 }),
    );
    return all
      .filter((b) => b.region.toLowerCase() === region.toLowerCase())
      .map((b) => ({ id: b.name, codeName: b.name }));
  });
}

async function collectProduct(
  req: CollectRequest,
  api: HuaweiApi,
  product: Product,
  region: string,
): Promise<number> {
  const ns = NAMESPACES[product.resource];
  if (!ns) return 0;
  const projectId = await projectOf(req.calls, api, req.account.account_id, region);
  const list = await listInstances(req, api, product.resource, region, projectId);
  if (!list.length) return 0;
  for (const group of product.groups) {
    const metrics = group.metrics.filter((m) => !SKIPPED_OBS.has(m));
    const asks = list.flatMap((inst) =>
      metrics.map((metric) => ({
        namespace: product.namespace,
        metric,
        dimension: { name: ns.dimension, value: inst.id },
        inst,
      })),
    );
    if (!asks.length) continue;
    const answers = await batchListMetricData(
      api,
      req.calls,
      {
        region,
        projectId,
        period: group.period ?? product.period ?? req.settings.periodFallback,
        concurrency: req.settings.metricConcurrency,
      },
      asks,
    );
    for (const { ask, value } of answers) {
      req.emit({
        namespace: product.namespace,
        metric: ask.metric,
        region,
        resourceType: ns.type,
        resourceId: ask.inst.id,
        codeName: ask.inst.codeName,
        value,
      });
    }
  }
  return list.length;
}

/** Huawei Cloud: ELB (v3) and OBS buckets through Cloud Eye `BatchListMetricData`. */
export const huaweiProvider: Provider = {
  cloud: 'huawei',
  resourceAliases: { clb: 'elb', elb: 'elb', s3: 'obs', obs: 'obs' },
  defaultResources: ['clb', 's3'],
  classify: classifyHuawei,
  discover: discoverHuawei,
  async collect(req) {
    for (const cache of [projects, instances, buckets]) cache.setTtl(req.settings.discoveryTtlMs);
    const api = apiFor(req.account);
    const regions = req.account.regions.includes('*') ? HUAWEI_REGIONS : req.account.regions;
    await eachRegionProduct(req, regions, (product, region) => collectProduct(req, api, product, region));
  },
};
