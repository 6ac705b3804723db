import type { SimState } from '../sim-state.ts';
import type { SimAccount, SimResource, SimResourceType } from '../world.ts';
import type { RpcResult } from './cms.ts';

type Params = Record<string, string>;

const fail = (status: number, code: string, message: string): RpcResult => ({
  status,
  body: { Code: code, Message: message },
});

function mine(state: SimState, owner: SimAccount, type: SimResourceType, region: string): SimResource[] {
  return state.world.resources.filter(
    (r) => r.cloud === 'aliyun' && r.owner === owner.accessKeyId && r.type === type && r.region === region,
  );
}

const tagList = (r: SimResource, keyName: string, valueName: string) =>
  Object.entries(r.tags ?? {}).map(([k, v]) => ({ [keyName]: k, [valueName]: v }));

/** PageNumber/PageSize paging with the API's maximum page size. */
function numbered<T>(
  items: T[],
  p: Params,
  max: number,
): { page: T[]; size: number; number: number } | RpcResult {
  const size = Number(p.PageSize ?? 10);
  if (!Number.isInteger(size) || size < 1 || size > max)
    return fail(400, 'InvalidParameter.PageSize', `PageSize must be between 1 and ${max}.`);
  const number = Math.max(1, Number(p.PageNumber ?? 1));
  return { page: items.slice((number - 1) * size, number * size), size, number };
}

/** MaxResults/NextToken paging (ALB, NLB). */
function tokened<T>(items: T[], p: Params): { page: T[]; next?: string } | RpcResult {
  const max = Number(p.MaxResults ?? 20);
  if (!Number.isInteger(max) || max < 1 || max > 100)
    return fail(400, 'IllegalParam.MaxResults', 'MaxResults must be between 1 and 100.');
  const offset = p.NextToken ? Number(Buffer.from(p.NextToken, 'base64url').toString()) : 0;
  if (Number.isNaN(offset)) return fail(400, 'IllegalParam.NextToken', 'The NextToken is invalid.');
  const page = items.slice(offset, offset + max);
  return {
    page,
    next: offset + max < items.length ? Buffer.from(String(offset + max)).toString('base64url') : undefined,
  };
}

const isResult = (x: unknown): x is RpcResult =>
  typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

export function describeRegions(state: SimState): RpcResult {
  const regions = state.world.regions.aliyun ?? [];
  return {
    status: 200,
    body: {
      Regions: {
        Region: regions.map((r) => ({ RegionId: r, LocalName: r, RegionEndpoint: `ecs.${r}.aliyuncs.com` })),
      },
    },
  };
}

export function describeLoadBalancers(state: SimState, owner: SimAccount, p: Params): RpcResult {
  const all = mine(state, owner, 'clb', p.RegionId ?? '');
  const paged = numbered(all, p, 100);
  if (isResult(paged)) return paged;
  return {
    status: 200,
    body: {
      TotalCount: all.length,
      PageNumber: paged.number,
      PageSize: paged.size,
      LoadBalancers: {
        LoadBalancer: paged.page.map((r) => ({
          LoadBalancerId: r.id,
          LoadBalancerName: r.name ?? r.id,
          RegionId: r.region,
          LoadBalancerStatus: 'active',
          Tags: { Tag: tagList(r, 'TagKey', 'TagValue') },
        })),
      },
    },
  };
}

export function describeLoadBalancerAttribute(state: SimState, owner: SimAccount, p: Params): RpcResult {
  const lb = mine(state, owner, 'clb', p.RegionId ?? '').find((r) => r.id === p.LoadBalancerId);
  if (!lb)
    return fail(
      400,
      'InvalidLoadBalancerId.NotFound',
      `The specified LoadBalancerId ${p.LoadBalancerId} does not exist.`,
    );
  return {
    status: 200,
    body: {
      LoadBalancerId: lb.id,
      LoadBalancerName: lb.name ?? lb.id,
      ListenerPortsAndProtocol: {
        ListenerPortAndProtocol: (lb.listeners ?? []).map((l) => ({
          ListenerPort: l.port,
          ListenerProtocol: l.protocol,
        })),
      },
    },
  };
}

export function describeCommonBandwidthPackages(state: SimState, owner: SimAccount, p: Params): RpcResult {
  const all = mine(state, owner, 'bwp', p.RegionId ?? '');
  const paged = numbered(all, p, 50);
  if (isResult(paged)) return paged;
  return {
    status: 200,
    body: {
      TotalCount: all.length,
      PageNumber: paged.number,
      PageSize: paged.size,
      CommonBandwidthPackages: {
        CommonBandwidthPackage: paged.page.map((r) => ({
          BandwidthPackageId: r.id,
          Name: r.name ?? '',
          RegionId: r.region,
          Tags: { Tag: tagList(r, 'Key', 'Value') },
        })),
      },
    },
  };
}

export function listLoadBalancers(
  state: SimState,
  owner: SimAccount,
  p: Params,
  type: 'alb' | 'nlb',
): RpcResult {
  const all = mine(state, owner, type, p.RegionId ?? '');
  const paged = tokened(all, p);
  if (isResult(paged)) return paged;
  return {
    status: 200,
    body: {
      TotalCount: all.length,
      MaxResults: Number(p.MaxResults ?? 20),
      NextToken: paged.next,
      LoadBalancers: paged.page.map((r) => ({
        LoadBalancerId: r.id,
        LoadBalancerName: r.name ?? r.id,
        LoadBalancerStatus: 'Active',
        Tags: tagList(r, 'Key', 'Value'),
      })),
    },
  };
}
