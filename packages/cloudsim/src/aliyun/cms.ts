import { latestPoint, pointTimes } from '../granularity.ts';
import type { SimState } from '../sim-state.ts';
import type { SimAccount, SimResource } from '../world.ts';
import { METADATA, NAMESPACE_TYPE } from './metadata.ts';

type Params = Record<string, string>;
export type RpcResult = { status: number; body: Record<string, unknown> };

const fail = (status: number, code: string, message: string): RpcResult => ({
  status,
  body: { Code: code, Message: message, Success: false },
});

export function describeMetricMetaList(p: Params): RpcResult {
  const list = (METADATA.get(p.Namespace ?? '') ?? []).filter(
    (m) => !p.MetricName || m.MetricName === p.MetricName,
  );
  const size = Math.min(Number(p.PageSize ?? 30), 10_000);
  const page = Math.max(1, Number(p.PageNumber ?? 1));
  return {
    status: 200,
    body: {
      Code: '200',
      Success: true,
      TotalCount: list.length,
      Resources: { Resource: list.slice((page - 1) * size, page * size) },
    },
  };
}

/** The series the world holds for one requested dimension map (listener fan-out when not pinned). */
function seriesFor(
  state: SimState,
  owner: SimAccount,
  region: string,
  ns: string,
  metric: string,
  dimsWanted: string[],
  want: Record<string, unknown>,
  stamps: number[],
): Record<string, unknown>[] {
  const type = NAMESPACE_TYPE[ns];
  const values = Object.values(want).map(String);
  const res: SimResource | undefined = state.world.resources.find(
    (r) =>
      r.cloud === 'aliyun' &&
      r.owner === owner.accessKeyId &&
      r.region === region &&
      r.type === type &&
      values.includes(r.id),
  );
  if (!res) return [];
  const idKey = Object.keys(want).find((k) => String(want[k]) === res.id)!;
  const wantsListener =
    dimsWanted.includes('port') && dimsWanted.includes('protocol') && res.listeners?.length;
  const combos: Record<string, unknown>[] = [];
  if (wantsListener && want.port === undefined) {
    for (const l of res.listeners!) combos.push({ port: l.port, protocol: l.protocol });
  } else if (want.port !== undefined) {
    combos.push({ port: Number(want.port), protocol: want.protocol });
  } else combos.push({});
  const out: Record<string, unknown>[] = [];
  for (const extra of combos) {
    const dims = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)]));
    const value = state.values.get({ cloud: 'aliyun', namespace: ns, metric, resourceId: res.id, dims });
    if (value === null) continue;
    for (const timestamp of stamps)
      out.push({
        timestamp,
        userId: owner.uid,
        [idKey]: res.id,
        ...extra,
        Average: value,
        Maximum: value,
        Minimum: value,
      });
  }
  return out;
}

/** CMS takes StartTime/EndTime as milliseconds or as `YYYY-MM-DD hh:mm:ss` (UTC here). */
function timeOf(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v.includes('T') ? v : `${v.replace(' ', 'T')}Z`);
  return Number.isNaN(t) ? Number.NaN : t;
}

/**
 * When the series have points: DescribeMetricList every bucket of the window (the last hour
 * by default), DescribeMetricLast the newest one, within the window when one is given. Points
 * exist only at the metric's reporting period (the smallest of its `Periods`).
 */
function stampsFor(meta: { Periods: string }, p: Params, last: boolean): number[] | RpcResult {
  const native = Math.min(...meta.Periods.split(',').map(Number));
  const period = p.Period ? Number(p.Period) : native;
  if (!Number.isInteger(period) || period <= 0 || period % native !== 0)
    return fail(
      400,
      'InvalidParameter',
      `The Period ${p.Period} is not supported by metric ${p.MetricName}: use a multiple of ${native} (Periods ${meta.Periods}).`,
    );
  const now = Date.now();
  const from = timeOf(p.StartTime);
  const to = timeOf(p.EndTime);
  if (Number.isNaN(from) || Number.isNaN(to))
    return fail(400, 'InvalidParameter', 'StartTime and EndTime are milliseconds or "YYYY-MM-DD hh:mm:ss".');
  if (last && from === undefined && to === undefined) {
    const t = latestPoint(native, period, now);
    return t === undefined ? [] : [t];
  }
  const window = { from: from ?? (to ?? now) - 3_600_000, to: to ?? now };
  const all = pointTimes({ native, period, ...window, toInclusive: true, now });
  return last ? all.slice(-1) : all;
}

/** DescribeMetricLast (`last`) / DescribeMetricList: ≤50 dimension sets, Length per page, NextToken paging. */
export function describeMetricData(
  state: SimState,
  owner: SimAccount,
  p: Params,
  fault?: string,
  last = true,
): RpcResult {
  const ns = p.Namespace ?? '';
  const meta = METADATA.get(ns)?.find((m) => m.MetricName === p.MetricName);
  if (!meta) return fail(400, 'InvalidParameter', `metric ${p.MetricName} of namespace ${ns} does not exist`);
  const stamps = stampsFor(meta, p, last);
  if (!Array.isArray(stamps)) return stamps;
  let wanted: Record<string, unknown>[] = [];
  if (p.Dimensions) {
    try {
      const parsed = JSON.parse(p.Dimensions);
      wanted = Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      return fail(400, 'InvalidParameter', 'Dimensions is not valid JSON');
    }
  }
  if (wanted.length > 50)
    return fail(400, 'InvalidParameter', 'The Dimensions parameter can contain at most 50 dimension sets.');
  const length = Math.min(Number(p.Length ?? 1000), 1440);
  if (fault === 'bad_token') return ok([], p.NextToken || 'tkn-repeat', p);
  if (fault === 'empty_pages') return ok([], `tkn-${Math.random().toString(36).slice(2)}`, p);
  const region = p.RegionId ?? '';
  const dimsWanted = meta.Dimensions.split(',');
  let points: Record<string, unknown>[];
  if (wanted.length) {
    points = wanted.flatMap((w) =>
      seriesFor(state, owner, region, ns, meta.MetricName, dimsWanted, w, stamps),
    );
  } else {
    const type = NAMESPACE_TYPE[ns];
    const idKey = dimsWanted.find((d) => /instanceid|loadbalancerid|bucketname/i.test(d)) ?? 'instanceId';
    points = state.world.resources
      .filter(
        (r) =>
          r.cloud === 'aliyun' && r.owner === owner.accessKeyId && r.region === region && r.type === type,
      )
      .flatMap((r) =>
        seriesFor(state, owner, region, ns, meta.MetricName, dimsWanted, { [idKey]: r.id }, stamps),
      );
  }
  const offset = p.NextToken ? Number(Buffer.from(p.NextToken, 'base64url').toString()) : 0;
  const page = points.slice(offset, offset + length);
  const next =
    offset + length < points.length ? Buffer.from(String(offset + length)).toString('base64url') : '';
  return ok(page, next, p);
}

function ok(points: unknown[], next: string, p: Params): RpcResult {
  return {
    status: 200,
    body: {
      Code: '200',
      Success: true,
      Period: p.Period ?? '60',
      Datapoints: JSON.stringify(points),
      NextToken: next || undefined,
    },
  };
}
