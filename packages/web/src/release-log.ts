/** A target's live log, read page by page after the last line held. */
import type { LogLine, LogPage, TargetState } from './api/release.ts';

/** At most this many lines are kept per target; older ones drop off the top. */
export const LOG_KEEP = 5000;

export interface HeldLog {
  /** The command the lines came from. */
  commandId: string | null;
  lines: LogLine[];
  /** What to ask for next (`after`). */
  after: number;
}

export const EMPTY_LOG: HeldLog = { commandId: null, lines: [], after: 0 };

/**
 * The log held plus a page: each `seq` once, in order, the newest `LOG_KEEP`. A page of another
 * command (the target was retried) starts the log over from that command's first line: `restart`
 * says to ask again from the beginning, as the page was asked after the old command's lines.
 */
export function appendLog(held: HeldLog, page: LogPage): { held: HeldLog; restart: boolean } {
  if (page.commandId !== held.commandId && held.commandId !== null)
    return { held: { ...EMPTY_LOG, commandId: page.commandId }, restart: true };
  const last = held.lines.length ? (held.lines[held.lines.length - 1] as LogLine).seq : 0;
  const fresh = page.items.filter((l) => l.seq > last);
  const all = fresh.length ? [...held.lines, ...fresh] : held.lines;
  return {
    held: {
      commandId: page.commandId,
      lines: all.length > LOG_KEEP ? all.slice(-LOG_KEEP) : all,
      after: Math.max(held.after, page.nextAfter ?? 0),
    },
    restart: false,
  };
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
