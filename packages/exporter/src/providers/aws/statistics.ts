/**
 * Which CloudWatch statistic to ask for a metric, and how to turn it into the exported value:
 * gauges (connections, flows, latencies, host counts, bucket size and object count) use
 * Average as is; counters use Sum divided by the period, a per-second rate.
 */
export function statisticFor(metric: string): { stat: 'Average' | 'Sum'; perSecond: boolean } {
  if (/ActiveConnection|ActiveFlow|Latency|Time|HostCount|BucketSizeBytes|NumberOfObjects/.test(metric)) {
    return { stat: 'Average', perSecond: false };
  }
  return { stat: 'Sum', perSecond: true };
}

/** The `LoadBalancer` dimension of an ELBv2 ARN: what follows `:loadbalancer/`. */
export function lbDimension(arn: string | undefined, name: string): string {
  const i = arn?.indexOf(':loadbalancer/') ?? -1;
  return i >= 0 ? arn!.slice(i + ':loadbalancer/'.length) : name;
}

/** code_name of a load balancer: `kubernetes.io/service-name`, then `Name`, then its own name. */
export function lbCodeName(tags: { Key?: string; Value?: string }[] | undefined, name: string): string {
  const get = (k: string) => tags?.find((t) => t.Key === k)?.Value;
  return get('kubernetes.io/service-name') || get('Name') || name;
}
