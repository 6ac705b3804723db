import { createHash } from 'node:crypto';
import { pointTimes } from '../granularity.ts';
import type { CloudHandler, SimRequest, SimResponse } from '../server.ts';
import type { SimState } from '../sim-state.ts';
import { findAccount, type SimAccount, type SimResource } from '../world.ts';
import { verifySigV4 } from './sigv4.ts';

/**
 * AWS simulator: CloudWatch GetMetricData over AWS JSON 1.0 (what the current SDK speaks),
 * ELB (2012-06-01), ELBv2 (2015-12-01) and EC2 (2016-11-15) over the query protocol with XML
 * answers, and S3 REST (path style). Every request is checked with Signature Version 4.
 */
let counter = 0;
const rid = () => `sim-${(++counter).toString(16).padStart(8, '0')}`;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const xml = (status: number, body: string): SimResponse => ({
  status,
  headers: { 'content-type': 'text/xml', 'x-amzn-requestid': rid() },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});
const queryError = (status: number, code: string, message: string) =>
  xml(
    status,
    `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${rid()}</RequestId></ErrorResponse>`,
  );
const ec2Error = (status: number, code: string, message: string) =>
  xml(
    status,
    `<Response><Errors><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${rid()}</RequestID></Response>`,
  );
const s3Error = (status: number, code: string, message: string) =>
  xml(
    status,
    `<Error><Code>${code}</Code><Message>${esc(message)}</Message><RequestId>${rid()}</RequestId></Error>`,
  );
const jsonError = (status: number, code: string, message: string): SimResponse => ({
  status,
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-query-error': `${code};Sender`,
    'x-amzn-requestid': rid(),
  },
  body: JSON.stringify({ __type: `com.amazonaws.cloudwatch#${code}`, message }),
});

const TYPE_OF: Record<string, 'application' | 'network' | 'gateway'> = {
  alb: 'application',
  nlb: 'network',
  gwlb: 'gateway',
};
const ARN_KIND: Record<string, string> = { alb: 'app', nlb: 'net', gwlb: 'gwy' };
const NAMESPACE_TYPE: Record<string, SimResource['type']> = {
  'AWS/ELB': 'clb',
  'AWS/ApplicationELB': 'alb',
  'AWS/NetworkELB': 'nlb',
  'AWS/GatewayELB': 'gwlb',
  'AWS/S3': 's3',
};

export function lbArn(r: SimResource, owner: SimAccount): string {
  const hash = createHash('sha1').update(r.id).digest('hex').slice(0, 16);
  return `arn:aws:elasticloadbalancing:${r.region}:${owner.uid}:loadbalancer/${ARN_KIND[r.type]}/${r.id}/${hash}`;
}

const mine = (state: SimState, owner: SimAccount, types: SimResource['type'][], region?: string) =>
  state.world.resources.filter(
    (r) =>
      r.cloud === 'aws' &&
      r.owner === owner.accessKeyId &&
      types.includes(r.type) &&
      (region === undefined || r.region === region),
  );

const tagXml = (tags: Record<string, string> | undefined) =>
  Object.entries(tags ?? {})
    .map(([k, v]) => `<member><Key>${esc(k)}</Key><Value>${esc(v)}</Value></member>`)
    .join('');

/** Marker paging over a list: the marker is the index to resume from. */
function page<T>(items: T[], marker: string | null, size: number): { items: T[]; next?: string } {
  const start = marker ? Number(marker) : 0;
  const out = items.slice(start, start + size);
  return { items: out, next: start + size < items.length ? String(start + size) : undefined };
}

function members(p: URLSearchParams, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; p.has(`${prefix}.member.${i}`); i++) out.push(p.get(`${prefix}.member.${i}`)!);
  return out;
}

function query(p: URLSearchParams, state: SimState, owner: SimAccount, region: string): SimResponse {
  const action = p.get('Action') ?? '';
  const version = p.get('Version') ?? '';
  const size = Math.min(Number(p.get('PageSize') ?? 400), 400);
  if (version === '2016-11-15' && action === 'DescribeRegions') {
    const items = (state.world.regions.aws ?? [])
      .map(
        (r) =>
          `<item><regionName>${r}</regionName><regionEndpoint>ec2.${r}.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>`,
      )
      .join('');
    return xml(
      200,
      `<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${rid()}</requestId><regionInfo>${items}</regionInfo></DescribeRegionsResponse>`,
    );
  }
  if (version === '2015-12-01' && action === 'DescribeLoadBalancers') {
    const { items, next } = page(mine(state, owner, ['alb', 'nlb', 'gwlb'], region), p.get('Marker'), size);
    const lbs = items
      .map(
        (r) =>
          `<member><LoadBalancerArn>${lbArn(r, owner)}</LoadBalancerArn><LoadBalancerName>${esc(r.id)}</LoadBalancerName><Type>${TYPE_OF[r.type]}</Type><State><Code>active</Code></State></member>`,
      )
      .join('');
    return xml(
      200,
      `<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeLoadBalancersResult><LoadBalancers>${lbs}</LoadBalancers>${next ? `<NextMarker>${next}</NextMarker>` : ''}</DescribeLoadBalancersResult><ResponseMetadata><RequestId>${rid()}</RequestId></ResponseMetadata></DescribeLoadBalancersResponse>`,
    );
  }
  if (version === '2015-12-01' && action === 'DescribeTags') {
    const arns = members(p, 'ResourceArns');
    if (arns.length > 20)
      return queryError(400, 'ValidationError', 'ResourceArns can contain at most 20 ARNs');
    const all = mine(state, owner, ['alb', 'nlb', 'gwlb']);
    const found = arns.map((arn) => [arn, all.find((r) => lbArn(r, owner) === arn)] as const);
    const body = found
      .map(([arn, r]) => `<member><ResourceArn>${arn}</ResourceArn><Tags>${tagXml(r?.tags)}</Tags></member>`)
      .join('');
    return xml(
      200,
      `<DescribeTagsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTagsResult><TagDescriptions>${body}</TagDescriptions></DescribeTagsResult><ResponseMetadata><RequestId>${rid()}</RequestId></ResponseMetadata></DescribeTagsResponse>`,
    );
  }
  if (version === '2012-06-01' && action === 'DescribeLoadBalancers') {
    const { items, next } = page(mine(state, owner, ['clb'], region), p.get('Marker'), size);
    const lbs = items
      .map(
        (r) =>
          `<member><LoadBalancerName>${esc(r.id)}</LoadBalancerName><Scheme>internet-facing</Scheme></member>`,
      )
      .join('');
    return xml(
      200,
      `<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"><DescribeLoadBalancersResult><LoadBalancerDescriptions>${lbs}</LoadBalancerDescriptions>${next ? `<NextMarker>${next}</NextMarker>` : ''}</DescribeLoadBalancersResult><ResponseMetadata><RequestId>${rid()}</RequestId></ResponseMetadata></DescribeLoadBalancersResponse>`,
    );
  }
  if (version === '2012-06-01' && action === 'DescribeTags') {
    const names = members(p, 'LoadBalancerNames');
    if (names.length > 20)
      return queryError(400, 'ValidationError', 'LoadBalancerNames can contain at most 20 names');
    const all = mine(state, owner, ['clb']);
    const body = names
      .map(
        (n) =>
          `<member><LoadBalancerName>${esc(n)}</LoadBalancerName><Tags>${tagXml(all.find((r) => r.id === n)?.tags)}</Tags></member>`,
      )
      .join('');
    return xml(
      200,
      `<DescribeTagsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"><DescribeTagsResult><TagDescriptions>${body}</TagDescriptions></DescribeTagsResult><ResponseMetadata><RequestId>${rid()}</RequestId></ResponseMetadata></DescribeTagsResponse>`,
    );
  }
  return queryError(
    400,
    'InvalidAction',
    `The action ${action} (${version}) is not valid for this endpoint.`,
  );
}

interface Query {
  Id: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
    Period: number;
    Stat: string;
  };
}

/** S3 storage metrics are reported once a day; everything else served here every minute. */
export function nativePeriod(namespace: string, metric: string): number {
  return namespace === 'AWS/S3' && (metric === 'BucketSizeBytes' || metric === 'NumberOfObjects')
    ? 86_400
    : 60;
}

/** The JSON protocol sends times as epoch seconds; accept ISO strings too. */
const msOf = (v: unknown) => (typeof v === 'number' ? v * 1000 : Date.parse(String(v)));

/**
 * GetMetricData: at most 500 queries; results paged by NextToken (`cloudwatchPageSize` per
 * page). A query's points are the period buckets in [StartTime, EndTime) that hold the
 * metric's data, newest first unless `ScanBy` says otherwise.
 */
function getMetricData(
  body: {
    MetricDataQueries?: Query[];
    NextToken?: string;
    StartTime?: unknown;
    EndTime?: unknown;
    ScanBy?: string;
  },
  state: SimState,
  owner: SimAccount,
  region: string,
): SimResponse {
  const queries = body.MetricDataQueries ?? [];
  if (queries.length > 500)
    return jsonError(
      400,
      'InvalidParameterValue',
      'The collection MetricDataQueries must not have a size greater than 500.',
    );
  const from = msOf(body.StartTime);
  const to = msOf(body.EndTime);
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to)
    return jsonError(
      400,
      'ValidationError',
      'The parameter StartTime must be less than the parameter EndTime.',
    );
  const bad = queries.find((q) => {
    const period = q.MetricStat?.Period ?? 0;
    return !([1, 5, 10, 30].includes(period) || (period > 0 && period % 60 === 0));
  });
  if (bad)
    return jsonError(
      400,
      'ValidationError',
      `The parameter MetricDataQueries.member.${queries.indexOf(bad) + 1}.MetricStat.Period must be 1, 5, 10, 30 or a multiple of 60.`,
    );
  const size = state.options.cloudwatchPageSize ?? 500;
  const start = body.NextToken ? Number(body.NextToken) : 0;
  const slice = queries.slice(start, start + size);
  const now = Date.now();
  const results = slice.map((q) => {
    const m = q.MetricStat!.Metric;
    const dims = Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value]));
    const type = NAMESPACE_TYPE[m.Namespace];
    const id = dims.LoadBalancer?.split('/')[1] ?? dims.LoadBalancerName ?? dims.BucketName ?? '';
    const res = mine(state, owner, type ? [type] : []).find((r) => r.id === id);
    // S3 metrics live in the bucket's own region; asking another region's CloudWatch finds nothing.
    const here = res && (res.region === region || type !== 's3');
    const extra = Object.fromEntries(
      Object.entries(dims).filter(([k]) => k === 'StorageType' || k === 'FilterId'),
    );
    const value = here
      ? state.values.get({
          cloud: 'aws',
          namespace: m.Namespace,
          metric: m.MetricName,
          resourceId: id,
          dims: extra,
        })
      : null;
    const stamps =
      value === null
        ? []
        : pointTimes({
            native: nativePeriod(m.Namespace, m.MetricName),
            period: q.MetricStat!.Period,
            from,
            to,
            now,
          }).map((t) => t / 1000);
    if (body.ScanBy !== 'TimestampAscending') stamps.reverse();
    return {
      Id: q.Id,
      Label: m.MetricName,
      Timestamps: stamps,
      Values: stamps.map(() => value),
      StatusCode: 'Complete',
    };
  });
  const next = start + size < queries.length ? String(start + size) : undefined;
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': rid() },
    body: JSON.stringify({ MetricDataResults: results, Messages: [], ...(next ? { NextToken: next } : {}) }),
  };
}

function s3(req: SimRequest, state: SimState, owner: SimAccount): SimResponse {
  const bucket = decodeURIComponent(req.url.pathname.split('/').filter(Boolean)[0] ?? '');
  const buckets = mine(state, owner, ['s3']);
  if (!bucket) {
    const items = buckets
      .map(
        (b) =>
          `<Bucket><Name>${esc(b.id)}</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`,
      )
      .join('');
    return xml(
      200,
      `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>${owner.uid}</ID></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`,
    );
  }
  const b = buckets.find((x) => x.id === bucket);
  if (!b) return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
  if (req.url.searchParams.has('location')) {
    return xml(
      200,
      `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${b.region === 'us-east-1' ? '' : b.region}</LocationConstraint>`,
    );
  }
  if (req.url.searchParams.has('tagging')) {
    const entries = Object.entries(b.tags ?? {});
    if (!entries.length) return s3Error(404, 'NoSuchTagSet', 'The TagSet does not exist');
    return xml(
      200,
      `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${entries.map(([k, v]) => `<Tag><Key>${esc(k)}</Key><Value>${esc(v)}</Value></Tag>`).join('')}</TagSet></Tagging>`,
    );
  }
  return s3Error(
    501,
    'NotImplemented',
    'cloudsim implements ListBuckets, GetBucketLocation and GetBucketTagging only',
  );
}

function actionOf(
  req: SimRequest,
  form: URLSearchParams | undefined,
): { action: string; kind: 'json' | 'query' | 's3' } {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target) return { action: target.split('.').pop() ?? '', kind: 'json' };
  if (form?.get('Action')) return { action: form.get('Action')!, kind: 'query' };
  const bucket = req.url.pathname.split('/').filter(Boolean)[0];
  const action = !bucket
    ? 'ListBuckets'
    : req.url.searchParams.has('location')
      ? 'GetBucketLocation'
      : req.url.searchParams.has('tagging')
        ? 'GetBucketTagging'
        : 'S3Request';
  return { action, kind: 's3' };
}

export const awsHandler: CloudHandler = async (req, state) => {
  const isForm = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  const form = isForm ? new URLSearchParams(req.body.toString('utf8')) : undefined;
  const { action, kind } = actionOf(req, form);
  const error =
    kind === 'json'
      ? jsonError
      : kind === 's3'
        ? s3Error
        : form?.get('Version') === '2016-11-15'
          ? ec2Error
          : queryError;
  const fault = state.takeFault('aws', action);
  if (fault === 'timeout') return { status: 200, body: '', hangMs: state.options.timeoutMs ?? 30_000 };
  const check = verifySigV4(req, (ak) => findAccount(state.world, 'aws', ak)?.accessKeySecret);
  const json = kind === 'json' && req.body.length ? JSON.parse(req.body.toString('utf8')) : undefined;
  state.record({
    cloud: 'aws',
    action,
    accessKeyId: check.accessKeyId,
    region: check.ok ? check.region : undefined,
    params: json ?? (form ? Object.fromEntries(form) : Object.fromEntries(req.url.searchParams)),
  });
  if (!check.ok) return error(403, check.code, check.message);
  if (fault === 'throttle' || state.overRateLimit('aws', action, check.accessKeyId)) {
    return kind === 's3'
      ? s3Error(503, 'SlowDown', 'Please reduce your request rate.')
      : error(400, 'Throttling', 'Rate exceeded');
  }
  if (fault === 'server_error')
    return error(500, 'InternalFailure', 'The request processing has failed because of an unknown error.');
  if (fault === 'auth')
    return error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  const owner = findAccount(state.world, 'aws', check.accessKeyId)!;
  if (kind === 'json') {
    if (action !== 'GetMetricData')
      return jsonError(400, 'InvalidAction', `${action} is not implemented by cloudsim`);
    return getMetricData(json ?? {}, state, owner, check.region);
  }
  if (kind === 'query') return query(form!, state, owner, check.region);
  return s3(req, state, owner);
};
