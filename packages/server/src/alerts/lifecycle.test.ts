import { describe, expect, it } from 'vitest';
import {
  type AlertEvent,
  type Current,
  type RowKey,
  TRANSITIONS,
  timedOut,
  transition,
} from './lifecycle.ts';

const NOOP = { kind: 'noop' };
const SOURCE_ENDED = { kind: 'source_ended' };
const to = (state: string, extra: { stateBeforeSilence?: string; endedBy?: string } = {}) => ({
  kind: 'change',
  to: state,
  ...extra,
});
const refused = (reason: RegExp) => ({ kind: 'rejected', reason: expect.stringMatching(reason) });

type Case = 'fire(news)' | 'fire(stale)' | Exclude<AlertEvent['kind'], 'fire'>;

function eventOf(name: Case): AlertEvent {
  if (name === 'fire(news)') return { kind: 'fire', news: true };
  if (name === 'fire(stale)') return { kind: 'fire', news: false };
  return { kind: name };
}

// Written out by hand, not derived from TRANSITIONS, so that a changed row fails here.
// A silenced alert here was acknowledged before the silence.
const EXPECTED: [RowKey, Case, unknown][] = [
  ['firing', 'fire(news)', NOOP],
  ['firing', 'fire(stale)', NOOP],
  ['firing', 'source_resolve', to('resolved', { endedBy: 'source' })],
  ['firing', 'supersede', to('resolved', { endedBy: 'superseded' })],
  ['firing', 'expire', to('resolved', { endedBy: 'time' })],
  ['firing', 'acknowledge', to('acknowledged')],
  ['firing', 'unacknowledge', NOOP],
  ['firing', 'resolve', to('resolved', { endedBy: 'user' })],
  ['firing', 'close', refused(/still firing; resolve it first/)],
  ['firing', 'silence', to('silenced', { stateBeforeSilence: 'firing' })],
  ['firing', 'unsilence', NOOP],

  ['acknowledged', 'fire(news)', NOOP],
  ['acknowledged', 'fire(stale)', NOOP],
  ['acknowledged', 'source_resolve', to('resolved', { endedBy: 'source' })],
  ['acknowledged', 'supersede', to('resolved', { endedBy: 'superseded' })],
  ['acknowledged', 'expire', to('resolved', { endedBy: 'time' })],
  ['acknowledged', 'acknowledge', NOOP],
  ['acknowledged', 'unacknowledge', to('firing')],
  ['acknowledged', 'resolve', to('resolved', { endedBy: 'user' })],
  ['acknowledged', 'close', refused(/still open; resolve it first/)],
  ['acknowledged', 'silence', to('silenced', { stateBeforeSilence: 'acknowledged' })],
  ['acknowledged', 'unsilence', NOOP],

  ['silenced', 'fire(news)', NOOP],
  ['silenced', 'fire(stale)', NOOP],
  ['silenced', 'source_resolve', to('resolved', { endedBy: 'source' })],
  ['silenced', 'supersede', to('resolved', { endedBy: 'superseded' })],
  ['silenced', 'expire', to('resolved', { endedBy: 'time' })],
  ['silenced', 'acknowledge', NOOP],
  ['silenced', 'unacknowledge', to('silenced', { stateBeforeSilence: 'firing' })],
  ['silenced', 'resolve', to('resolved', { endedBy: 'user' })],
  ['silenced', 'close', refused(/still open \(silenced\); resolve it first/)],
  ['silenced', 'silence', NOOP],
  ['silenced', 'unsilence', to('acknowledged')],

  ['resolved', 'fire(news)', to('firing')],
  ['resolved', 'fire(stale)', NOOP],
  ['resolved', 'source_resolve', SOURCE_ENDED],
  ['resolved', 'supersede', NOOP],
  ['resolved', 'expire', NOOP],
  ['resolved', 'acknowledge', refused(/resolved; there is nothing to acknowledge/)],
  ['resolved', 'unacknowledge', refused(/resolved; only open alerts/)],
  ['resolved', 'resolve', NOOP],
  ['resolved', 'close', to('closed')],
  ['resolved', 'silence', NOOP],
  ['resolved', 'unsilence', NOOP],

  ['tombstone', 'fire(news)', NOOP],
  ['tombstone', 'fire(stale)', NOOP],
  ['tombstone', 'source_resolve', NOOP],
  ['tombstone', 'supersede', NOOP],
  ['tombstone', 'expire', NOOP],
  ['tombstone', 'acknowledge', refused(/resolved; there is nothing to acknowledge/)],
  ['tombstone', 'unacknowledge', refused(/resolved; only open alerts/)],
  ['tombstone', 'resolve', NOOP],
  ['tombstone', 'close', to('closed')],
  ['tombstone', 'silence', NOOP],
  ['tombstone', 'unsilence', NOOP],

  ['closed', 'fire(news)', NOOP],
  ['closed', 'fire(stale)', NOOP],
  ['closed', 'source_resolve', SOURCE_ENDED],
  ['closed', 'supersede', NOOP],
  ['closed', 'expire', NOOP],
  ['closed', 'acknowledge', refused(/closed; there is nothing to acknowledge/)],
  ['closed', 'unacknowledge', refused(/closed; only open alerts/)],
  ['closed', 'resolve', NOOP],
  ['closed', 'close', NOOP],
  ['closed', 'silence', NOOP],
  ['closed', 'unsilence', NOOP],
];

function currentIn(row: RowKey): Current {
  if (row === 'tombstone') return { state: 'resolved', endedBy: 'source' };
  if (row === 'resolved') return { state: 'resolved', endedBy: 'time' };
  return row === 'silenced' ? { state: row, stateBeforeSilence: 'acknowledged' } : { state: row };
}

describe('transition table', () => {
  it.each(EXPECTED)('%s + %s', (row, event, expected) => {
    expect(transition(currentIn(row), eventOf(event))).toEqual(expected);
  });

  it('has exactly the rows tested above, each with its reason', () => {
    const rows = Object.entries(TRANSITIONS).flatMap(([state, row]) =>
      Object.entries(row).flatMap(([event, rule]) =>
        'why' in rule
          ? [{ pair: `${state} ${event}`, why: rule.why as string }]
          : Object.entries(rule as unknown as Record<string, { why: string }>).map(([kind, r]) => ({
              pair: `${state} ${event}(${kind})`,
              why: r.why,
            })),
      ),
    );
    expect(rows.map((r) => r.pair).sort()).toEqual(EXPECTED.map(([s, e]) => `${s} ${e}`).sort());
    expect(rows.filter((r) => r.why.trim().length < 10)).toEqual([]);
  });

  it.each<['firing' | 'acknowledged' | undefined, Case, unknown]>([
    ['firing', 'acknowledge', to('silenced', { stateBeforeSilence: 'acknowledged' })],
    ['firing', 'unacknowledge', NOOP],
    ['firing', 'unsilence', to('firing')],
    [undefined, 'unsilence', to('firing')],
    [undefined, 'acknowledge', to('silenced', { stateBeforeSilence: 'acknowledged' })],
  ])('a silenced alert that was %s before: %s', (before, event, expected) => {
    const current: Current = before
      ? { state: 'silenced', stateBeforeSilence: before }
      : { state: 'silenced' };
    expect(transition(current, eventOf(event))).toEqual(expected);
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
