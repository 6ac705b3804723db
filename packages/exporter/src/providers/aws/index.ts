import { TtlCache } from '../../cache.ts';
import { clientsPerAccount, eachRegion, resolveRegions } from '../account-scope.ts';
import type { CollectRequest, Product, Provider } from '../provider.ts';
import { classifyAws } from './classify.ts';
import { AwsApi } from './clients.ts';
import { getMetricData, type MetricAsk } from './cloudwatch.ts';
import { discoverAws } from './discovery.ts';
import { type AwsLoadBalancer, listClassic, listV2 } from './lb.ts';
import { type AwsBucket, bucketDimensions, listBuckets } from './s3.ts';

const HOME_REGION = 'us-east-1';
const lbs = new TtlCache<AwsLoadBalancer[]>('aws_resources', 3_600_000);
const buckets = new TtlCache<AwsBucket[]>('aws_buckets', 3_600_000);
const regionsCache = new TtlCache<string[]>('aws_regions', 3_600_000);
const apiFor = clientsPerAccount((account) => new AwsApi(account));

/** CloudWatch publishes with a lag: ask for the period that ended `delay` ago. */
function lbWindow(period: number, delayMs: number) {
  const end = Date.now() - delayMs;
  return { start: new Date(end - period * 1000), end: new Date(end) };
}

/** One region's load balancer lists (classic and v2 as the products need), each cached; a failed list is logged and left out. */
async function listRegion(
  req: CollectRequest,
  api: AwsApi,
  products: Product[],
  region: string,
): Promise<AwsLoadBalancer[] | undefined> {
  const wanted = [
    ...(products.some((p) => p.resource === 'clb') ? (['classic'] as const) : []),
    ...(products.some((p) => p.resource !== 'clb') ? (['v2'] as const) : []),
  ];
  const lists = await Promise.all(
    wanted.map((kind) =>
      lbs
        .getOrLoad(`${req.account.account_id}|${region}|${kind}`, () =>
          kind === 'v2' ? listV2(api, req.calls, region) : listClassic(api, req.calls, region),
        )
        .catch((err) => {
          req.log.warn({ region, kind, err: (err as Error).message }, 'load balancer listing failed');
          return undefined;
        }),
    ),
  );
  const ok = lists.filter((l) => l !== undefined);
  return ok.length ? ok.flat() : undefined;
}

/**
 * All load balancer products of a region through shared GetMetricData calls: questions with the
 * same period (hence the same window) fill calls of 500 whichever namespace they belong to.
 */
async function collectLbRegion(
  req: CollectRequest,
  api: AwsApi,
  products: Product[],
  region: string,
): Promise<number | undefined> {
  if (!products.length) return undefined;
  const all = await listRegion(req, api, products, region);
  if (!all) return undefined;
  const mine = all.filter((lb) => products.some((p) => p.resource === lb.kind));
  const byPeriod = new Map<number, (MetricAsk & { lb: AwsLoadBalancer })[]>();
  for (const product of products) {
    const here = mine.filter((lb) => lb.kind === product.resource);
    for (const group of product.groups) {
      const period = group.period ?? product.period ?? req.settings.periodFallback;
      const asks = byPeriod.get(period) ?? [];
      for (const lb of here)
        for (const metric of group.metrics)
          asks.push({ namespace: product.namespace, metric, dimensions: [lb.dimension], period, lb });
      byPeriod.set(period, asks);
    }
  }
  for (const [period, asks] of byPeriod) {
    if (!asks.length) continue;
    try {
      const answers = await getMetricData(
        api,
        req.calls,
        region,
        asks,
        lbWindow(period, req.settings.cloudwatchDelayMs),
        req.settings.metricConcurrency,
      );
      for (const { ask, value } of answers) {
        req.emit({
          namespace: ask.namespace,
          metric: ask.metric,
          region,
          resourceType: ask.lb.kind,
          resourceId: ask.lb.name,
          codeName: ask.lb.codeName,
          value,
        });
      }
    } catch (err) {
      req.log.warn({ region, period, err: (err as Error).message }, 'load balancer metrics failed');
    }
  }
  return mine.length;
}

/** S3: each bucket read from CloudWatch in its own region; labelled region "global" as before. */
async function collectS3(req: CollectRequest, api: AwsApi, product: Product): Promise<void> {
  if (!req.owns('global', product.namespace)) return;
  const list = await buckets.getOrLoad(req.account.account_id, () => listBuckets(api, req.calls));
  const byRegion = new Map<string, AwsBucket[]>();
  for (const b of list) byRegion.set(b.region, [...(byRegion.get(b.region) ?? []), b]);
  for (const [region, here] of byRegion) {
    for (const group of product.groups) {
      const period = group.period ?? req.settings.periodFallback;
      const asks = here.flatMap((b) =>
        group.metrics.map((metric) => ({
          namespace: product.namespace,
          metric,
          dimensions: bucketDimensions(metric, b.name),
          period,
          b,
        })),
      );
      const span = Math.max(2 * period * 1000, 30 * 60_000);
      const end = Date.now();
      try {
        const answers = await getMetricData(
          api,
          req.calls,
          region,
          asks,
          { start: new Date(end - span), end: new Date(end) },
          req.settings.metricConcurrency,
        );
        for (const { ask, value } of answers) {
          req.emit({
            namespace: product.namespace,
            metric: ask.metric,
            region: 'global',
            resourceType: 's3',
            resourceId: ask.b.name,
            codeName: ask.b.codeName,
            dimensions: Object.fromEntries(ask.dimensions.map((d) => [d.Name, d.Value])),
            value,
          });
        }
      } catch (err) {
        req.log.warn({ region, err: (err as Error).message }, 'S3 metrics failed for this region');
      }
    }
  }
}

/** AWS: CLB, ALB, NLB and GWLB per region and S3 per bucket region, through CloudWatch GetMetricData. */
export const awsProvider: Provider = {
  cloud: 'aws',
  resourceAliases: { s3: 's3', clb: 'clb', elb: 'clb', alb: 'alb', nlb: 'nlb', gwlb: 'gwlb' },
  defaultResources: ['s3'],
  classify: classifyAws,
  discover: discoverAws,
  async collect(req) {
    for (const cache of [lbs, buckets, regionsCache]) cache.setTtl(req.settings.discoveryTtlMs);
    const api = apiFor(req.account);
    const s3 = req.products.find((p) => p.resource === 's3');
    const lbProducts = req.products.filter((p) => p.resource !== 's3');
    const work: Promise<void>[] = [];
    if (s3) {
      work.push(
        collectS3(req, api, s3).catch((err) =>
          req.log.warn({ err: (err as Error).message }, 'S3 collection failed'),
        ),
      );
    }
    if (lbProducts.length) {
      const regions = await resolveRegions(req, regionsCache, HOME_REGION, async () => {
        const res = await req.calls.call('DescribeRegions', () => api.regions());
        return (res.Regions ?? []).map((r) => r.RegionName ?? '').filter(Boolean);
      });
      work.push(
        eachRegion({ ...req, products: lbProducts }, regions, (region, owned) =>
          collectLbRegion(req, api, owned, region),
        ),
      );
    }
    await Promise.all(work);
  },
};
