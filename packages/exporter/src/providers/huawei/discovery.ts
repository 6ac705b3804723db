import { shippedMetrics } from '../../mappings/catalog.ts';
import type { DiscoverRequest, Product } from '../provider.ts';
import { HOME_REGION, HuaweiApi } from './clients.ts';
import { projectOf } from './projects.ts';

/** Collected resource key → CES namespace, the dimension naming an instance, and resource_type. */
export const NAMESPACES: Record<string, { namespace: string; dimension: string; type: string }> = {
  elb: { namespace: 'SYS.ELB', dimension: 'lbaas_instance_id', type: 'clb' },
  obs: { namespace: 'SYS.OBS', dimension: 'bucket_name', type: 's3' },
};

/** OBS capacity and object counts are reported once a day. */
export const isDailyObsMetric = (metric: string) => /^(capacity_|object_num)/.test(metric);

/** OBS metrics that need extra dimensions (API name, status code) the exporter does not fan out. */
export const SKIPPED_OBS = new Set(['api_request_count_per_second', 'request_code_count']);

/** Metric names CES `ListMetrics` reports for a namespace, following its `start` marker. */
async function listedMetrics(req: DiscoverRequest, api: HuaweiApi, namespace: string, region: string) {
  const projectId = await projectOf(req.calls, api, req.account.account_id, region);
  const client = api.client('ces', region, projectId);
  const names = new Set<string>();
  let start: string | undefined;
  for (let page = 0; page < 100; page++) {
    const r = (await req.calls.call(
      'ListMetrics',
      () =>
        client.sendRequest({
          method: 'GET',
          url: '/V1.0/{project_id}/metrics',
          contentType: 'application/json',
          queryParams: { namespace, limit: 1000, ...(start ? { start } : {}) },
          pathParams: { project_id: projectId },
          headers: {},
        }),
      { attempts: 3 },
    )) as { metrics?: { metric_name?: string }[]; meta_data?: { marker?: string; count?: number } };
    for (const m of r.metrics ?? []) if (m.metric_name) names.add(m.metric_name);
    const marker = r.meta_data?.marker;
    if (!r.metrics?.length || !marker || marker === start) break;
    start = marker;
  }
  return names;
}

/** Products: `ListMetrics` names ∪ the built-in list; ELB in 5-minute periods, OBS split into a daily and a 5-minute group. */
export async function discoverHuawei(req: DiscoverRequest): Promise<Product[]> {
  const api = new HuaweiApi(req.account);
  const region = req.account.regions.find((r) => r !== '*') ?? HOME_REGION;
  const products: Product[] = [];
  for (const resource of req.resources) {
    const ns = NAMESPACES[resource];
    if (!ns) continue;
    const names = new Set(shippedMetrics('huawei', ns.namespace));
    try {
      for (const m of await listedMetrics(req, api, ns.namespace, region)) names.add(m);
    } catch (err) {
      req.log.warn(
        { namespace: ns.namespace, err: (err as Error).message },
        'metric metadata unavailable, using the built-in list',
      );
    }
    const metrics = [...names].filter((m) => !SKIPPED_OBS.has(m)).sort();
    const groups =
      resource === 'obs'
        ? [
            { metrics: metrics.filter(isDailyObsMetric), period: 86_400 },
            { metrics: metrics.filter((m) => !isDailyObsMetric(m)), period: 300 },
          ].filter((g) => g.metrics.length)
        : // CES aggregates ELB metrics at 300 s at the finest; a shorter period falls to raw data ("1").
          [{ metrics, period: 300 }];
    products.push({ namespace: ns.namespace, resource, autoDiscover: true, groups });
  }
  return products;
}
