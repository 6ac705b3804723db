import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../alerts/service.ts';
import { type GroupMembers, type GroupView, type MemberView, planFlush } from './flush.ts';

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

/** The group's changed members, with `steady` more firing members that did not change. */
const group = (changed: MemberView[], steady = 0): GroupMembers => ({
  changed,
  firing: steady + changed.filter((m) => m.alert.state === 'firing').length,
});

/** `event:listed/firing@steps`, where a reminder lists a sample the router looks up. */
const events = (r: ReturnType<typeof planFlush>) =>
  r.messages.map(
    (m) =>
      `${m.event}:${m.sample ? 'sample' : m.alerts.length}/${m.firingCount}@${m.steps}${m.repeat ? ' repeat' : ''}`,
  );

describe('planFlush', () => {
  const fresh: GroupView = { createdAt: T0, step: 0 };
  const sentOnce: GroupView = {
    createdAt: T0,
    lastSentAt: T0 + 30_000,
    step: 0,
    escalateAt: T0 + 30_000 + 900_000,
  };
  const storm = Array.from({ length: 200 }, (_, i) => member(`s${i}`, 'firing'));
  const staleCount: GroupMembers = { changed: [member('a', 'firing'), member('b', 'firing')], firing: 0 };

  it.each([
    ['a new group waits group_wait', fresh, group([member('a', 'firing')]), T0 + 10_000, [], T0 + 30_000],
    [
      'a storm in one group is one message',
      fresh,
      group(storm),
      T0 + 30_000,
      ['firing:200/200@0'],
      T0 + 930_000,
    ],
    [
      'a silenced alert is not sent, nor counted',
      fresh,
      group([member('a', 'firing'), member('b', 'firing', { muted: true }), member('c', 'silenced')]),
      T0 + 30_000,
      ['firing:1/1@0'],
      T0 + 930_000,
    ],
    [
      'changes wait group_interval',
      sentOnce,
      group([member('b', 'firing')], 1),
      T0 + 60_000,
      [],
      T0 + 330_000,
    ],
    [
      'after group_interval: the alerts that started firing, and the resolved ones apart',
      sentOnce,
      group([member('a', 'resolved', { notified: 'firing' }), member('b', 'firing')], 1),
      T0 + 330_000,
      ['firing:1/2@0', 'resolved:1/2@0'],
      T0 + 930_000,
    ],
    [
      'a group of 10,000 that gains one alert tells about that one and counts the rest',
      sentOnce,
      group([member('new', 'firing')], 10_000),
      T0 + 330_000,
      ['firing:1/10001@0'],
      T0 + 930_000,
    ],
    [
      'a group of 10,000 that loses one tells about that one and counts the rest',
      sentOnce,
      group([member('gone', 'resolved', { notified: 'firing' })], 9_999),
      T0 + 330_000,
      ['resolved:1/9999@0'],
      T0 + 930_000,
    ],
    [
      'a member that changed and changed back is no news',
      sentOnce,
      group([member('a', 'firing', { notified: 'firing' })], 5),
      T0 + 330_000,
      [],
      T0 + 930_000,
    ],
    [
      'an acknowledgement is sent, and stops the escalation',
      sentOnce,
      group([member('a', 'acknowledged', { notified: 'firing', ack: { actor: 'alice', note: 'on it' } })]),
      T0 + 330_000,
      ['acknowledged:1/0@0'],
      undefined,
    ],
    [
      'an unacknowledged group escalates to the next step with a sample of its alerts',
      sentOnce,
      group([], 3),
      T0 + 930_000,
      ['escalated:sample/3@1'],
      T0 + 930_000 + 45 * 60_000,
    ],
    [
      'an unchanged open group repeats a sample of its alerts',
      { createdAt: T0, lastSentAt: T0, step: 2 },
      group([], 10_000),
      T0 + 3_600_000,
      ['firing:sample/10000@0 repeat'],
      T0 + 7_200_000,
    ],
    [
      'an alert resolved before anyone was told is dropped quietly',
      fresh,
      group([member('a', 'resolved')]),
      T0 + 30_000,
      [],
      undefined,
    ],
    [
      'a new episode of a told alert is news again',
      { createdAt: T0, lastSentAt: T0, step: 0 },
      group([member('a', 'firing', { notified: 'firing', instanceId: 'older' })]),
      T0 + 300_000,
      ['firing:1/1@0'],
      T0 + 300_000 + 900_000,
    ],
    [
      'a count read before a change was seen is not less than the changes',
      sentOnce,
      staleCount,
      T0 + 330_000,
      ['firing:2/2@0'],
      T0 + 930_000,
    ],
  ] as const)('%s', (_, view, members, now, expected, nextCheckAt) => {
    const r = planFlush(view, members, plan, now);
    expect(events(r)).toEqual(expected);
    expect(r.group.nextCheckAt).toBe(nextCheckAt);
  });

  it('a resolution reaches every step the group escalated to', () => {
    const r = planFlush(
      { createdAt: T0, lastSentAt: T0, step: 1 },
      group([member('a', 'resolved', { notified: 'firing' })]),
      plan,
      T0 + 300_000,
    );
    expect(events(r)).toEqual(['resolved:1/0@0,1']);
    expect(r.keep).toEqual([]);
  });

  it.each([
    [
      'a message sent: each member told, none to look at again but a muted one',
      fresh,
      [member('a', 'firing'), member('b', 'firing', { muted: true }), member('c', 'resolved')],
      T0 + 30_000,
      [
        { fingerprint: 'a', instanceId: 'i-a', notified: 'firing', recheck: false },
        { fingerprint: 'b', instanceId: 'i-b', notified: null, recheck: true },
      ],
    ],
    [
      'waiting for group_interval: every change kept to be looked at again',
      sentOnce,
      [member('a', 'firing'), member('r', 'resolved', { notified: 'firing' }), member('q', 'resolved')],
      T0 + 60_000,
      [
        { fingerprint: 'a', instanceId: 'i-a', notified: null, recheck: true },
        { fingerprint: 'r', instanceId: 'i-r', notified: 'firing', recheck: true },
      ],
    ],
    [
      'an acknowledgement told, a silenced alert left as it was told',
      sentOnce,
      [
        member('k', 'acknowledged', { notified: 'firing', ack: { actor: 'bob', note: null } }),
        member('s', 'silenced', { notified: 'firing' }),
      ],
      T0 + 330_000,
      [
        { fingerprint: 'k', instanceId: 'i-k', notified: 'acknowledged', recheck: false },
        { fingerprint: 's', instanceId: 'i-s', notified: 'firing', recheck: false },
      ],
    ],
  ] as const)('remembers what each changed member was told: %s', (_, view, changed, now, keep) => {
    expect(planFlush(view, group([...changed]), plan, now).keep).toEqual(keep);
  });
});
