/**
 * Delivery timing, pure: when a failed notification is tried again, and how many messages a
 * rate-limited channel may send now.
 */
export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, capMs: 600_000, maxAttempts: 8 };

/**
 * The wait after failed attempt `attempt` (1-based): doubling from `baseMs` up to `capMs`, then
 * "equal jitter" (half fixed, half random) so receivers that failed together do not all retry
 * at the same moment.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/**
 * Sends allowed now under `perMinute` in any sliding minute, given the send times of the last
 * minute; when none is, the moment the oldest of them leaves the window.
 */
export function allowance(
  sentAt: number[],
  now: number,
  perMinute: number,
): { allowed: number; freeAt?: number } {
  const recent = sentAt.filter((t) => t > now - 60_000).sort((a, b) => a - b);
  const allowed = Math.max(0, perMinute - recent.length);
  return allowed > 0 ? { allowed } : { allowed: 0, freeAt: recent[recent.length - perMinute]! + 60_000 };
}
