/**
 * What a person can do to an alert in each state, as the server's lifecycle table allows it: an
 * action the server would refuse, or that would change nothing, is not offered.
 */
import type { AlertAction, AlertState } from './api/types.ts';

export interface ActionChoice {
  action: AlertAction;
  label: string;
  past: string;
  from: readonly AlertState[];
}

export const ACTIONS: readonly ActionChoice[] = [
  { action: 'acknowledge', label: 'Acknowledge', past: 'Acknowledged', from: ['firing', 'silenced'] },
  {
    action: 'unacknowledge',
    label: 'Unacknowledge',
    past: 'Unacknowledged',
    from: ['acknowledged', 'silenced'],
  },
  { action: 'resolve', label: 'Resolve', past: 'Resolved', from: ['firing', 'acknowledged', 'silenced'] },
  { action: 'close', label: 'Close', past: 'Closed', from: ['resolved'] },
];

export const actionsFor = (state: AlertState): ActionChoice[] =>
  ACTIONS.filter((a) => a.from.includes(state));

/** A new silence mutes open alerts; a silenced one is muted already and an ended one has nothing to mute. */
export const canSilence = (state: AlertState): boolean => state === 'firing' || state === 'acknowledged';
