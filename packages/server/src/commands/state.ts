/**
 * A command's life, as pure functions: the store locks the row, asks `transition` what an event
 * does to it, and writes the answer. Every replica and every route decide the same way.
 *
 *   queued ──deliver──▶ delivered ──output──▶ running ──result──▶ succeeded | failed
 *      └──────────────────┴───────────────────────┴──cancel──▶ cancelled
 *      └──────────────────┴───────────────────────┴──deadline passed──▶ expired
 *
 * Delivery is at-least-once: a command not finished is handed out again (`deliver` from
 * delivered or running keeps the state; the agent's journal stops it from running twice).
 */
export const COMMAND_STATES = [
  'queued',
  'delivered',
  'running',
  'succeeded',
  'failed',
  'expired',
  'cancelled',
] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

export const OPEN_STATES: readonly CommandState[] = ['queued', 'delivered', 'running'];
export const isOpen = (s: CommandState) => OPEN_STATES.includes(s);

export type CommandEvent =
  | { type: 'deliver' }
  | { type: 'output' }
  | { type: 'result'; ok: boolean }
  | { type: 'cancel' }
  | { type: 'expire' };

export type Transition =
  | { ok: true; state: CommandState; changed: boolean }
  /** `gone`: the command is over (finished, cancelled or expired) and takes no more of this. */
  | { ok: false; state: CommandState; reason: string };

/**
 * The state a row is in at `now`: an open command past its deadline is expired even before the
 * housekeeping pass has written that down, so every reader agrees.
 */
export function effectiveState(state: CommandState, deadline: Date, now: Date): CommandState {
  return isOpen(state) && deadline.getTime() <= now.getTime() ? 'expired' : state;
}

/** What `event` does to a command in `stored` state with this deadline, at `now`. */
export function transition(stored: CommandState, deadline: Date, now: Date, event: CommandEvent): Transition {
  const state = effectiveState(stored, deadline, now);
  const changed = (next: CommandState): Transition => ({ ok: true, state: next, changed: next !== stored });
  if (!isOpen(state)) {
    // A result that arrives again after it was recorded is the same answer, not a conflict.
    if (event.type === 'result' && state === (event.ok ? 'succeeded' : 'failed'))
      return { ok: true, state, changed: false };
    if (event.type === 'expire' && state === 'expired') return changed('expired');
    return { ok: false, state, reason: `the command is ${state}` };
  }
  switch (event.type) {
    case 'deliver':
      return changed(state === 'queued' ? 'delivered' : state);
    case 'output':
      return changed('running');
    case 'result':
      return changed(event.ok ? 'succeeded' : 'failed');
    case 'cancel':
      return changed('cancelled');
    case 'expire':
      return { ok: false, state, reason: 'the deadline has not passed' };
  }
}
