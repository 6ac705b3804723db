import type { CloudHandler, SimRequest, SimResponse } from '../server.ts';
import type { SimState } from '../sim-state.ts';
import { findAccount, type SimAccount } from '../world.ts';
import { batchListMetricData, listMetrics } from './ces.ts';
import { type HwReply, hwError, listLoadBalancers } from './elb.ts';
import { listProjects, regionOfProject } from './iam.ts';
import { listBuckets, obsError } from './obs.ts';
import { verifyObs, verifySdkHmac } from './signature.ts';

/**
 * Huawei Cloud simulator: IAM projects, ELB v3 and CES v1 behind the API gateway's
 * SDK-HMAC-SHA256 signature, as `@huaweicloud/huaweicloud-sdk-core` sends them, and OBS
 * `ListBuckets` with its header signature, as `esdk-obs-nodejs` sends it. Gateway errors are
 * JSON `{error_code, error_msg}` with the HTTP status the cloud uses (401, 429, 5xx).
 */
const FAULTS: Record<string, HwReply> = {
  throttle: hwError(
    429,
    'APIGW.0308',
    'The throttling threshold has been reached: policy user over ratelimit,limit:500,time:1 minute',
  ),
  server_error: hwError(500, 'APIGW.0203', 'Backend unavailable'),
  auth: hwError(401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail'),
};

type Route = {
  action: string;
  run: (
    state: SimState,
    owner: SimAccount,
    region: string,
    req: SimRequest,
    body: Record<string, unknown>,
  ) => HwReply;
};

function route(req: SimRequest): { route: Route; projectId?: string } | undefined {
  const path = req.url.pathname.replace(/\/$/, '');
  if (req.method === 'GET' && path === '/v3/projects')
    return {
      route: {
        action: 'KeystoneListProjects',
        run: (s, o, _r, q) => ({ status: 200, body: listProjects(s, o, q.url.searchParams.get('name')) }),
      },
    };
  let m = /^\/v3\/([0-9a-f]{32})\/elb\/loadbalancers$/.exec(path);
  if (req.method === 'GET' && m)
    return {
      projectId: m[1],
      route: {
        action: 'ListLoadBalancers',
        run: (s, o, r, q) => listLoadBalancers(s, o, r, q.url.searchParams),
      },
    };
  m = /^\/V1\.0\/([0-9a-f]{32})\/metrics$/.exec(path);
  if (req.method === 'GET' && m)
    return {
      projectId: m[1],
      route: { action: 'ListMetrics', run: (s, o, r, q) => listMetrics(s, o, r, q.url.searchParams) },
    };
  m = /^\/V1\.0\/([0-9a-f]{32})\/batch-query-metric-data$/.exec(path);
  if (req.method === 'POST' && m)
    return {
      projectId: m[1],
      route: { action: 'BatchListMetricData', run: (s, o, r, _q, b) => batchListMetricData(s, o, r, b) },
    };
  return undefined;
}

const json = (r: HwReply, requestId: string): SimResponse => ({
  status: r.status,
  headers: { 'content-type': 'application/json', 'x-request-id': requestId },
  body: JSON.stringify(r.status >= 400 ? { ...r.body, request_id: requestId } : r.body),
});

let counter = 0;

function api(req: SimRequest, state: SimState): SimResponse {
  const requestId = `sim${(++counter).toString(16).padStart(29, '0')}`;
  const found = route(req);
  const action = found?.route.action ?? 'Unknown';
  const fault = state.takeFault('huawei', action);
  if (fault === 'timeout') return { status: 200, body: '', hangMs: state.options.timeoutMs ?? 30_000 };
  let body: Record<string, unknown> = {};
  try {
    body = req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
  } catch {
    return json(hwError(400, 'APIGW.0201', 'Request body is not valid JSON.'), requestId);
  }
  const check = verifySdkHmac(req, (ak) => findAccount(state.world, 'huawei', ak)?.accessKeySecret);
  const owner = check.ok ? findAccount(state.world, 'huawei', check.accessKeyId)! : undefined;
  const region = owner && found?.projectId ? regionOfProject(state, owner, found.projectId) : undefined;
  state.record({
    cloud: 'huawei',
    action,
    accessKeyId: check.accessKeyId,
    region,
    params: req.method === 'GET' ? Object.fromEntries(req.url.searchParams) : body,
  });
  if (!check.ok) return json(hwError(401, check.code, check.message), requestId);
  if (fault && FAULTS[fault]) return json(FAULTS[fault]!, requestId);
  if (state.overRateLimit('huawei', action, check.accessKeyId)) return json(FAULTS.throttle!, requestId);
  if (!found)
    return json(
      hwError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment.'),
      requestId,
    );
  if (found.projectId && (!region || req.headers['x-project-id'] !== found.projectId))
    return json(
      hwError(
        403,
        'APIGW.0306',
        'Incorrect IAM authentication information: the project is not one of this account.',
      ),
      requestId,
    );
  return json(found.route.run(state, owner!, region ?? '', req, body), requestId);
}

function obs(req: SimRequest, state: SimState): SimResponse {
  const action = req.url.pathname === '/' && req.method === 'GET' ? 'ListBuckets' : 'ObsRequest';
  const fault = state.takeFault('huawei', action);
  if (fault === 'timeout') return { status: 200, body: '', hangMs: state.options.timeoutMs ?? 30_000 };
  const check = verifyObs(req, (ak) => findAccount(state.world, 'huawei', ak)?.accessKeySecret);
  state.record({
    cloud: 'huawei',
    action,
    accessKeyId: check.accessKeyId,
    params: Object.fromEntries(req.url.searchParams),
  });
  if (!check.ok) return obsError(403, check.code, check.message);
  if (fault === 'throttle' || state.overRateLimit('huawei', action, check.accessKeyId))
    return obsError(503, 'SlowDown', 'Please reduce your request rate.');
  if (fault === 'server_error')
    return obsError(500, 'InternalError', 'We encountered an internal error. Please try again.');
  if (action !== 'ListBuckets')
    return obsError(501, 'NotImplemented', 'cloudsim implements OBS ListBuckets only.');
  return listBuckets(state, findAccount(state.world, 'huawei', check.accessKeyId)!);
}

export const huaweiHandler: CloudHandler = async (req, state) =>
  /^(OBS|AWS) /.test(String(req.headers.authorization ?? '')) ? obs(req, state) : api(req, state);
