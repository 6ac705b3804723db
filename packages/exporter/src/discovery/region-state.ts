/**
 * Smart region discovery for accounts configured with `regions: ["*"]`: regions that held no
 * resource of any collected type `threshold` cycles in a row are skipped, until the periodic
 * rediscovery resets every region to unknown. Pure functions; RegionManager persists them.
 */
export type RegionStatus = 'unknown' | 'active' | 'empty';

export interface RegionInfo {
  status: RegionStatus;
  last_seen: string;
  last_active: string;
  empty_count: number;
  resource_count: number;
  priority: number;
}

/** account id → region → state; the persisted `region_map`. */
export type RegionMap = Record<string, Record<string, RegionInfo>>;

const PRIORITY: Record<RegionStatus, number> = { active: 100, unknown: 50, empty: 10 };
const NEVER = '0001-01-01T00:00:00Z';

/** Active regions first (in input order), then unknown and not-yet-skipped empty ones; never nothing. */
export function selectRegions(
  known: Record<string, RegionInfo> | undefined,
  all: string[],
  threshold: number,
): { regions: string[]; skipped: string[] } {
  if (!known) return { regions: all, skipped: [] };
  const active = all.filter((r) => known[r]?.status === 'active');
  const skipped = all.filter((r) => known[r]?.status === 'empty' && known[r]!.empty_count >= threshold);
  const rest = all.filter((r) => !active.includes(r) && !skipped.includes(r));
  const regions = [...active, ...rest];
  return regions.length ? { regions, skipped } : { regions: all, skipped: [] };
}

/** One cycle's resource count of a region (every resource type of the account summed). */
export function observe(prev: RegionInfo | undefined, count: number, now: Date): RegionInfo {
  const at = now.toISOString();
  if (count > 0) {
    return {
      status: 'active',
      last_seen: at,
      last_active: at,
      empty_count: 0,
      resource_count: count,
      priority: PRIORITY.active,
    };
  }
  return {
    status: 'empty',
    last_seen: at,
    last_active: prev?.last_active ?? NEVER,
    empty_count: (prev?.empty_count ?? 0) + 1,
    resource_count: 0,
    priority: PRIORITY.empty,
  };
}

/** Every region back to unknown, so skipped regions are probed again. */
export function rediscover(map: RegionMap): RegionMap {
  const out: RegionMap = {};
  for (const [account, regions] of Object.entries(map)) {
    out[account] = {};
    for (const [region, info] of Object.entries(regions)) {
      out[account][region] = { ...info, status: 'unknown', empty_count: 0, priority: PRIORITY.unknown };
    }
  }
  return out;
}
