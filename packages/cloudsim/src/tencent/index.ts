import type { CloudHandler, SimRequest, SimResponse } from '../server.ts';
import type { SimState } from '../sim-state.ts';
import { findAccount } from '../world.ts';
import { cosError, handleCos } from './cos.ts';
import { describeBaseMetrics, getMonitorData, type Reply, tcError } from './monitor.ts';
import { describeBandwidthPackages, describeLoadBalancers, describeRegions } from './resources.ts';
import { verifyCos, verifyTc3 } from './signature.ts';

/**
 * Tencent Cloud simulator: API 3.0 (CVM, CLB, VPC, Monitor; `POST /` with X-TC-* headers and
 * TC3-HMAC-SHA256) as `tencentcloud-sdk-nodejs` sends it, and the COS XML API (path style) as
 * `cos-nodejs-sdk-v5` sends it. Errors come back as HTTP 200 with `Response.Error`, like the cloud.
 */
const FAULTS: Record<string, [string, string]> = {
  throttle: [
    'RequestLimitExceeded',
    'Your current request times equals to `21` in a second, which exceeds the frequency limit `20`.',
  ],
  server_error: ['InternalError', 'An internal error has occurred. Retry your request.'],
  auth: [
    'AuthFailure.SecretIdNotFound',
    'The SecretId is not found, please ensure that your SecretId is correct.',
  ],
};

let counter = 0;

function reply(r: Reply): SimResponse {
  const requestId = `sim-${(++counter).toString(16).padStart(8, '0')}`;
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Response: { ...r.Response, RequestId: requestId } }),
  };
}

function api(req: SimRequest, state: SimState): SimResponse {
  const action = String(req.headers['x-tc-action'] ?? '');
  const region = String(req.headers['x-tc-region'] ?? '');
  let params: Record<string, unknown> = {};
  try {
    params = req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
  } catch {
    return reply(tcError('InvalidParameter', 'The request body is not valid JSON.'));
  }
  // Network faults strike before the service looks at the request.
  const fault = state.takeFault('tencent', action);
  if (fault === 'timeout') return { status: 200, body: '', hangMs: state.options.timeoutMs ?? 30_000 };
  const check = verifyTc3(req, (id) => findAccount(state.world, 'tencent', id)?.accessKeySecret);
  state.record({
    cloud: 'tencent',
    action,
    accessKeyId: check.ok ? check.secretId : check.secretId,
    region,
    params,
  });
  if (!check.ok) return reply(tcError(check.code, check.message));
  if (fault && FAULTS[fault]) return reply(tcError(...FAULTS[fault]!));
  if (state.overRateLimit('tencent', action, check.secretId)) return reply(tcError(...FAULTS.throttle!));
  const owner = findAccount(state.world, 'tencent', check.secretId)!;
  switch (`${req.headers['x-tc-version']}:${action}`) {
    case '2017-03-12:DescribeRegions':
      return reply(describeRegions(state));
    case '2018-03-17:DescribeLoadBalancers':
      return reply(describeLoadBalancers(state, owner, region, params));
    case '2017-03-12:DescribeBandwidthPackages':
      return reply(describeBandwidthPackages(state, owner, region, params));
    case '2018-07-24:DescribeBaseMetrics':
      return reply(describeBaseMetrics(params));
    case '2018-07-24:GetMonitorData':
      return reply(getMonitorData(state, owner, region, params));
    default:
      return reply(
        tcError(
          'InvalidAction',
          `The action ${action} (version ${req.headers['x-tc-version']}) is not supported.`,
        ),
      );
  }
}

function cos(req: SimRequest, state: SimState): SimResponse {
  const bucket = req.url.pathname.split('/').filter(Boolean)[0];
  const action = bucket
    ? req.url.searchParams.has('tagging')
      ? 'GetBucketTagging'
      : 'CosRequest'
    : 'GetService';
  const all = state.world.resources.filter((r) => r.cloud === 'tencent' && r.type === 's3');
  const region = all.find((b) => b.id === bucket)?.region;
  const host = String(req.headers.host ?? '');
  const hosts = [
    host,
    ...(bucket && region ? [`${bucket}.cos.${region}.myqcloud.com`] : ['service.cos.myqcloud.com']),
  ];
  const paths = bucket ? ['/', `/${bucket}/`] : ['/'];
  // Network faults strike before the service looks at the request.
  const fault = state.takeFault('tencent', action);
  if (fault === 'timeout') return { status: 200, body: '', hangMs: state.options.timeoutMs ?? 30_000 };
  const check = verifyCos(
    req,
    (id) => findAccount(state.world, 'tencent', id)?.accessKeySecret,
    hosts,
    paths,
  );
  state.record({
    cloud: 'tencent',
    action,
    accessKeyId: check.secretId,
    region,
    params: Object.fromEntries(req.url.searchParams),
  });
  if (!check.ok) return cosError(403, check.code, check.message);
  if (fault === 'throttle') return cosError(503, 'SlowDown', 'Please reduce your request rate.');
  if (fault === 'server_error')
    return cosError(500, 'InternalError', 'We encountered an internal error. Please try again.');
  return handleCos(req, state, findAccount(state.world, 'tencent', check.secretId)!);
}

export const tencentHandler: CloudHandler = async (req, state) =>
  req.headers['x-tc-action'] ? api(req, state) : cos(req, state);
