import type { RestartPolicy } from '../spec.ts';
import { isGaveUp, type UnitSnapshot } from './systemctl.ts';

/**
 * The two parts of our restart policy that systemd has no setting for, decided from a unit
 * snapshot; the backend's `tick` carries the decision out with systemctl.
 *
 * - fatalCooldown: a unit systemd gave up on stays `failed` for ever. After the cool-down the
 *   agent runs `systemctl reset-failed` (clears the start-limit counter and NRestarts) and
 *   `systemctl start`.
 * - stableAfter: systemd's restart counter, which drives RestartSteps=, and its start-limit
 *   counter are never reset by a long healthy run. Once the unit has run stableAfter since its
 *   last (re)start, the agent runs `systemctl reset-failed`, which on an active unit resets both
 *   and leaves the process alone.
 */
export type Recovery =
  | { action: 'none' }
  /** FATAL, cool-down not over yet. */
  | { action: 'wait'; until: number; reason: string }
  /** `reset-failed` on a running unit. */
  | { action: 'reset-counters'; reason: string }
  /** `reset-failed` + `start`. */
  | { action: 'restart'; reason: string };

export function planRecovery(
  unit: UnitSnapshot,
  policy: Pick<RestartPolicy, 'policy' | 'stableAfter' | 'fatalCooldown'>,
  now: number,
): Recovery {
  if (policy.policy === 'never') return { action: 'none' };

  if (isGaveUp(unit)) {
    // The time it entered `failed`; unknown only on very old systemd: count from now.
    const since = unit.stateChangeAt ?? unit.inactiveEnterAt ?? now;
    const until = since + policy.fatalCooldown;
    if (now >= until)
      return {
        action: 'restart',
        reason: `FATAL (${unit.result}) for ${Math.round((now - since) / 1000)}s, cool-down of ${Math.round(policy.fatalCooldown / 1000)}s over`,
      };
    return {
      action: 'wait',
      until,
      reason: `FATAL (${unit.result}), cool-down until ${new Date(until).toISOString()}`,
    };
  }

  if (
    unit.activeState === 'active' &&
    unit.nRestarts > 0 &&
    unit.execMainStartAt !== undefined &&
    now - unit.execMainStartAt >= policy.stableAfter
  )
    return {
      action: 'reset-counters',
      reason: `running ${Math.round((now - unit.execMainStartAt) / 1000)}s after ${unit.nRestarts} restarts: stable`,
    };

  return { action: 'none' };
}
