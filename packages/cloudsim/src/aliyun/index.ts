import type { CloudHandler, SimRequest, SimResponse } from '../server.ts';
import type { SimState } from '../sim-state.ts';
import { findAccount } from '../world.ts';
import { describeMetricData, describeMetricMetaList, type RpcResult } from './cms.ts';
import { handleOss, ossError } from './oss.ts';
import {
  describeCommonBandwidthPackages,
  describeLoadBalancerAttribute,
  describeLoadBalancers,
  describeRegions,
  listLoadBalancers,
} from './resources.ts';
import { verifyAcs3, verifyOssV1 } from './signature.ts';

/**
 * Aliyun simulator: RPC-style OpenAPI (ECS, SLB, VPC, ALB, NLB, CMS) signed with
 * ACS3-HMAC-SHA256 as `@alicloud/openapi-client` sends it, and OSS (path style) signed with the
 * OSS V1 signature as `ali-oss` sends it. Products are told apart by `x-acs-version`.
 */
const PRODUCTS: Record<string, string> = {
  '2014-05-26': 'ecs',
  '2014-05-15': 'slb',
  '2016-04-28': 'vpc',
  '2020-06-16': 'alb',
  '2022-04-30': 'nlb',
  '2019-01-01': 'cms',
};

const json = (r: RpcResult, requestId: string): SimResponse => ({
  status: r.status,
  headers: { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': requestId },
  body: JSON.stringify({ RequestId: requestId, ...r.body }),
});

const FAULTS: Record<string, RpcResult> = {
  throttle: {
    status: 400,
    body: { Code: 'Throttling', Message: 'Request was denied due to request throttling.' },
  },
  server_error: {
    status: 500,
    body: { Code: 'InternalError', Message: 'The request processing has failed due to some unknown error.' },
  },
  auth: {
    status: 404,
    body: { Code: 'InvalidAccessKeyId.NotFound', Message: 'Specified access key is not found.' },
  },
};

let counter = 0;

function rpc(req: SimRequest, state: SimState): SimResponse {
  const requestId = `SIM-${(++counter).toString(16).toUpperCase()}`;
  const action = String(req.headers['x-acs-action'] ?? '');
  const product = PRODUCTS[String(req.headers['x-acs-version'] ?? '')];
  const params = Object.fromEntries(req.url.searchParams);
  const secretOf = (ak: string) => findAccount(state.world, 'aliyun', ak)?.accessKeySecret;
  // Network faults strike before the service looks at the request.
  const fault = state.takeFault('aliyun', action);
  if (fault === 'timeout') return { status: 200, body: '', hangMs: state.options.timeoutMs ?? 30_000 };
  const check = verifyAcs3(req, secretOf);
  state.record({ cloud: 'aliyun', action, accessKeyId: check.accessKeyId, region: params.RegionId, params });
  if (!check.ok) {
    return json(
      {
        status: check.code.startsWith('InvalidAccessKeyId') ? 404 : 400,
        body: { Code: check.code, Message: check.message },
      },
      requestId,
    );
  }
  if (fault && FAULTS[fault]) return json(FAULTS[fault], requestId);
  if (state.overRateLimit('aliyun', action, check.accessKeyId)) return json(FAULTS.throttle!, requestId);
  const owner = findAccount(state.world, 'aliyun', check.accessKeyId)!;
  const key = `${product}:${action}`;
  switch (key) {
    case 'ecs:DescribeRegions':
      return json(describeRegions(state), requestId);
    case 'slb:DescribeLoadBalancers':
      return json(describeLoadBalancers(state, owner, params), requestId);
    case 'slb:DescribeLoadBalancerAttribute':
      return json(describeLoadBalancerAttribute(state, owner, params), requestId);
    case 'vpc:DescribeCommonBandwidthPackages':
      return json(describeCommonBandwidthPackages(state, owner, params), requestId);
    case 'alb:ListLoadBalancers':
      return json(listLoadBalancers(state, owner, params, 'alb'), requestId);
    case 'nlb:ListLoadBalancers':
      return json(listLoadBalancers(state, owner, params, 'nlb'), requestId);
    case 'cms:DescribeMetricMetaList':
      return json(describeMetricMetaList(params), requestId);
    case 'cms:DescribeMetricLast':
    case 'cms:DescribeMetricList':
      return json(
        describeMetricData(state, owner, params, fault, action === 'DescribeMetricLast'),
        requestId,
      );
    default:
      return json(
        {
          status: 404,
          body: {
            Code: 'InvalidAction.NotFound',
            Message: `Specified api ${action} is not found (${product ?? 'unknown product'}).`,
          },
        },
        requestId,
      );
  }
}

function oss(req: SimRequest, state: SimState): SimResponse {
  const secretOf = (ak: string) => findAccount(state.world, 'aliyun', ak)?.accessKeySecret;
  const action =
    req.url.pathname === '/'
      ? 'ListBuckets'
      : req.url.searchParams.has('tagging')
        ? 'GetBucketTagging'
        : 'OssRequest';
  // Network faults strike before the service looks at the request.
  const fault = state.takeFault('aliyun', action);
  if (fault === 'timeout') return { status: 200, body: '', hangMs: state.options.timeoutMs ?? 30_000 };
  const check = verifyOssV1(req, secretOf);
  state.record({
    cloud: 'aliyun',
    action,
    accessKeyId: check.accessKeyId,
    params: Object.fromEntries(req.url.searchParams),
  });
  if (!check.ok) return ossError(403, check.code, check.message);
  if (fault === 'throttle') return ossError(503, 'SlowDown', 'Please reduce your request rate.');
  if (fault === 'server_error')
    return ossError(500, 'InternalError', 'We encountered an internal error. Please try again.');
  if (fault === 'auth')
    return ossError(
      403,
      'InvalidAccessKeyId',
      'The OSS Access Key Id you provided does not exist in our records.',
    );
  return handleOss(req, state, findAccount(state.world, 'aliyun', check.accessKeyId)!);
}

export const aliyunHandler: CloudHandler = async (req, state) =>
  req.headers['x-acs-action'] ? rpc(req, state) : oss(req, state);
