import type { TtlCache } from '../../cache.ts';
import type { CollectRequest } from '../provider.ts';
import type { AliyunApi } from './client.ts';

export const HOME_REGION = 'cn-hangzhou';

/**
 * The regions to collect: the configured list, or for `["*"]` the regions ECS reports, falling
 * back to DEFAULT_REGIONS and then the home region when the call fails.
 */
export async function resolveRegions(
  req: CollectRequest,
  api: AliyunApi,
  cache: TtlCache<string[]>,
): Promise<string[]> {
  if (!req.account.regions.includes('*')) return req.account.regions;
  try {
    return await cache.getOrLoad(req.account.account_id, async () => {
      const body = await req.calls.call('DescribeRegions', () =>
        api.call<{ Regions?: { Region?: { RegionId: string }[] } }>(
          'ecs',
          'DescribeRegions',
          HOME_REGION,
          {},
        ),
      );
      const ids = (body.Regions?.Region ?? []).map((r) => r.RegionId).filter(Boolean);
      if (!ids.length) throw new Error('DescribeRegions returned no region');
      return ids;
    });
  } catch (err) {
    const fallback = req.settings.defaultRegions.length ? req.settings.defaultRegions : [HOME_REGION];
    req.log.warn(
      { err: (err as Error).message, fallback },
      'region enumeration failed, using fallback regions',
    );
    return fallback;
  }
}
