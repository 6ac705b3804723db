import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../alerts/service.ts';
import { type GroupView, type MemberView, planFlush } from './flush.ts';

const timing = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000 };
const plan = { timing, stepMinutes: [0, 15, 60] };
const T0 = 1_000_000_000_000;

function alert(fp: string, state: AlertSummary['state'], instanceId = `i-${fp}`): AlertSummary {
  return {
    fingerprint: fp,
    name: 'DiskFull',
    state,
    severity: 'critical',
    source: 'am',
    labels: { alertname: 'DiskFull', fp },
    annotations: {},
    startsAt: null,
    lastSeen: new Date(T0).toISOString(),
    instanceId,
  };
}

const member = (fp: string, state: AlertSummary['state'], extra: Partial<MemberView> = {}): MemberView => ({
  alert: alert(fp, state),
  instanceId: `i-${fp}`,
  notified: null,
  muted: false,
  ...extra,
});

const events = (r: ReturnType<typeof planFlush>) =>
  r.messages.map((m) => `${m.event}:${m.alerts.length}@${m.steps}`);

describe('planFlush', () => {
  const fresh: GroupView = { createdAt: T0, step: 0 };
  const sentOnce: GroupView = {
    createdAt: T0,
    lastSentAt: T0 + 30_000,
    step: 0,
    escalateAt: T0 + 30_000 + 900_000,
  };

  it.each([
    ['a new group waits group_wait', fresh, [member('a', 'firing')], T0 + 10_000, [], T0 + 30_000],
    [
      'a storm in one group is one message',
      fresh,
      'storm',
      T0 + 30_000,
      ['firing:200@0'],
      T0 + 30_000 + 900_000,
    ],
    [
      'a silenced alert is not sent',
      fresh,
      [member('a', 'firing'), member('b', 'firing', { muted: true }), member('c', 'silenced')],
      T0 + 30_000,
      ['firing:1@0'],
      T0 + 30_000 + 900_000,
    ],
    [
      'changes wait group_interval',
      sentOnce,
      [member('a', 'firing', { notified: 'firing' }), member('b', 'firing')],
      T0 + 60_000,
      [],
      T0 + 330_000,
    ],
    [
      'after group_interval: all firing alerts, and the resolved ones apart',
      sentOnce,
      [
        member('a', 'resolved', { notified: 'firing' }),
        member('b', 'firing'),
        member('c', 'firing', { notified: 'firing' }),
      ],
      T0 + 330_000,
      ['firing:2@0', 'resolved:1@0'],
      T0 + 30_000 + 900_000,
    ],
    [
      'an acknowledgement is sent, and stops the escalation',
      sentOnce,
      [member('a', 'acknowledged', { notified: 'firing', ack: { actor: 'alice', note: 'on it' } })],
      T0 + 330_000,
      ['acknowledged:1@0'],
      undefined,
    ],
    [
      'an unacknowledged group escalates to the next step',
      sentOnce,
      [member('a', 'firing', { notified: 'firing' })],
      T0 + 30_000 + 900_000,
      ['escalated:1@1'],
      T0 + 30_000 + 900_000 + 45 * 60_000,
    ],
    [
      'an unchanged open group repeats',
      { createdAt: T0, lastSentAt: T0, step: 2 },
      [member('a', 'firing', { notified: 'firing' })],
      T0 + 3_600_000,
      ['firing:1@0'],
      T0 + 7_200_000,
    ],
    [
      'an alert resolved before anyone was told is dropped quietly',
      fresh,
      [member('a', 'resolved')],
      T0 + 30_000,
      [],
      undefined,
    ],
    [
      'a new episode of a told alert is news again',
      { createdAt: T0, lastSentAt: T0, step: 0 },
      [member('a', 'firing', { notified: 'firing', instanceId: 'older' })],
      T0 + 300_000,
      ['firing:1@0'],
      T0 + 300_000 + 900_000,
    ],
  ] as const)('%s', (_, group, members, now, expected, nextCheckAt) => {
    const list =
      members === 'storm' ? Array.from({ length: 200 }, (_, i) => member(`s${i}`, 'firing')) : [...members];
    const r = planFlush(group, list, plan, now);
    expect(events(r)).toEqual(expected);
    expect(r.group.nextCheckAt).toBe(nextCheckAt);
  });

  it('a resolution reaches every step the group escalated to', () => {
    const r = planFlush(
      { createdAt: T0, lastSentAt: T0, step: 1 },
      [member('a', 'resolved', { notified: 'firing' })],
      plan,
      T0 + 300_000,
    );
    expect(events(r)).toEqual(['resolved:1@0,1']);
    expect(r.keep).toEqual([]);
  });

  it('remembers what each member has been told', () => {
    const r = planFlush(
      fresh,
      [member('a', 'firing'), member('b', 'firing', { muted: true }), member('c', 'resolved')],
      plan,
      T0 + 30_000,
    );
    expect(r.keep).toEqual([
      { fingerprint: 'a', instanceId: 'i-a', notified: 'firing' },
      { fingerprint: 'b', instanceId: 'i-b', notified: null },
    ]);
  });
});
