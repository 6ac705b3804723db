import type { SimState } from '../sim-state.ts';
import { resourcesOf, type SimAccount } from '../world.ts';

export type HwReply = { status: number; body: Record<string, unknown> };

export const hwError = (status: number, code: string, message: string): HwReply => ({
  status,
  body: { error_code: code, error_msg: message },
});

/** ELB v3 `ListLoadBalancers`: marker paging (`limit` 1..2000, default 2000), `page_info.next_marker` while more remain. */
export function listLoadBalancers(
  state: SimState,
  owner: SimAccount,
  region: string,
  query: URLSearchParams,
): HwReply {
  const limit = Number(query.get('limit') ?? 2000);
  if (!Number.isInteger(limit) || limit < 0 || limit > 2000)
    return hwError(
      400,
      'ELB.8902',
      `Invalid limit ${query.get('limit')}: it must be an integer from 0 to 2000.`,
    );
  const all = resourcesOf(state.world, 'huawei', owner.accessKeyId, 'clb', region).sort((a, b) =>
    a.id.localeCompare(b.id),
  );
  const marker = query.get('marker');
  const after = marker ? all.filter((r) => r.id > marker) : all;
  const page = after.slice(0, limit || 2000);
  const more = after.length > page.length;
  return {
    status: 200,
    body: {
      loadbalancers: page.map((r, i) => ({
        id: r.id,
        name: r.name ?? '',
        description: '',
        provisioning_status: 'ACTIVE',
        operating_status: 'ONLINE',
        vip_address: `192.168.${(i >> 8) & 255}.${i & 255}`,
        project_id: '',
        tags: Object.entries(r.tags ?? {}).map(([key, value]) => ({ key, value })),
        created_at: '2024-01-01T00:00:00Z',
      })),
      page_info: {
        previous_marker: page[0]?.id ?? null,
        current_count: page.length,
        ...(more ? { next_marker: page.at(-1)!.id } : {}),
      },
    },
  };
}
