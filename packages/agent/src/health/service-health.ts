import type { HealthState } from '../spec.ts';

// A service is as healthy as its least healthy check; `unknown` (not checked yet) ranks below
// `warning` so a service whose first check is still pending does not hide a failing one.
const RANK: Record<HealthState, number> = { passing: 0, unknown: 1, warning: 2, critical: 3 };

/**
 * Each service's health from its checks' states, as `opsfleet agent health` lists them; services
 * without checks are absent (they have no health, which is not the same as passing).
 */
export function serviceHealth(
  checks: readonly { service: string; state: HealthState }[],
): Map<string, HealthState> {
  const out = new Map<string, HealthState>();
  for (const c of checks) {
    const seen = out.get(c.service);
    if (seen === undefined || RANK[c.state] > RANK[seen]) out.set(c.service, c.state);
  }
  return out;
}
