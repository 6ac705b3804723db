import { createHash } from 'node:crypto';
import type { SimState } from '../sim-state.ts';
import type { SimAccount } from '../world.ts';

/** Huawei scopes regional APIs by project: one project per account and region, with a stable 32-hex id. */
export const projectIdOf = (account: SimAccount, region: string) =>
  createHash('sha256').update(`${account.uid}|${region}`).digest('hex').slice(0, 32);

export function regionOfProject(state: SimState, account: SimAccount, projectId: string): string | undefined {
  return (state.world.regions.huawei ?? []).find((r) => projectIdOf(account, r) === projectId);
}

/** IAM `KeystoneListProjects` (`GET /v3/projects`, optional `name` filter). */
export function listProjects(state: SimState, account: SimAccount, name: string | null) {
  const regions = (state.world.regions.huawei ?? []).filter((r) => name === null || r === name);
  const domainId = createHash('sha256').update(account.uid).digest('hex').slice(0, 32);
  return {
    projects: regions.map((r) => ({
      id: projectIdOf(account, r),
      name: r,
      domain_id: domainId,
      parent_id: domainId,
      is_domain: false,
      enabled: true,
      description: '',
      links: { self: `https://iam.myhuaweicloud.com/v3/projects/${projectIdOf(account, r)}` },
    })),
    links: { self: 'https://iam.myhuaweicloud.com/v3/projects', previous: null, next: null },
  };
}
