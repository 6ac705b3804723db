import { createHash } from 'node:crypto';
import { mapLimit } from '@opsfleet/core';
import type { TtlCache } from '../cache.ts';
import type { Account, CollectRequest, MetricGroup, Product } from './provider.ts';

/**
 * Plumbing every provider shares: one SDK client set per account (rebuilt when its keys or
 * endpoint change), region resolution with fallbacks, and the regions × products fan-out with
 * the configured limits and per-product isolation.
 */
export function clientsPerAccount<T>(build: (account: Account) => T): (account: Account) => T {
  const clients = new Map<string, T>();
  return (account) => {
    const key = createHash('sha256')
      .update(
        [account.account_id, account.access_key_id, account.access_key_secret, account.endpoint ?? ''].join(
          '|',
        ),
      )
      .digest('hex');
    let client = clients.get(key);
    if (!client) {
      client = build(account);
      clients.set(key, client);
    }
    return client;
  };
}

/**
 * The regions to collect: the configured list, or for `["*"]` what the cloud's region API
 * reports (cached), falling back to DEFAULT_REGIONS and then the cloud's home region.
 */
export async function resolveRegions(
  req: CollectRequest,
  cache: TtlCache<string[]>,
  home: string,
  enumerate: () => Promise<string[]>,
): Promise<string[]> {
  if (!req.account.regions.includes('*')) return req.account.regions;
  try {
    return await cache.getOrLoad(req.account.account_id, async () => {
      const ids = await enumerate();
      if (!ids.length) throw new Error('the region API returned no region');
      return ids;
    });
  } catch (err) {
    const fallback = req.settings.defaultRegions.length ? req.settings.defaultRegions : [home];
    req.log.warn(
      { err: (err as Error).message, fallback },
      'region enumeration failed, using fallback regions',
    );
    return fallback;
  }
}

/**
 * Regions in parallel up to `region_concurrency`, each with the products this replica owns
 * there. `collect` returns how many resources (all types together) the region held, or
 * `undefined` when nothing could be listed; for `["*"]` accounts the regions come from the region
 * plan and each counted region is reported back to it.
 */
export async function eachRegion(
  req: CollectRequest,
  regions: string[],
  collect: (region: string, owned: Product[]) => Promise<number | undefined>,
): Promise<void> {
  const smart = req.account.regions.includes('*');
  await mapLimit(
    smart ? req.regionPlan.select(regions) : regions,
    req.settings.regionConcurrency,
    async (region) => {
      const owned = req.products.filter((p) => req.owns(region, p.namespace));
      const resources = await collect(region, owned);
      if (smart && resources !== undefined) req.regionPlan.observe(region, resources);
    },
  );
}

/**
 * `eachRegion` with products per region up to `product_concurrency`; a failing product is
 * logged and the rest go on. `collect` returns how many resources the product had in the region.
 */
export async function eachRegionProduct(
  req: CollectRequest,
  regions: string[],
  collect: (product: Product, region: string) => Promise<number>,
): Promise<void> {
  await eachRegion(req, regions, async (region, owned) => {
    let listed = 0;
    let resources = 0;
    await mapLimit(owned, req.settings.productConcurrency, async (product) => {
      try {
        resources += await collect(product, region);
        listed += 1;
      } catch (err) {
        req.log.warn(
          { region, namespace: product.namespace, err: (err as Error).message },
          'product collection failed',
        );
      }
    });
    return listed > 0 ? resources : undefined;
  });
}

/**
 * Every metric of a product's groups, `metric_concurrency` at a time; a failing metric is
 * logged and its series are absent, the other metrics go on.
 */
export async function eachMetric(
  req: CollectRequest,
  product: Product,
  region: string,
  collect: (metric: string, group: MetricGroup) => Promise<void>,
): Promise<void> {
  const jobs = product.groups.flatMap((group) => group.metrics.map((metric) => ({ group, metric })));
  await mapLimit(jobs, req.settings.metricConcurrency, async ({ group, metric }) => {
    try {
      await collect(metric, group);
    } catch (err) {
      req.log.warn(
        { region, namespace: product.namespace, metric, err: (err as Error).message },
        'metric collection failed',
      );
    }
  });
}
