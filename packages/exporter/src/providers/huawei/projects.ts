import { TtlCache } from '../../cache.ts';
import type { CloudCalls } from '../provider.ts';
import type { HuaweiApi } from './clients.ts';

/** Project ids per account and region, shared by discovery and collection (one IAM call each per TTL). */
export const projects = new TtlCache<string>('huawei_projects', 3_600_000);

export function projectOf(
  calls: CloudCalls,
  api: HuaweiApi,
  accountId: string,
  region: string,
): Promise<string> {
  return projects.getOrLoad(`${accountId}|${region}`, () =>
    calls.call('KeystoneListProjects', () => api.projectId(region), { attempts: 3 }),
  );
}
