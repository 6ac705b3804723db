import type { CloudCalls } from '../provider.ts';
import type { HuaweiApi } from './clients.ts';

export interface HuaweiInstance {
  id: string;
  /** ELB name, falling back to the id; the bucket name for OBS. */
  codeName: string;
}

/** ELB v3 `ListLoadBalancers` in one region, 2,000 per page (the API's maximum), following `next_marker`. */
export async function listLoadBalancers(
  api: HuaweiApi,
  calls: CloudCalls,
  region: string,
  projectId: string,
): Promise<HuaweiInstance[]> {
  const client = api.client('elb', region, projectId);
  const out: HuaweiInstance[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const r = (await calls.call(
      'ListLoadBalancers',
      () =>
        client.sendRequest({
          method: 'GET',
          url: '/v3/{project_id}/elb/loadbalancers',
          contentType: 'application/json',
          queryParams: { limit: 2000, ...(marker ? { marker } : {}) },
          pathParams: { project_id: projectId },
          headers: {},
        }),
      { attempts: 3 },
    )) as { loadbalancers?: { id: string; name?: string }[]; page_info?: { next_marker?: string } };
    for (const lb of r.loadbalancers ?? []) out.push({ id: lb.id, codeName: lb.name || lb.id });
    const next = r.page_info?.next_marker;
    if (!next || next === marker || !r.loadbalancers?.length) break;
    marker = next;
  }
  return out;
}
