import { chunk } from '@opsfleet/core';
import type { CloudCalls } from '../provider.ts';
import type { AwsApi } from './clients.ts';
import { lbCodeName, lbDimension } from './statistics.ts';

/** One load balancer as the collector needs it. */
export interface AwsLoadBalancer {
  name: string;
  /** `clb`, `alb`, `nlb` or `gwlb`. */
  kind: string;
  dimension: { Name: string; Value: string };
  codeName: string;
}

const KIND: Record<string, string> = { application: 'alb', network: 'nlb', gateway: 'gwlb' };

/** ELBv2 load balancers of a region (all types; tags 20 ARNs per call). */
export async function listV2(api: AwsApi, calls: CloudCalls, region: string): Promise<AwsLoadBalancer[]> {
  const c = api.elbv2(region);
  const lbs: { arn: string; name: string; type: string }[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await calls.call('DescribeLoadBalancers', () => c.list(marker));
    for (const lb of res.LoadBalancers ?? [])
      lbs.push({ arn: lb.LoadBalancerArn ?? '', name: lb.LoadBalancerName ?? '', type: lb.Type ?? '' });
    if (!res.NextMarker) break;
    marker = res.NextMarker;
  }
  const tags = new Map<string, { Key?: string; Value?: string }[]>();
  for (const arns of chunk(
    lbs.map((l) => l.arn),
    20,
  )) {
    const res = await calls.call('DescribeTags', () => c.tags(arns));
    for (const d of res.TagDescriptions ?? []) tags.set(d.ResourceArn ?? '', d.Tags ?? []);
  }
  return lbs
    .filter((l) => KIND[l.type])
    .map((l) => ({
      name: l.name,
      kind: KIND[l.type]!,
      dimension: { Name: 'LoadBalancer', Value: lbDimension(l.arn, l.name) },
      codeName: lbCodeName(tags.get(l.arn), l.name),
    }));
}

/** Classic load balancers of a region (tags 20 names per call). */
export async function listClassic(
  api: AwsApi,
  calls: CloudCalls,
  region: string,
): Promise<AwsLoadBalancer[]> {
  const c = api.elb(region);
  const names: string[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await calls.call('DescribeLoadBalancers', () => c.list(marker));
    for (const lb of res.LoadBalancerDescriptions ?? [])
      if (lb.LoadBalancerName) names.push(lb.LoadBalancerName);
    if (!res.NextMarker) break;
    marker = res.NextMarker;
  }
  const tags = new Map<string, { Key?: string; Value?: string }[]>();
  for (const batch of chunk(names, 20)) {
    const res = await calls.call('DescribeTags', () => c.tags(batch));
    for (const d of res.TagDescriptions ?? []) tags.set(d.LoadBalancerName ?? '', d.Tags ?? []);
  }
  return names.map((name) => ({
    name,
    kind: 'clb',
    dimension: { Name: 'LoadBalancerName', Value: name },
    codeName: lbCodeName(tags.get(name), name),
  }));
}
