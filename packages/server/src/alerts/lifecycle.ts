/**
 * The alert state machine. An alert is a fingerprint; each firing episode of it, (fingerprint,
 * startsAt), is an instance. Every (state, event) pair is one row of TRANSITIONS with the reason
 * for it, so the table is the specification and the function below only reads it. Nothing is
 * ever deleted: closing files an instance away, and a later episode opens a new one.
 */

export type AlertState = 'firing' | 'acknowledged' | 'silenced' | 'resolved' | 'closed';
type OpenState = 'firing' | 'acknowledged';

export type AlertEvent =
  | { kind: 'fire'; startsAt: Date }
  | { kind: 'source_resolve' }
  | { kind: 'expire' }
  | { kind: 'acknowledge' }
  | { kind: 'unacknowledge' }
  | { kind: 'resolve' }
  | { kind: 'close' }
  | { kind: 'silence' }
  | { kind: 'unsilence' };

export type EventKind = AlertEvent['kind'];

/** The current instance of an alert. */
export interface Current {
  state: AlertState;
  startsAt: Date;
  stateBeforeSilence?: OpenState;
}

export type Outcome =
  | { kind: 'noop' }
  | { kind: 'change'; to: AlertState; stateBeforeSilence?: OpenState }
  | { kind: 'new_instance' }
  | { kind: 'rejected'; reason: string };

/** What a row does; `reject` reasons are shown to the user. */
export type Step =
  | { do: 'noop' }
  | { do: 'new_instance' }
  | { do: 'move'; to: AlertState; remember?: OpenState }
  | { do: 'restore' }
  | { do: 'remember'; state: OpenState }
  | { do: 'reject'; reason: string };

export type Rule = Step & { why: string };

/** `fire` depends on how the reported startsAt compares with the current instance's. */
export interface FireRules {
  same: Rule;
  later: Rule;
  earlier: Rule;
}

export type Row = { fire: FireRules } & { [K in Exclude<EventKind, 'fire'>]: Rule };

const noop = (why: string): Rule => ({ do: 'noop', why });
const newInstance = (why: string): Rule => ({ do: 'new_instance', why });
const move = (to: AlertState, why: string, remember?: OpenState): Rule =>
  remember ? { do: 'move', to, remember, why } : { do: 'move', to, why };
const remember = (state: OpenState, why: string): Rule => ({ do: 'remember', state, why });
const restore = (why: string): Rule => ({ do: 'restore', why });
const reject = (reason: string): Rule => ({ do: 'reject', reason, why: reason });

// Rows several states share, named so each state below still lists all of its rows.
const OPEN_FIRE: FireRules = {
  same: noop('a re-send of the open episode: Alertmanager repeats whole groups, vmalert every evaluation'),
  later: noop('the source restarted its clock (e.g. Prometheus restarted) but the problem never cleared'),
  earlier: noop('a late or retried delivery of an older episode must not disturb the current one'),
};
const SOURCE_RESOLVED = move('resolved', 'the source says the condition cleared');
const EXPIRED = move('resolved', 'endsAt passed or the source went quiet past the timeout: resolved by time');
const RESOLVED_BY_HAND = move(
  'resolved',
  'a person says it is fixed; if the source still fires it, it re-opens',
);
const RESOLVE_RESENT = noop(
  'idempotent: Alertmanager re-sends resolved alerts with every group notification',
);
const EXPIRE_AGAIN = noop('already over; housekeeping may ask again');
const NOT_SILENCED = noop('not silenced now, so the end of a silence changes nothing');
const NOTHING_TO_MUTE = noop('a silence mutes open alerts; an ended one has nothing to mute');
const REFIRED = newInstance('a new episode of the same alert: re-open on re-fire');

export const TRANSITIONS: Record<AlertState, Row> = {
  firing: {
    fire: OPEN_FIRE,
    source_resolve: SOURCE_RESOLVED,
    expire: EXPIRED,
    acknowledge: move('acknowledged', 'someone is on it'),
    unacknowledge: noop('not acknowledged: already what was asked'),
    resolve: RESOLVED_BY_HAND,
    close: reject('The alert is still firing; resolve it first, then close it.'),
    silence: move('silenced', 'a silence now matches; firing is where it returns', 'firing'),
    unsilence: NOT_SILENCED,
  },
  acknowledged: {
    fire: OPEN_FIRE,
    source_resolve: SOURCE_RESOLVED,
    expire: EXPIRED,
    acknowledge: noop('already acknowledged: a second click or a second person changes nothing'),
    unacknowledge: move('firing', 'handed back: it needs an owner again'),
    resolve: RESOLVED_BY_HAND,
    close: reject('The alert is still open; resolve it first, then close it.'),
    silence: move('silenced', 'a silence now matches; acknowledged is where it returns', 'acknowledged'),
    unsilence: NOT_SILENCED,
  },
  silenced: {
    fire: OPEN_FIRE,
    source_resolve: SOURCE_RESOLVED,
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
      same: move('firing', 'the source still fires this episode after we expired or resolved it: re-open it'),
      later: REFIRED,
      earlier: OPEN_FIRE.earlier,
    },
    source_resolve: RESOLVE_RESENT,
    expire: EXPIRE_AGAIN,
    acknowledge: reject('The alert is resolved; there is nothing to acknowledge.'),
    unacknowledge: reject('The alert is resolved; only open alerts can be unacknowledged.'),
    resolve: noop('already resolved: a second click changes nothing'),
    close: move('closed', 'a person, or housekeeping after the resolved retention, files it away'),
    silence: NOTHING_TO_MUTE,
    unsilence: NOT_SILENCED,
  },
  closed: {
    fire: {
      same: noop('a closed episode stays closed; only a new episode brings the alert back'),
      later: REFIRED,
      earlier: OPEN_FIRE.earlier,
    },
    source_resolve: RESOLVE_RESENT,
    expire: EXPIRE_AGAIN,
    acknowledge: reject('The alert is closed; there is nothing to acknowledge.'),
    unacknowledge: reject('The alert is closed; only open alerts can be unacknowledged.'),
    resolve: noop('a closed alert is resolved already'),
    close: noop('already closed'),
    silence: NOTHING_TO_MUTE,
    unsilence: NOT_SILENCED,
  },
};

/** The row for a fingerprint never seen before. */
export const UNSEEN: { [K in EventKind]: Rule } = {
  fire: newInstance('the first episode of a new alert'),
  source_resolve: noop(
    'resolved before we ever saw it fire (e.g. sent before opsfleet was connected): nothing to end',
  ),
  expire: noop('nothing to expire'),
  acknowledge: reject('This alert has never fired.'),
  unacknowledge: reject('This alert has never fired.'),
  resolve: reject('This alert has never fired.'),
  close: reject('This alert has never fired.'),
  silence: noop('nothing to mute yet; the silence is applied when the alert first fires'),
  unsilence: NOT_SILENCED,
};

export function transition(current: Current | null, event: AlertEvent): Outcome {
  // A silenced instance with no remembered state comes back firing: loud is safer than an alert
  // that looks owned by someone who never took it.
  return outcomeOf(ruleFor(current, event), current?.stateBeforeSilence ?? 'firing');
}

function ruleFor(current: Current | null, event: AlertEvent): Rule {
  if (current === null) return UNSEEN[event.kind];
  const row = TRANSITIONS[current.state];
  return event.kind === 'fire'
    ? row.fire[startComparedTo(event.startsAt, current.startsAt)]
    : row[event.kind];
}

function startComparedTo(reported: Date, current: Date): keyof FireRules {
  const diff = reported.getTime() - current.getTime();
  if (diff === 0) return 'same';
  return diff > 0 ? 'later' : 'earlier';
}

function outcomeOf(rule: Rule, remembered: OpenState): Outcome {
  switch (rule.do) {
    case 'noop':
    case 'new_instance':
      return { kind: rule.do };
    case 'reject':
      return { kind: 'rejected', reason: rule.reason };
    case 'move':
      return rule.remember
        ? { kind: 'change', to: rule.to, stateBeforeSilence: rule.remember }
        : { kind: 'change', to: rule.to };
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
