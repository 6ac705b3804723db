import { TtlCache } from '../../cache.ts';
import { clientsPerAccount, eachRegionProduct, resolveRegions } from '../account-scope.ts';
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

async function collectLbs(
  req: CollectRequest,
  api: AwsApi,
  product: Product,
  region: string,
): Promise<number> {
  const v2 = product.resource !== 'clb';
  const all = await lbs.getOrLoad(`${req.account.account_id}|${region}|${v2 ? 'v2' : 'classic'}`, () =>
    v2 ? listV2(api, req.calls, region) : listClassic(api, req.calls, region),
  );
  const mine = all.filter((lb) => lb.kind === product.resource);
  if (!mine.length) return 0;
  for (const group of product.groups) {
    const period = group.period ?? product.period ?? req.settings.periodFallback;
    const asks: (MetricAsk & { lb: AwsLoadBalancer })[] = mine.flatMap((lb) =>
      group.metrics.map((metric) => ({
        namespace: product.namespace,
        metric,
        dimensions: [lb.dimension],
        period,
        lb,
      })),
    );
    const answers = await getMetricData(
      api,
      req.calls,
      region,
      asks,
      lbWindow(period, req.settings.cloudwatchDelayMs),
    );
    for (const { ask, value } of answers) {
      req.emit({
        namespace: product.namespace,
        metric: ask.metric,
        region,
        resourceType: product.resource,
        resourceId: ask.lb.name,
        codeName: ask.lb.codeName,
        value,
      });
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
        const answers = await getMetricData(api, req.calls, region, asks, {
          start: new Date(end - span),
          end: new Date(end),
        });
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
        eachRegionProduct({ ...req, products: lbProducts }, regions, (p, region) =>
          collectLbs(req, api, p, region),
        ),
      );
    }
    await Promise.all(work);
  },
};
