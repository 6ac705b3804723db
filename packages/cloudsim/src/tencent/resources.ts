import type { SimState } from '../sim-state.ts';
import type { SimAccount, SimResource } from '../world.ts';
import { type Reply, tcError } from './monitor.ts';

function paged<T>(items: T[], p: Record<string, unknown>): { page: T[] } | Reply {
  const limit = Number(p.Limit ?? 20);
  const offset = Number(p.Offset ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return tcError('InvalidParameterValue.Range', 'Limit must be between 1 and 100.');
  return { page: items.slice(offset, offset + limit) };
}

const tags = (r: SimResource) =>
  Object.entries(r.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));

export function describeRegions(state: SimState): Reply {
  const regions = state.world.regions.tencent ?? [];
  return {
    Response: {
      TotalCount: regions.length,
      RegionSet: regions.map((r) => ({ Region: r, RegionName: r, RegionState: 'AVAILABLE' })),
    },
  };
}

function mine(state: SimState, owner: SimAccount, region: string, type: SimResource['type']): SimResource[] {
  return state.world.resources.filter(
    (r) => r.cloud === 'tencent' && r.owner === owner.accessKeyId && r.region === region && r.type === type,
  );
}

export function describeLoadBalancers(
  state: SimState,
  owner: SimAccount,
  region: string,
  p: Record<string, unknown>,
): Reply {
  const all = mine(state, owner, region, 'clb');
  const r = paged(all, p);
  if ('Response' in r) return r;
  return {
    Response: {
      TotalCount: all.length,
      LoadBalancerSet: r.page.map((lb) => ({
        LoadBalancerId: lb.id,
        LoadBalancerName: lb.name ?? lb.id,
        LoadBalancerType: 'OPEN',
        LoadBalancerVips: lb.vips ?? [],
        Tags: tags(lb),
      })),
    },
  };
}

export function describeBandwidthPackages(
  state: SimState,
  owner: SimAccount,
  region: string,
  p: Record<string, unknown>,
): Reply {
  const all = mine(state, owner, region, 'bwp');
  const r = paged(all, p);
  if ('Response' in r) return r;
  return {
    Response: {
      TotalCount: all.length,
      BandwidthPackageSet: r.page.map((b) => ({
        BandwidthPackageId: b.id,
        BandwidthPackageName: b.name ?? '',
        Tags: tags(b),
      })),
    },
  };
}
