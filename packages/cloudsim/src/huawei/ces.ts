import { readdirSync, readFileSync } from 'node:fs';
import { parseYaml } from '@opsfleet/core';
import { CATALOG } from '../catalog-path.ts';
import { pointTimes } from '../granularity.ts';
import type { SimState } from '../sim-state.ts';
import { resourcesOf, type SimAccount, type SimResourceType } from '../world.ts';
import { type HwReply, hwError } from './elb.ts';

/** CES namespaces the simulator serves → resource type and the dimension naming an instance. */
const NAMESPACES: Record<string, { type: SimResourceType; dim: string }> = {
  'SYS.ELB': { type: 'clb', dim: 'lbaas_instance_id' },
  'SYS.OBS': { type: 's3', dim: 'bucket_name' },
};

/**
 * Seconds between the raw points CES keeps: ELB and OBS report every minute, OBS capacity and
 * object counts once a day. Period "1" returns these raw points, the others aggregate them.
 */
export function nativePeriod(namespace: string, metric: string): number {
  return namespace === 'SYS.OBS' && /^(capacity_|object_num)/.test(metric) ? 86_400 : 60;
}

const PERIODS = ['1', '300', '1200', '3600', '14400', '86400'];
const FILTERS = ['average', 'max', 'min', 'sum', 'variance'];
export const MAX_METRICS = 500;
const MAX_POINTS = 3000;

/** Metric names and units per namespace, from the catalog's Huawei entries. */
function loadMetrics(): Map<string, { name: string; unit: string }[]> {
  const out = new Map<string, { name: string; unit: string }[]>();
  for (const file of readdirSync(CATALOG).filter((f) => f.endsWith('.yaml'))) {
    const doc = parseYaml(readFileSync(`${CATALOG}/${file}`, 'utf8'), file) as {
      namespaces?: Record<string, string>;
      canonical: Record<string, Record<string, { metric: string; unit?: string; dimensions?: string[] }>>;
    };
    const ns = String(doc.namespaces?.huawei ?? '');
    if (!ns) continue;
    const list = out.get(ns) ?? [];
    for (const entry of Object.values<Record<string, { metric: string; unit?: string }>>(doc.canonical)) {
      if (entry.huawei) list.push({ name: entry.huawei.metric, unit: entry.huawei.unit ?? '' });
    }
    out.set(ns, list);
  }
  return out;
}

const METRICS = loadMetrics();

/**
 * CES `ListMetrics` (`GET /V1.0/{project_id}/metrics`): one entry per metric × instance of the
 * namespace in the project's region, `limit` ≤ 1000, `start` is the last entry's
 * `namespace.metric_name.key:value` marker.
 */
export function listMetrics(state: SimState, owner: SimAccount, region: string, q: URLSearchParams): HwReply {
  const limit = Number(q.get('limit') ?? 1000);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    return hwError(400, 'ces.0014', 'Some content in message body is incorrect. limit must be 1..1000');
  const namespaces = q.get('namespace') ? [q.get('namespace')!] : Object.keys(NAMESPACES);
  const all = namespaces.flatMap((ns) => {
    const known = NAMESPACES[ns];
    if (!known) return [];
    const instances = resourcesOf(state.world, 'huawei', owner.accessKeyId, known.type, region);
    return instances.flatMap((r) =>
      (METRICS.get(ns) ?? []).map((m) => ({
        namespace: ns,
        metric_name: m.name,
        unit: m.unit,
        dimensions: [{ name: known.dim, value: r.id }],
        marker: `${ns}.${m.name}.${known.dim}:${r.id}`,
      })),
    );
  });
  all.sort((a, b) => a.marker.localeCompare(b.marker));
  const start = q.get('start');
  const after = start ? all.filter((e) => e.marker > start) : all;
  const page = after.slice(0, limit);
  return {
    status: 200,
    body: {
      metrics: page.map(({ marker: _m, ...e }) => e),
      meta_data: { count: page.length, marker: page.at(-1)?.marker ?? '', total: all.length },
    },
  };
}

interface Ask {
  namespace?: string;
  metric_name?: string;
  dimensions?: { name?: string; value?: string }[];
}

/**
 * CES `BatchListMetricData` (`POST /V1.0/{project_id}/batch-query-metric-data`): 1..500
 * metrics, a period the service aggregates at, a filter, and `from`/`to` in ms. Datapoints
 * are those of the metric's raw points (or their aggregates) inside the window; a series with
 * no value, or a window holding none, has none.
 */
export function batchListMetricData(
  state: SimState,
  owner: SimAccount,
  region: string,
  body: Record<string, unknown>,
): HwReply {
  const metrics = body.metrics as Ask[] | undefined;
  if (!Array.isArray(metrics) || metrics.length < 1 || metrics.length > MAX_METRICS)
    return hwError(
      400,
      'ces.0014',
      `Some content in message body is incorrect. error_message: [metrics size must be between 1 and ${MAX_METRICS}]`,
    );
  const period = String(body.period ?? '');
  if (!PERIODS.includes(period))
    return hwError(
      400,
      'ces.0014',
      `Some content in message body is incorrect. error_message: [period ${period} is invalid]`,
    );
  const filter = String(body.filter ?? '');
  if (!FILTERS.includes(filter))
    return hwError(
      400,
      'ces.0014',
      `Some content in message body is incorrect. error_message: [filter ${filter} is invalid]`,
    );
  const to = Number(body.to);
  let from = Number(body.from);
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to)
    return hwError(
      400,
      'ces.0014',
      'Some content in message body is incorrect. error_message: [from must be before to]',
    );
  const step = Number(period) * 1000;
  // The service shifts `from` forward so the answer stays within its datapoint budget.
  const perSeries = Math.max(1, Math.floor(MAX_POINTS / metrics.length));
  from = Math.max(from, to - perSeries * step);
  const now = Date.now();
  const out = metrics.map((m) => {
    const ns = String(m.namespace ?? '');
    const known = NAMESPACES[ns];
    const id = m.dimensions?.find((d) => d.name === known?.dim)?.value ?? '';
    const exists =
      known &&
      resourcesOf(state.world, 'huawei', owner.accessKeyId, known.type, region).some((r) => r.id === id);
    const value = exists
      ? state.values.get({
          cloud: 'huawei',
          namespace: ns,
          metric: String(m.metric_name ?? ''),
          resourceId: id,
        })
      : null;
    const unit = METRICS.get(ns)?.find((x) => x.name === m.metric_name)?.unit ?? '';
    const stamps =
      value === null
        ? []
        : pointTimes({
            native: nativePeriod(ns, String(m.metric_name ?? '')),
            period: Number(period),
            from,
            to,
            now,
          });
    return {
      namespace: ns,
      metric_name: m.metric_name,
      dimensions: m.dimensions ?? [],
      datapoints: stamps.map((timestamp) => ({ [filter]: value, timestamp })),
      unit,
    };
  });
  return { status: 200, body: { metrics: out } };
}
