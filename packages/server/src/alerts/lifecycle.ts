/**
 * The state machine of one alert instance. An alert is a fingerprint; each episode of it,
 * (fingerprint, startsAt), is an instance of its own, so a report only ever reaches its own
 * episode (plan.ts finds or creates it). Every (row, event) pair is one entry of TRANSITIONS
 * with the reason for it, so the table is the specification and `transition` only reads it.
 *
 * A resolved instance is two rows: `tombstone` when the source itself said the episode ended
 * (final: nothing the source sends later about that episode re-opens it), `resolved` when
 * opsfleet ended it (endsAt passed, a person, or a newer episode of the same alert).
 */

export type AlertState = 'firing' | 'acknowledged' | 'silenced' | 'resolved' | 'closed';
export type OpenState = 'firing' | 'acknowledged';
/** Who ended an instance: the source's resolve, time (endsAt or the timeout), a person, a newer episode. */
export type EndedBy = 'source' | 'time' | 'user' | 'superseded';

export type AlertEvent =
  /**
   * The source reports the instance's own episode as firing. `news`: it says more than we
   * know (a later endsAt, or no endsAt at all, as Alertmanager sends) about the alert's
   * current episode; a re-send of what we heard before, or a report of an older episode, is not.
   */
  | { kind: 'fire'; news: boolean }
  | { kind: 'source_resolve' }
  | { kind: 'supersede' }
  | { kind: 'expire' }
  | { kind: 'acknowledge' }
  | { kind: 'unacknowledge' }
  | { kind: 'resolve' }
  | { kind: 'close' }
  | { kind: 'silence' }
  | { kind: 'unsilence' };

export type EventKind = AlertEvent['kind'];

/** An instance as the table sees it. */
export interface Current {
  state: AlertState;
  endedBy?: EndedBy | null;
  stateBeforeSilence?: OpenState | null;
}

export type Outcome =
  | { kind: 'noop' }
  | { kind: 'change'; to: AlertState; stateBeforeSilence?: OpenState; endedBy?: EndedBy }
  /** The source's word on an instance opsfleet had already ended: no state change, no history. */
  | { kind: 'source_ended' }
  | { kind: 'rejected'; reason: string };

export type Step =
  | { do: 'noop' }
  | { do: 'move'; to: AlertState; remember?: OpenState; endedBy?: EndedBy }
  | { do: 'restore' }
  | { do: 'remember'; state: OpenState }
  | { do: 'source_ended' }
  | { do: 'reject'; reason: string };

export type Rule = Step & { why: string };

/** `fire` depends on whether the report is news. */
export interface FireRules {
  news: Rule;
  stale: Rule;
}

export type RowKey = Exclude<AlertState, 'resolved'> | 'resolved' | 'tombstone';
export type Row = { fire: FireRules } & { [K in Exclude<EventKind, 'fire'>]: Rule };

const noop = (why: string): Rule => ({ do: 'noop', why });
const move = (
  to: AlertState,
  why: string,
  extra: { remember?: OpenState; endedBy?: EndedBy } = {},
): Rule => ({
  do: 'move',
  to,
  ...extra,
  why,
});
const remember = (state: OpenState, why: string): Rule => ({ do: 'remember', state, why });
const restore = (why: string): Rule => ({ do: 'restore', why });
const sourceEnded = (why: string): Rule => ({ do: 'source_ended', why });
const reject = (reason: string): Rule => ({ do: 'reject', reason, why: reason });

// Rows several states share, named so each state below still lists all of its rows.
const OPEN_FIRE: FireRules = {
  news: noop('a re-send of the open episode: only endsAt and last seen move (forward)'),
  stale: noop('a re-send or a late delivery: Alertmanager repeats groups, vmalert every evaluation'),
};
const SOURCE_RESOLVED = move('resolved', 'the source says this episode is over', { endedBy: 'source' });
const SUPERSEDED = move('resolved', 'a newer episode of the same alert started, so this one is over', {
  endedBy: 'superseded',
});
const EXPIRED = move('resolved', 'endsAt passed or the source went quiet past the timeout: over by time', {
  endedBy: 'time',
});
const RESOLVED_BY_HAND = move(
  'resolved',
  'a person says it is fixed; if the source still fires it, it re-opens',
  {
    endedBy: 'user',
  },
);
const CLOSE = move('closed', 'a person, or housekeeping after the resolved retention, files it away');
const FINAL = noop('the source resolved this episode: its resolve is final, a late fire changes nothing');
const RESOLVE_AGAIN = noop('idempotent: Alertmanager re-sends resolved alerts with every group notification');
const EXPIRE_AGAIN = noop('already over; housekeeping may ask again');
const ALREADY_OVER = noop('already over: only open instances are ended by a newer episode');
const NOT_SILENCED = noop('not silenced now, so the end of a silence changes nothing');
const NOTHING_TO_MUTE = noop('a silence mutes open alerts; an ended one has nothing to mute');
const TAKE_SOURCE_END = sourceEnded(
  'the source confirms the end: its end time replaces ours and no later report re-opens the episode',
);

export const TRANSITIONS: Record<RowKey, Row> = {
  firing: {
    fire: OPEN_FIRE,
    source_resolve: SOURCE_RESOLVED,
    supersede: SUPERSEDED,
    expire: EXPIRED,
    acknowledge: move('acknowledged', 'someone is on it'),
    unacknowledge: noop('not acknowledged: already what was asked'),
    resolve: RESOLVED_BY_HAND,
    close: reject('The alert is still firing; resolve it first, then close it.'),
    silence: move('silenced', 'a silence now matches; firing is where it returns', { remember: 'firing' }),
    unsilence: NOT_SILENCED,
  },
  acknowledged: {
    fire: OPEN_FIRE,
    source_resolve: SOURCE_RESOLVED,
    supersede: SUPERSEDED,
    expire: EXPIRED,
    acknowledge: noop('already acknowledged: a second click or a second person changes nothing'),
    unacknowledge: move('firing', 'handed back: it needs an owner again'),
    resolve: RESOLVED_BY_HAND,
    close: reject('The alert is still open; resolve it first, then close it.'),
    silence: move('silenced', 'a silence now matches; acknowledged is where it returns', {
      remember: 'acknowledged',
    }),
    unsilence: NOT_SILENCED,
  },
  silenced: {
    fire: OPEN_FIRE,
    source_resolve: SOURCE_RESOLVED,
    supersede: SUPERSEDED,
    expire: EXPIRED,
    acknowledge: remember('acknowledged', 'taken during the silence: it comes back owned, not firing'),
    unacknowledge: remember('firing', 'handed back during the silence: it comes back firing'),
    resolve: RESOLVED_BY_HAND,
    close: reject('The alert is still open (silenced); resolve it first, then close it.'),
    silence: noop('another matching silence changes nothing; it stays silenced until none match'),
    unsilence: restore('no silence matches any more: back to firing or acknowledged, as it was'),
  },
  resolved: {
    fire: {
      news: move('firing', 'opsfleet ended it (time, a person) but the source still fires it: re-open it'),
      stale: noop(
        'a re-send of what we knew when it ended, or a report of an older episode, re-opens nothing',
      ),
    },
    source_resolve: TAKE_SOURCE_END,
    supersede: ALREADY_OVER,
    expire: EXPIRE_AGAIN,
    acknowledge: reject('The alert is resolved; there is nothing to acknowledge.'),
    unacknowledge: reject('The alert is resolved; only open alerts can be unacknowledged.'),
    resolve: noop('already resolved: a second click changes nothing'),
    close: CLOSE,
    silence: NOTHING_TO_MUTE,
    unsilence: NOT_SILENCED,
  },
  tombstone: {
    fire: { news: FINAL, stale: FINAL },
    source_resolve: RESOLVE_AGAIN,
    supersede: ALREADY_OVER,
    expire: EXPIRE_AGAIN,
    acknowledge: reject('The alert is resolved; there is nothing to acknowledge.'),
    unacknowledge: reject('The alert is resolved; only open alerts can be unacknowledged.'),
    resolve: noop('already resolved by its source'),
    close: CLOSE,
    silence: NOTHING_TO_MUTE,
    unsilence: NOT_SILENCED,
  },
  closed: {
    fire: {
      news: noop('a closed episode stays closed; only a new episode brings the alert back'),
      stale: noop('a closed episode stays closed; a late report changes nothing'),
    },
    source_resolve: TAKE_SOURCE_END,
    supersede: ALREADY_OVER,
    expire: EXPIRE_AGAIN,
    acknowledge: reject('The alert is closed; there is nothing to acknowledge.'),
    unacknowledge: reject('The alert is closed; only open alerts can be unacknowledged.'),
    resolve: noop('a closed alert is resolved already'),
    close: noop('already closed'),
    silence: NOTHING_TO_MUTE,
    unsilence: NOT_SILENCED,
  },
};

export function rowKeyOf(current: Current): RowKey {
  return current.state === 'resolved' && current.endedBy === 'source' ? 'tombstone' : current.state;
}

export function transition(current: Current, event: AlertEvent): Outcome {
  const row = TRANSITIONS[rowKeyOf(current)];
  const rule = event.kind === 'fire' ? row.fire[event.news ? 'news' : 'stale'] : row[event.kind];
  // A silenced instance with no remembered state comes back firing: loud is safer than an alert
  // that looks owned by someone who never took it.
  return outcomeOf(rule, current.stateBeforeSilence ?? 'firing');
}

function outcomeOf(rule: Rule, remembered: OpenState): Outcome {
  switch (rule.do) {
    case 'noop':
      return { kind: 'noop' };
    case 'source_ended':
      return { kind: 'source_ended' };
    case 'reject':
      return { kind: 'rejected', reason: rule.reason };
    case 'move':
      return {
        kind: 'change',
        to: rule.to,
        ...(rule.remember ? { stateBeforeSilence: rule.remember } : {}),
        ...(rule.endedBy ? { endedBy: rule.endedBy } : {}),
      };
    case 'restore':
      return { kind: 'change', to: remembered };
    case 'remember':
      return rule.state === remembered
        ? { kind: 'noop' }
        : { kind: 'change', to: 'silenced', stateBeforeSilence: rule.state };
  }
}

/**
 * Whether an open instance should get `expire`: its endsAt has passed, or, for sources that
 * send no endsAt (Alertmanager leaves it unset while firing), it has not been re-sent for
 * `timeoutMs`.
 */
export function timedOut(lastSeen: Date, endsAt: Date | null, now: Date, timeoutMs: number): boolean {
  if (endsAt !== null) return endsAt.getTime() <= now.getTime();
  return now.getTime() - lastSeen.getTime() >= timeoutMs;
}

export const isOpen = (state: AlertState): state is 'firing' | 'acknowledged' | 'silenced' =>
  state === 'firing' || state === 'acknowledged' || state === 'silenced';
