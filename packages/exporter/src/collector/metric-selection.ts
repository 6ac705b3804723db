import type { MetricSelection } from '../config/server-config.ts';
import type { CloudName, Product } from '../providers/provider.ts';
import type { MetricResolver } from './to-series.ts';

/**
 * The products with only the metrics `server.metrics` selects. A product is named by its
 * catalog prefix and a metric by its canonical name, so one list applies to every cloud. A
 * source metric the catalog does not map has no canonical name: an include list leaves it
 * out, an exclude list keeps it. A product left with no metric is dropped, so its resources
 * are not even listed.
 */
export function selectMetrics(
  cloud: CloudName,
  products: Product[],
  selection: MetricSelection,
  resolver: MetricResolver,
): Product[] {
  const out: Product[] = [];
  for (const product of products) {
    const prefix = resolver.prefixFor(product.namespace);
    const include = prefix === undefined ? undefined : selection.include[prefix];
    const exclude = prefix === undefined ? undefined : selection.exclude[prefix];
    if (!include && !exclude) {
      out.push(product);
      continue;
    }
    const keep = (metric: string) => {
      const canonical = resolver.resolve(cloud, product.namespace, metric).canonical;
      if (include) return canonical !== undefined && include.includes(canonical);
      return canonical === undefined || !exclude!.includes(canonical);
    };
    const groups = product.groups
      .map((g) => ({ ...g, metrics: g.metrics.filter(keep) }))
      .filter((g) => g.metrics.length);
    if (groups.length) out.push({ ...product, groups });
  }
  return out;
}
