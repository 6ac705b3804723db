import { readdirSync, readFileSync } from 'node:fs';
import { parseYaml } from '@opsfleet/core';
import { CATALOG } from '../catalog-path.ts';
import { pointTimes } from '../granularity.ts';
import type { SimState } from '../sim-state.ts';
import type { SimAccount, SimResource, SimResourceType } from '../world.ts';

/** Namespace (lowercased) → resource type and the dimension that names an instance. */
export const NAMESPACES: Record<string, { type: SimResourceType; dim: string; spelled: string }> = {
  'qce/lb': { type: 'clb', dim: 'vip', spelled: 'QCE/LB' },
  'qce/bwp': { type: 'bwp', dim: 'bandwidthPackageId', spelled: 'QCE/BWP' },
  'qce/gwlb': { type: 'gwlb', dim: 'gwLoadBalancerId', spelled: 'qce/gwlb' },
  'qce/cos': { type: 's3', dim: 'bucket', spelled: 'QCE/COS' },
};

/** Base metrics per namespace as `DescribeBaseMetrics` lists them, from the metric catalog's Tencent entries. */
function loadBaseMetrics(): Map<string, { MetricName: string; Unit: string }[]> {
  const out = new Map<string, { MetricName: string; Unit: string }[]>();
  for (const file of readdirSync(CATALOG).filter((f) => f.endsWith('.yaml'))) {
    const doc = parseYaml(readFileSync(`${CATALOG}/${file}`, 'utf8'), file) as {
      namespaces?: Record<string, string>;
      canonical: Record<string, Record<string, { metric: string; unit?: string; dimensions?: string[] }>>;
    };
    const ns = String(doc.namespaces?.tencent ?? '').toLowerCase();
    if (!ns) continue;
    const list = out.get(ns) ?? [];
    for (const entry of Object.values<Record<string, { metric: string; unit?: string }>>(doc.canonical)) {
      if (entry.tencent) list.push({ MetricName: entry.tencent.metric, Unit: entry.tencent.unit ?? '' });
    }
    out.set(ns, list);
  }
  return out;
}

export const BASE_METRICS = loadBaseMetrics();

export type Reply = { Response: Record<string, unknown> };
export const tcError = (code: string, message: string): Reply => ({
  Response: { Error: { Code: code, Message: message } },
});

/** COS capacity metrics are daily; everything else reports every minute. */
const periodsOf = (ns: string, metric: string) =>
  ns === 'qce/cos' && /Storage|Objects?Number/i.test(metric) ? [86400] : [60, 300, 3600];

export function describeBaseMetrics(p: Record<string, unknown>): Reply {
  const ns = String(p.Namespace ?? '').toLowerCase();
  const known = NAMESPACES[ns];
  if (!known) return tcError('InvalidParameterValue', `Namespace ${p.Namespace} is not supported.`);
  const list = (BASE_METRICS.get(ns) ?? []).filter((m) => !p.MetricName || m.MetricName === p.MetricName);
  return {
    Response: {
      MetricSet: list.map((m) => {
        const periods = periodsOf(ns, m.MetricName);
        return {
          Namespace: known.spelled,
          MetricName: m.MetricName,
          Unit: m.Unit,
          Period: periods,
          Periods: periods.map((x) => ({ Period: String(x), StatType: ['max', 'min', 'avg'] })),
          Dimensions: [{ Dimensions: [known.dim] }],
        };
      }),
    },
  };
}

function instanceIdsOf(r: SimResource): string[] {
  return r.type === 'clb' ? (r.vips ?? []) : [r.id];
}

/** GetMonitorData: one metric, at most 10 instances, a period the metric supports, the points of the window. */
export function getMonitorData(
  state: SimState,
  owner: SimAccount,
  region: string,
  p: Record<string, unknown>,
): Reply {
  const ns = String(p.Namespace ?? '').toLowerCase();
  const known = NAMESPACES[ns];
  if (!known) return tcError('InvalidParameterValue', `Namespace ${p.Namespace} is not supported.`);
  const metric = String(p.MetricName ?? '');
  if (!(BASE_METRICS.get(ns) ?? []).some((m) => m.MetricName === metric)) {
    return tcError('InvalidParameterValue', `MetricName ${metric} does not exist in ${known.spelled}.`);
  }
  const instances = (p.Instances ?? []) as { Dimensions?: { Name: string; Value: string }[] }[];
  if (instances.length > 10)
    return tcError('LimitExceeded', 'The number of Instances exceeds the limit of 10.');
  const period = Number(p.Period ?? 300);
  const periods = periodsOf(ns, metric);
  if (!periods.includes(period))
    return tcError(
      'InvalidParameterValue',
      `Period ${p.Period} is not supported by ${known.spelled} ${metric}: use one of ${periods.join(', ')}.`,
    );
  const end = p.EndTime === undefined ? Date.now() : Date.parse(String(p.EndTime));
  const start = Date.parse(String(p.StartTime ?? ''));
  if (Number.isNaN(start) || Number.isNaN(end) || start > end)
    return tcError('InvalidParameterValue', 'StartTime must be a time (RFC 3339) no later than EndTime.');
  // Points at the metric's own period only, each once its period has ended; EndTime is inclusive.
  const stamps = pointTimes({
    native: Math.min(...periods),
    period,
    from: start,
    to: end,
    toInclusive: true,
    now: Date.now(),
  }).map((t) => t / 1000);
  const mineHere = state.world.resources.filter(
    (r) =>
      r.cloud === 'tencent' && r.owner === owner.accessKeyId && r.region === region && r.type === known.type,
  );
  const ids =
    instances.length > 0
      ? instances.map((i) => i.Dimensions?.find((d) => d.Name === known.dim)?.Value ?? '')
      : mineHere.flatMap(instanceIdsOf);
  const available = new Set(mineHere.flatMap(instanceIdsOf));
  const points = ids
    .filter((id) => available.has(id))
    .map((id) => {
      const value = state.values.get({ cloud: 'tencent', namespace: known.spelled, metric, resourceId: id });
      return {
        Dimensions: [{ Name: known.dim, Value: id }],
        Timestamps: value === null ? [] : stamps,
        Values: value === null ? [] : stamps.map(() => value),
      };
    });
  return {
    Response: {
      MetricName: metric,
      Period: period,
      StartTime: p.StartTime,
      EndTime: p.EndTime,
      DataPoints: points,
    },
  };
}
