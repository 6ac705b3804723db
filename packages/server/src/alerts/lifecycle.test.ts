import { describe, expect, it } from 'vitest';
import { parseAlertmanager } from './ingest.ts';
import {
  type AlertEvent,
  type AlertState,
  type Current,
  type Outcome,
  TRANSITIONS,
  timedOut,
  transition,
  UNSEEN,
} from './lifecycle.ts';

const T0 = new Date('2024-05-01T12:00:00Z');
const LATER = new Date('2024-05-01T13:00:00Z');
const EARLIER = new Date('2024-05-01T11:00:00Z');

const NOOP = { kind: 'noop' };
const NEW = { kind: 'new_instance' };
const to = (state: AlertState, stateBeforeSilence?: 'firing' | 'acknowledged') =>
  stateBeforeSilence ? { kind: 'change', to: state, stateBeforeSilence } : { kind: 'change', to: state };
const refused = (reason: RegExp) => ({ kind: 'rejected', reason: expect.stringMatching(reason) });

type Case = 'fire' | 'fire(same)' | 'fire(later)' | 'fire(earlier)' | Exclude<AlertEvent['kind'], 'fire'>;

function eventOf(name: Case): AlertEvent {
  if (name === 'fire(later)') return { kind: 'fire', startsAt: LATER };
  if (name === 'fire(earlier)') return { kind: 'fire', startsAt: EARLIER };
  if (name === 'fire' || name === 'fire(same)') return { kind: 'fire', startsAt: T0 };
  return { kind: name };
}

// Written out by hand, not derived from TRANSITIONS, so that a changed row fails here.
// A silenced alert here was acknowledged before the silence.
const EXPECTED: [AlertState | 'unseen', Case, unknown][] = [
  ['unseen', 'fire', NEW],
  ['unseen', 'source_resolve', NOOP],
  ['unseen', 'expire', NOOP],
  ['unseen', 'acknowledge', refused(/never fired/)],
  ['unseen', 'unacknowledge', refused(/never fired/)],
  ['unseen', 'resolve', refused(/never fired/)],
  ['unseen', 'close', refused(/never fired/)],
  ['unseen', 'silence', NOOP],
  ['unseen', 'unsilence', NOOP],

  ['firing', 'fire(same)', NOOP],
  ['firing', 'fire(later)', NOOP],
  ['firing', 'fire(earlier)', NOOP],
  ['firing', 'source_resolve', to('resolved')],
  ['firing', 'expire', to('resolved')],
  ['firing', 'acknowledge', to('acknowledged')],
  ['firing', 'unacknowledge', NOOP],
  ['firing', 'resolve', to('resolved')],
  ['firing', 'close', refused(/still firing; resolve it first/)],
  ['firing', 'silence', to('silenced', 'firing')],
  ['firing', 'unsilence', NOOP],

  ['acknowledged', 'fire(same)', NOOP],
  ['acknowledged', 'fire(later)', NOOP],
  ['acknowledged', 'fire(earlier)', NOOP],
  ['acknowledged', 'source_resolve', to('resolved')],
  ['acknowledged', 'expire', to('resolved')],
  ['acknowledged', 'acknowledge', NOOP],
  ['acknowledged', 'unacknowledge', to('firing')],
  ['acknowledged', 'resolve', to('resolved')],
  ['acknowledged', 'close', refused(/still open; resolve it first/)],
  ['acknowledged', 'silence', to('silenced', 'acknowledged')],
  ['acknowledged', 'unsilence', NOOP],

  ['silenced', 'fire(same)', NOOP],
  ['silenced', 'fire(later)', NOOP],
  ['silenced', 'fire(earlier)', NOOP],
  ['silenced', 'source_resolve', to('resolved')],
  ['silenced', 'expire', to('resolved')],
  ['silenced', 'acknowledge', NOOP],
  ['silenced', 'unacknowledge', to('silenced', 'firing')],
  ['silenced', 'resolve', to('resolved')],
  ['silenced', 'close', refused(/still open \(silenced\); resolve it first/)],
  ['silenced', 'silence', NOOP],
  ['silenced', 'unsilence', to('acknowledged')],

  ['resolved', 'fire(same)', to('firing')],
  ['resolved', 'fire(later)', NEW],
  ['resolved', 'fire(earlier)', NOOP],
  ['resolved', 'source_resolve', NOOP],
  ['resolved', 'expire', NOOP],
  ['resolved', 'acknowledge', refused(/resolved; there is nothing to acknowledge/)],
  ['resolved', 'unacknowledge', refused(/resolved; only open alerts/)],
  ['resolved', 'resolve', NOOP],
  ['resolved', 'close', to('closed')],
  ['resolved', 'silence', NOOP],
  ['resolved', 'unsilence', NOOP],

  ['closed', 'fire(same)', NOOP],
  ['closed', 'fire(later)', NEW],
  ['closed', 'fire(earlier)', NOOP],
  ['closed', 'source_resolve', NOOP],
  ['closed', 'expire', NOOP],
  ['closed', 'acknowledge', refused(/closed; there is nothing to acknowledge/)],
  ['closed', 'unacknowledge', refused(/closed; only open alerts/)],
  ['closed', 'resolve', NOOP],
  ['closed', 'close', NOOP],
  ['closed', 'silence', NOOP],
  ['closed', 'unsilence', NOOP],
];

function currentIn(state: AlertState | 'unseen'): Current | null {
  if (state === 'unseen') return null;
  return state === 'silenced'
    ? { state, startsAt: T0, stateBeforeSilence: 'acknowledged' }
    : { state, startsAt: T0 };
}

describe('transition table', () => {
  it.each(EXPECTED)('%s + %s', (state, event, expected) => {
    expect(transition(currentIn(state), eventOf(event))).toEqual(expected);
  });

  it('has exactly the rows tested above, each with its reason', () => {
    const rows = [
      ...Object.entries(UNSEEN).map(([event, rule]) => ({ pair: `unseen ${event}`, why: rule.why })),
      ...Object.entries(TRANSITIONS).flatMap(([state, row]) =>
        Object.entries(row).flatMap(([event, rule]) =>
          'why' in rule
            ? [{ pair: `${state} ${event}`, why: rule.why }]
            : Object.entries(rule).map(([start, r]) => ({ pair: `${state} ${event}(${start})`, why: r.why })),
        ),
      ),
    ];
    expect(rows.map((r) => r.pair).sort()).toEqual(EXPECTED.map(([s, e]) => `${s} ${e}`).sort());
    expect(rows.filter((r) => r.why.trim().length < 10)).toEqual([]);
  });

  it.each<['firing' | 'acknowledged' | undefined, Case, unknown]>([
    ['firing', 'acknowledge', to('silenced', 'acknowledged')],
    ['firing', 'unacknowledge', NOOP],
    ['firing', 'unsilence', to('firing')],
    [undefined, 'unsilence', to('firing')],
    [undefined, 'acknowledge', to('silenced', 'acknowledged')],
  ])('a silenced alert that was %s before: %s', (before, event, expected) => {
    const current: Current = before
      ? { state: 'silenced', startsAt: T0, stateBeforeSilence: before }
      : { state: 'silenced', startsAt: T0 };
    expect(transition(current, eventOf(event))).toEqual(expected);
  });
});

interface Instance {
  startsAt: string;
  states: AlertState[];
}

/** Replays events the way the alert service stores them: instances, each with its history. */
class Alert {
  readonly instances: Instance[] = [];
  readonly refusals: string[] = [];
  private current: Current | null = null;

  apply(...events: AlertEvent[]): this {
    for (const event of events) this.record(event, transition(this.current, event));
    return this;
  }

  get state(): AlertState | undefined {
    return this.current?.state;
  }

  private record(event: AlertEvent, outcome: Outcome): void {
    if (outcome.kind === 'rejected') this.refusals.push(outcome.reason);
    if (outcome.kind === 'new_instance' && event.kind === 'fire') {
      this.current = { state: 'firing', startsAt: event.startsAt };
      this.instances.push({ startsAt: event.startsAt.toISOString(), states: ['firing'] });
    }
    if (outcome.kind === 'change' && this.current) {
      this.current = { ...this.current, state: outcome.to, stateBeforeSilence: outcome.stateBeforeSilence };
      this.instances.at(-1)!.states.push(outcome.to);
    }
  }
}

const fire = (startsAt: Date): AlertEvent => ({ kind: 'fire', startsAt });
const ev = (kind: Exclude<AlertEvent['kind'], 'fire'>): AlertEvent => ({ kind });

describe('what a user sees', () => {
  function groupMessage(resolvedHosts: number) {
    return {
      version: '4',
      status: 'firing',
      receiver: 'opsfleet',
      alerts: Array.from({ length: 10 }, (_, i) => ({
        status: i < resolvedHosts ? 'resolved' : 'firing',
        labels: { alertname: 'NodeDown', instance: `host-${i}:9100` },
        annotations: {},
        startsAt: '2024-05-01T12:00:00Z',
        endsAt: i < resolvedHosts ? '2024-05-01T12:10:00Z' : '0001-01-01T00:00:00Z',
        fingerprint: '',
      })),
    };
  }

  function deliver(alerts: Map<string, Alert>, body: unknown): void {
    for (const a of parseAlertmanager(body)) {
      const alert = alerts.get(a.fingerprint) ?? new Alert();
      alerts.set(a.fingerprint, alert);
      alert.apply(a.status === 'firing' ? fire(a.startsAt) : ev('source_resolve'));
    }
  }

  it('Alertmanager re-sending a group of 10 alerts adds no history; resolves count once', () => {
    const alerts = new Map<string, Alert>();
    deliver(alerts, groupMessage(0));
    deliver(alerts, groupMessage(0));
    expect(alerts.size).toBe(10);
    expect([...alerts.values()].map((a) => a.instances)).toEqual(
      Array(10).fill([{ startsAt: '2024-05-01T12:00:00.000Z', states: ['firing'] }]),
    );

    deliver(alerts, groupMessage(3));
    deliver(alerts, groupMessage(3));
    const histories = [...alerts.values()].map((a) => a.instances.map((i) => i.states));
    expect(histories.filter((h) => h.length === 1 && h[0]!.join() === 'firing,resolved')).toHaveLength(3);
    expect(histories.filter((h) => h.length === 1 && h[0]!.join() === 'firing')).toHaveLength(7);
  });

  it('vmalert re-sending every evaluation for an hour keeps one entry per change', () => {
    const alert = new Alert().apply(fire(T0), ev('acknowledge'));
    for (let i = 0; i < 240; i++) alert.apply(fire(T0));
    expect(alert.instances).toEqual([{ startsAt: T0.toISOString(), states: ['firing', 'acknowledged'] }]);
  });

  it('fire → acknowledge → resolved by the source → fires again later: a new instance', () => {
    const alert = new Alert().apply(fire(T0), ev('acknowledge'), ev('source_resolve'), fire(LATER));
    expect(alert.instances).toEqual([
      { startsAt: T0.toISOString(), states: ['firing', 'acknowledged', 'resolved'] },
      { startsAt: LATER.toISOString(), states: ['firing'] },
    ]);
    expect(alert.state).toBe('firing');
  });

  it('expired while the source is still firing: the same instance re-opens', () => {
    const alert = new Alert().apply(fire(T0), ev('expire'), fire(T0));
    expect(alert.instances).toEqual([
      { startsAt: T0.toISOString(), states: ['firing', 'resolved', 'firing'] },
    ]);
  });

  it('resolved by hand while the source still fires it: the next re-send re-opens it', () => {
    const alert = new Alert().apply(fire(T0), ev('resolve'), fire(T0));
    expect(alert.state).toBe('firing');
    expect(alert.instances).toHaveLength(1);
  });

  it('silence then unsilence restores acknowledged', () => {
    const alert = new Alert().apply(fire(T0), ev('acknowledge'), ev('silence'), fire(T0), ev('unsilence'));
    expect(alert.instances[0]!.states).toEqual(['firing', 'acknowledged', 'silenced', 'acknowledged']);
  });

  it('acknowledged during a silence: it comes back acknowledged, not firing', () => {
    const alert = new Alert().apply(fire(T0), ev('silence'), ev('acknowledge'), ev('unsilence'));
    expect(alert.state).toBe('acknowledged');
  });

  it('closing needs a resolve first; a closed episode stays closed until a new one starts', () => {
    const alert = new Alert().apply(fire(T0), ev('close'));
    expect(alert.refusals).toEqual(['The alert is still firing; resolve it first, then close it.']);
    alert.apply(ev('resolve'), ev('close'), fire(T0), ev('source_resolve'));
    expect(alert.state).toBe('closed');
    alert.apply(fire(LATER));
    expect(alert.instances.map((i) => i.states)).toEqual([['firing', 'resolved', 'closed'], ['firing']]);
  });

  it('a late retry of an older episode neither re-opens nor adds an instance', () => {
    const alert = new Alert().apply(fire(T0), ev('source_resolve'), fire(EARLIER));
    expect(alert.instances).toEqual([{ startsAt: T0.toISOString(), states: ['firing', 'resolved'] }]);
  });

  it('a source restarting its clock keeps one instance and its acknowledgement', () => {
    const alert = new Alert().apply(fire(T0), ev('acknowledge'), fire(LATER));
    expect(alert.instances).toHaveLength(1);
    expect(alert.state).toBe('acknowledged');
  });
});

describe('timedOut', () => {
  const at = (hhmm: string) => new Date(`2024-05-01T${hhmm}:00Z`);
  const FIVE_MIN = 5 * 60_000;

  it.each([
    ['endsAt passed', at('12:00'), at('12:04'), at('12:05'), true],
    ['endsAt reached exactly', at('12:00'), at('12:05'), at('12:05'), true],
    ['endsAt ahead, though not seen for long', at('11:00'), at('12:06'), at('12:05'), false],
    ['no endsAt, quiet for exactly the timeout', at('12:00'), null, at('12:05'), true],
    ['no endsAt, quiet past the timeout', at('11:00'), null, at('12:05'), true],
    ['no endsAt, seen within the timeout', at('12:01'), null, at('12:05'), false],
    ['no endsAt, seen just now', at('12:05'), null, at('12:05'), false],
  ])('%s → %s', (_what, lastSeen, endsAt, now, expected) => {
    expect(timedOut(lastSeen, endsAt, now, FIVE_MIN)).toBe(expected);
  });
});
