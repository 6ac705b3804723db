import { defaultMappingPath, loadMappings } from '../../mappings/catalog.ts';
import type { DiscoverRequest, Product } from '../provider.ts';
import { AliyunApi } from './client.ts';
import { parseMeta } from './cms.ts';

/** Collected resource key → CMS namespace. */
export const NAMESPACES: Record<string, string> = {
  cbwp: 'acs_bandwidth_package',
  clb: 'acs_slb_dashboard',
  alb: 'acs_alb',
  nlb: 'acs_nlb',
  gwlb: 'acs_gwlb',
  oss: 'acs_oss_dashboard',
};

export const HOME_REGION = 'cn-hangzhou';

/** Unified resource_type label of each resource key. */
export const RESOURCE_TYPE: Record<string, string> = {
  cbwp: 'bwp',
  clb: 'clb',
  alb: 'alb',
  nlb: 'nlb',
  gwlb: 'gwlb',
  oss: 's3',
};

let builtIn: Map<string, string[]> | undefined;

/**
 * The built-in metric list per namespace: every Aliyun metric the shipped catalog maps to a
 * canonical name, so the unified series exist even when the metadata API is unavailable.
 */
export function builtInMetrics(): Map<string, string[]> {
  if (!builtIn) {
    builtIn = new Map();
    const { catalog } = loadMappings(defaultMappingPath());
    const nsOf = new Map(Object.values(NAMESPACES).map((ns) => [ns, ns]));
    for (const entry of catalog.entries()) {
      const metric = entry.vendors.aliyun?.metric;
      const ns = Object.values(NAMESPACES).find((n) => catalog.prefixFor(n) === entry.prefix && nsOf.has(n));
      if (!metric || !ns) continue;
      builtIn.set(ns, [...(builtIn.get(ns) ?? []), metric]);
    }
  }
  return builtIn;
}

/**
 * Products for the requested resources: the metric names `DescribeMetricMetaList` reports
 * whose dimensions include a key that identifies the resource, unioned with the built-in list.
 * A failing metadata call leaves the built-in list alone.
 */
export async function discoverAliyun(req: DiscoverRequest): Promise<Product[]> {
  const api = new AliyunApi(req.account);
  const region = req.account.regions.find((r) => r !== '*') ?? HOME_REGION;
  const products: Product[] = [];
  for (const resource of req.resources) {
    const namespace = NAMESPACES[resource];
    if (!namespace) continue;
    const names = new Set(builtInMetrics().get(namespace) ?? []);
    const keys = (req.settings.resourceDimMapping[`aliyun.${namespace}`] ?? ['instanceId']).map((k) =>
      k.toLowerCase(),
    );
    try {
      const body = await req.calls.call(
        'DescribeMetricMetaList',
        () =>
          api.call<{ Resources?: { Resource?: Record<string, string>[] } }>(
            'cms',
            'DescribeMetricMetaList',
            region,
            {
              Namespace: namespace,
              PageSize: 1000,
            },
          ),
        { attempts: 3 },
      );
      for (const raw of body.Resources?.Resource ?? []) {
        const meta = parseMeta(raw);
        const identifies = meta.dimensions.some((d) => keys.includes(d.toLowerCase()));
        if (meta.name && (identifies || (resource === 'cbwp' && meta.dimensions.length)))
          names.add(meta.name);
      }
    } catch (err) {
      req.log.warn(
        { namespace, err: (err as Error).message },
        'metric metadata unavailable, using the built-in list',
      );
    }
    products.push({ namespace, resource, autoDiscover: true, groups: [{ metrics: [...names].sort() }] });
  }
  return products;
}
