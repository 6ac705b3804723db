/** A target's live log, read page by page after the last line held. */
import type { LogLine, LogPage, TargetState } from './api/release.ts';

/** At most this many lines are kept per target; older ones drop off the top. */
export const LOG_KEEP = 5000;

/** The lines held plus a page: each `seq` once, in order, the newest `LOG_KEEP`. */
export function appendLog(held: readonly LogLine[], page: LogPage): LogLine[] {
  const last = held.length ? (held[held.length - 1] as LogLine).seq : 0;
  const fresh = page.items.filter((l) => l.seq > last);
  if (!fresh.length) return held as LogLine[];
  const all = [...held, ...fresh];
  return all.length > LOG_KEEP ? all.slice(-LOG_KEEP) : all;
}

/**
 * Whether to ask again soon: while the target runs, and once more otherwise (an ended target's
 * last lines may arrive with its outcome); a full page means more is waiting.
 */
export function keepPolling(state: TargetState, lastPageSize: number, endedPolls: number): boolean {
  if (lastPageSize >= 500) return true;
  if (state === 'running') return true;
  return endedPolls < 1;
}
