import { FIXED_LABELS, labelSchema, sanitizeMetricName } from '../naming.ts';
import type { CloudName, Sample } from '../providers/provider.ts';
import type { Series } from '../series-store.ts';

/** What the collector needs from the mapping catalog. */
export interface MetricResolver {
  /** `canonical` is set when the catalog maps the source metric. */
  resolve(
    cloud: CloudName,
    namespace: string,
    metric: string,
  ): { name: string; scale: number; canonical?: string };
  prefixFor(namespace: string): string | undefined;
}

/**
 * One raw sample → one exported series: name and scale from the mapping catalog (source
 * metric → canonical → scale), the fixed label set, then the sample's dimensions as extra
 * labels (sanitised, reserved names dropped, collisions suffixed).
 */
export function toSeries(
  cloud: CloudName,
  accountId: string,
  sample: Sample,
  resolver: MetricResolver,
): Series {
  let name: string;
  let value = sample.value;
  if (sample.seriesSuffix) {
    const prefix = resolver.prefixFor(sample.namespace) ?? sample.namespace;
    name = sanitizeMetricName(`${prefix}_${sample.seriesSuffix}`);
  } else {
    const resolved = resolver.resolve(cloud, sample.namespace, sample.metric);
    name = resolved.name;
    value *= resolved.scale;
  }
  const labels: Record<string, string> = {
    cloud_provider: cloud,
    account_id: accountId,
    region: sample.region,
    resource_type: sample.resourceType,
    resource_id: sample.resourceId,
    namespace: sample.namespace,
    metric_name: sample.metric,
    code_name: sample.codeName,
  };
  const dims = sample.dimensions ?? {};
  for (const [raw, label] of labelSchema(Object.keys(dims))) labels[label] = dims[raw] ?? '';
  return { name, labels, value };
}

export { FIXED_LABELS };
