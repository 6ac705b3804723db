/**
 * The alert a ConfigAgent's failed syncs raise. A streak of failures is one episode: the first
 * failure after a success starts it (its time is the episode's startsAt), every further failure
 * re-fires the same episode, so it adds no history and notifies no one again, and the next
 * success resolves it.
 */

export const SYNC_ALERT = 'OpsfleetConfigSyncFailed';

/** A report in the generic webhook's shape (alerts/ingest.ts `parseGeneric`). */
export interface GenericReport {
  name: string;
  severity: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
}

/** The streak after one report, and what to tell the alert center: nothing after a success that ended none. */
export function nextStreak(
  failingSince: Date | null,
  ok: boolean,
  now: Date,
): { failingSince: Date | null; report: 'firing' | 'resolved' | null } {
  if (!ok) return { failingSince: failingSince ?? now, report: 'firing' };
  return { failingSince: null, report: failingSince ? 'resolved' : null };
}

/** Long enough for a tool's message, short enough for a notification's subject. */
const SUMMARY_LINE = 300;
const DESCRIPTION = 4000;

/**
 * The report for a streak that began at `since`. A resolution carries the last failure's text
 * too: the alert shows the newest report's annotations, and "why did it fail" outlives the fix.
 */
export function syncReport(
  target: { name: string; kind: string; agent: string },
  error: string,
  since: Date,
  resolvedAt?: Date,
): GenericReport {
  const first = error.split('\n', 1)[0]!;
  const line = first.length > SUMMARY_LINE ? `${first.slice(0, SUMMARY_LINE)}…` : first;
  return {
    name: SYNC_ALERT,
    severity: 'warning',
    status: resolvedAt ? 'resolved' : 'firing',
    labels: { target: target.name, kind: target.kind, agent: target.agent },
    annotations: {
      summary: `config sync of ${target.name} failed: ${line}`,
      description: error.slice(0, DESCRIPTION),
    },
    startsAt: since.toISOString(),
    ...(resolvedAt ? { endsAt: resolvedAt.toISOString() } : {}),
  };
}
