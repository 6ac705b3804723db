import { shippedMetrics } from '../../mappings/catalog.ts';
import type { DiscoverRequest, Product } from '../provider.ts';
import { TencentApi } from './clients.ts';

/** Collected resource key → monitor namespace (as the API spells it), instance dimension and resource_type. */
export const NAMESPACES: Record<string, { namespace: string; dimension: string; type: string }> = {
  clb: { namespace: 'QCE/LB', dimension: 'vip', type: 'clb' },
  bwp: { namespace: 'QCE/BWP', dimension: 'bandwidthPackageId', type: 'bwp' },
  gwlb: { namespace: 'qce/gwlb', dimension: 'gwLoadBalancerId', type: 'gwlb' },
  cos: { namespace: 'QCE/COS', dimension: 'bucket', type: 's3' },
};

export const HOME_REGION = 'ap-guangzhou';

/** COS storage and object-count metrics are reported once a day. */
export const isDailyCosMetric = (metric: string) => /Storage|ObjectNumber|Objects$/i.test(metric);

/** Products: `DescribeBaseMetrics` names ∪ the built-in list; COS split into a daily and a 5-minute group. */
export async function discoverTencent(req: DiscoverRequest): Promise<Product[]> {
  const api = new TencentApi(req.account);
  const region = req.account.regions.find((r) => r !== '*') ?? HOME_REGION;
  const products: Product[] = [];
  for (const resource of req.resources) {
    const ns = NAMESPACES[resource];
    if (!ns) continue;
    const names = new Set(shippedMetrics('tencent', ns.namespace));
    try {
      const r = (await req.calls.call('DescribeBaseMetrics', () =>
        api.call('monitor', 'DescribeBaseMetrics', region, { Namespace: ns.namespace }),
      )) as { MetricSet?: { MetricName?: string }[] };
      for (const m of r.MetricSet ?? []) if (m.MetricName) names.add(m.MetricName);
    } catch (err) {
      req.log.warn(
        { namespace: ns.namespace, err: (err as Error).message },
        'metric metadata unavailable, using the built-in list',
      );
    }
    const metrics = [...names].sort();
    const groups =
      resource === 'cos'
        ? [
            { metrics: metrics.filter(isDailyCosMetric), period: 86_400 },
            { metrics: metrics.filter((m) => !isDailyCosMetric(m)), period: 300 },
          ].filter((g) => g.metrics.length)
        : [{ metrics }];
    products.push({ namespace: ns.namespace, resource, autoDiscover: true, groups });
  }
  return products;
}
