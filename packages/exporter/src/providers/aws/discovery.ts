import { shippedMetrics } from '../../mappings/catalog.ts';
import type { DiscoverRequest, Product } from '../provider.ts';

export const NAMESPACES: Record<string, string> = {
  clb: 'AWS/ELB',
  alb: 'AWS/ApplicationELB',
  nlb: 'AWS/NetworkELB',
  gwlb: 'AWS/GatewayELB',
  s3: 'AWS/S3',
};

/** S3 storage metrics are daily; request metrics (with request metrics enabled on the bucket) per minute. */
export const DAILY_S3 = ['BucketSizeBytes', 'NumberOfObjects'];

/**
 * AWS products come from the catalog (CloudWatch metric names are stable and ListMetrics is
 * billed per call): every AWS metric the catalog maps, per namespace.
 */
export async function discoverAws(req: DiscoverRequest): Promise<Product[]> {
  return req.resources
    .filter((r) => NAMESPACES[r])
    .map((resource) => {
      const namespace = NAMESPACES[resource]!;
      const metrics = shippedMetrics('aws', namespace);
      const groups =
        resource === 's3'
          ? [
              { metrics: metrics.filter((m) => DAILY_S3.includes(m)), period: 86_400 },
              { metrics: metrics.filter((m) => !DAILY_S3.includes(m)), period: 60 },
            ]
          : [{ metrics, period: 60 }];
      return { namespace, resource, autoDiscover: false, groups };
    });
}
