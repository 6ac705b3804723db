import { describe, expect, it } from 'vitest';
import { type AlertEvent, type Current, transition } from '../../server/src/alerts/lifecycle.ts';
import { actionsFor, canSilence } from './alert-actions.ts';
import { ALERT_STATES, type AlertAction } from './api/types.ts';

const USER_ACTIONS: AlertAction[] = ['acknowledge', 'unacknowledge', 'resolve', 'close'];

describe('the actions an alert detail offers', () => {
  it.each([
    ['firing', ['acknowledge', 'resolve'], true],
    ['acknowledged', ['unacknowledge', 'resolve'], true],
    ['silenced', ['acknowledge', 'unacknowledge', 'resolve'], false],
    ['resolved', ['close'], false],
    ['closed', [], false],
  ] as const)('%s: %j', (state, actions, silence) => {
    expect(actionsFor(state).map((a) => a.action)).toEqual(actions);
    expect(canSilence(state)).toBe(silence);
  });

  // The server's lifecycle table is the authority: an offered action changes the alert, one not
  // offered is refused or changes nothing, whoever ended the episode.
  const currents: Current[] = ALERT_STATES.flatMap((state): Current[] =>
    state === 'resolved'
      ? [
          { state, endedBy: 'user' },
          { state, endedBy: 'source' },
        ]
      : [{ state }],
  );
  it.each(currents)('agrees with the server for %j', (current) => {
    const offered = actionsFor(current.state).map((a) => a.action);
    const silencedWith = (before: 'firing' | 'acknowledged') => ({ ...current, stateBeforeSilence: before });
    for (const action of USER_ACTIONS) {
      const event = { kind: action } as AlertEvent;
      // A silenced alert remembers what it returns to; an action is useful if it changes that
      // for one of the two it may remember.
      const outcomes =
        current.state === 'silenced'
          ? [transition(silencedWith('firing'), event), transition(silencedWith('acknowledged'), event)]
          : [transition(current, event)];
      const changes = outcomes.some((o) => o.kind === 'change');
      expect(changes, `${action} from ${current.state}`).toBe(offered.includes(action));
    }
  });
});
