import type { Series } from '../packages/exporter/src/series-store.ts';

/** N business series over 40 metric names with 9 labels, in 14 groups (provider × account × namespace). */
export function makeSeries(n: number): Series[] {
  const out: Series[] = [];
  const metrics = 40;
  for (let i = 0; i < n; i++) {
    const m = i % metrics;
    out.push({
      name: `clb_metric_${m}`,
      labels: {
        cloud_provider: i % 2 ? 'aliyun' : 'tencent',
        account_id: `acc-${i % 7}`,
        region: `region-${i % 20}`,
        resource_type: 'clb',
        resource_id: `lb-${Math.floor(i / metrics)}`,
        namespace: 'acs_slb_dashboard',
        metric_name: `Metric${m}`,
        code_name: `svc-${i % 50}`,
        port: String(80 + (i % 3)),
      },
      value: i * 1.5,
    });
  }
  return out;
}
