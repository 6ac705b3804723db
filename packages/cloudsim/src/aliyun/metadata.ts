import { readdirSync, readFileSync } from 'node:fs';
import { parseYaml } from '@opsfleet/core';
import { CATALOG } from '../catalog-path.ts';

/**
 * The CMS metric metadata cloudsim serves (what `DescribeMetricMetaList` answers): every
 * Aliyun metric of the metric catalog with its dimensions. Real CMS lists `userId` first;
 * so does the simulator, so clients must drop it.
 */
export interface MetricMeta {
  Namespace: string;
  MetricName: string;
  Dimensions: string;
  Periods: string;
  Statistics: string;
  Unit: string;
  Description: string;
}

function load(): Map<string, MetricMeta[]> {
  const out = new Map<string, MetricMeta[]>();
  for (const file of readdirSync(CATALOG).filter((f) => f.endsWith('.yaml'))) {
    const doc = parseYaml(readFileSync(`${CATALOG}/${file}`, 'utf8'), file) as {
      namespaces?: Record<string, string>;
      canonical: Record<string, Record<string, { metric: string; unit?: string; dimensions?: string[] }>>;
    };
    const ns: string | undefined = doc.namespaces?.aliyun;
    if (!ns) continue;
    const list = out.get(ns) ?? [];
    for (const entry of Object.values<
      Record<string, { metric: string; unit?: string; dimensions?: string[] }>
    >(doc.canonical)) {
      const a = entry.aliyun;
      if (!a) continue;
      const dims = (a.dimensions ?? []).filter((d) => d !== 'userId');
      // Real CMS reports SLB listener metrics by port and protocol together.
      if (ns === 'acs_slb_dashboard' && dims.includes('port') && !dims.includes('protocol'))
        dims.push('protocol');
      list.push({
        Namespace: ns,
        MetricName: a.metric,
        Dimensions: ['userId', ...dims].join(','),
        Periods: ns === 'acs_oss_dashboard' ? '60,3600' : '60,300',
        Statistics: 'Average,Minimum,Maximum',
        Unit: a.unit ?? '',
        Description: a.metric,
      });
    }
    out.set(ns, list);
  }
  return out;
}

export const METADATA = load();

/** Which resource type of the world a CMS namespace reports on. */
export const NAMESPACE_TYPE: Record<string, 'clb' | 'alb' | 'nlb' | 'gwlb' | 'bwp' | 's3'> = {
  acs_slb_dashboard: 'clb',
  acs_alb: 'alb',
  acs_nlb: 'nlb',
  acs_gwlb: 'gwlb',
  acs_bandwidth_package: 'bwp',
  acs_oss_dashboard: 's3',
};
