/**
 * When a notification group sends, Alertmanager-style: a new group waits `groupWait` so a storm
 * arrives as one message; later changes go out at most every `groupInterval`; an unchanged group
 * with alerts still open is repeated every `repeatInterval`. Pure: the caller keeps the state.
 */
export interface Timing {
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export interface GroupState {
  /** When the group's first alert arrived. */
  createdAt: number;
  /** When it last sent; undefined before its first message. */
  lastSentAt?: number;
  /** Alerts changed since the last message. */
  changed: boolean;
  /** Whether any alert of the group is still open (firing or acknowledged). */
  open: boolean;
}

export type Decision =
  | { send: true; reason: 'first' | 'changes' | 'repeat' }
  | { send: false; nextCheckAt?: number };

export function decide(g: GroupState, now: number, t: Timing): Decision {
  if (g.lastSentAt === undefined) {
    const due = g.createdAt + t.groupWaitMs;
    return now >= due ? { send: true, reason: 'first' } : { send: false, nextCheckAt: due };
  }
  if (g.changed) {
    const due = g.lastSentAt + t.groupIntervalMs;
    return now >= due ? { send: true, reason: 'changes' } : { send: false, nextCheckAt: due };
  }
  if (!g.open) return { send: false };
  const due = g.lastSentAt + t.repeatIntervalMs;
  return now >= due ? { send: true, reason: 'repeat' } : { send: false, nextCheckAt: due };
}
