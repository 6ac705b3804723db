import { describe, expect, it } from 'vitest';
import { parseMatcher } from '../alerts/matchers.ts';
import { decide } from './batching.ts';
import { groupKeyOf, inWindow, localTime, type RouteRule, routeTable } from './routing.ts';

const rule: RouteRule = {
  id: 'db-oncall',
  matchers: [parseMatcher('team="db"')],
  severities: ['critical', 'high'],
  windows: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00', timeZone: 'Asia/Shanghai' }],
  groupBy: ['alertname', 'cluster'],
};
// 2026-11-25 is a Wednesday; 02:00 UTC is 10:00 in Shanghai.
const wedMorningShanghai = new Date('2026-11-25T02:00:00Z');

describe('routing', () => {
  it.each([
    ['matches a critical db alert in office hours', { team: 'db' }, 'critical', wedMorningShanghai, true],
    ['not another team', { team: 'web' }, 'critical', wedMorningShanghai, false],
    ['not a warning', { team: 'db' }, 'warning', wedMorningShanghai, false],
    ['not at 20:00 Shanghai', { team: 'db' }, 'critical', new Date('2026-11-25T12:00:00Z'), false],
    ['not on Saturday', { team: 'db' }, 'critical', new Date('2026-11-28T02:00:00Z'), false],
  ])('%s', (_name, labels, severity, now, expected) => {
    expect(routeTable([rule], now)({ labels, severity })).toEqual(expected ? [rule] : []);
  });

  const r = (id: string, matchers: string[], severities: string[] = []): RouteRule => ({
    id,
    matchers: matchers.map(parseMatcher),
    severities,
    windows: [],
    groupBy: [],
  });
  const table = routeTable(
    [
      r('every alert', []),
      r('db team', ['team="db"']),
      r('db or web', ['team=~"db|web"']),
      r('web team', ['team="web"']),
      r('db disks', ['alertname="DiskFull"', 'team="db"'], ['critical']),
      r('no team label', ['team=""']),
      r('not db', ['team!="db"']),
    ],
    wedMorningShanghai,
  );
  it.each([
    ['a db alert', { team: 'db' }, 'warning', ['every alert', 'db team', 'db or web']],
    ['a web alert', { team: 'web' }, 'warning', ['every alert', 'db or web', 'web team', 'not db']],
    [
      'a critical db disk',
      { team: 'db', alertname: 'DiskFull' },
      'critical',
      ['every alert', 'db team', 'db or web', 'db disks'],
    ],
    ['an alert without the label', {}, 'critical', ['every alert', 'no team label', 'not db']],
  ])('routes %s to the rules that match it, and only those', (_name, labels, severity, expected) => {
    expect(
      table({ labels, severity })
        .map((x) => x.id)
        .sort(),
    ).toEqual([...expected].sort());
  });

  it.each([
    ['22:00 Tuesday inside a Tue 21:00–07:00 night shift', '2026-11-24T22:00:00Z', true],
    ['06:59 Wednesday still inside it', '2026-11-25T06:59:00Z', true],
    ['07:00 Wednesday past it', '2026-11-25T07:00:00Z', false],
    ['22:00 Wednesday (not a listed evening)', '2026-11-25T22:00:00Z', false],
  ])('%s', (_name, at, expected) => {
    expect(inWindow({ days: [2], from: '21:00', to: '07:00', timeZone: 'UTC' }, new Date(at))).toBe(expected);
  });

  it('reads weekday and time in the given zone', () => {
    expect(localTime(new Date('2026-11-25T23:30:00Z'), 'Asia/Shanghai')).toEqual({
      day: 4,
      minute: 7 * 60 + 30,
    });
  });

  it('groups by the group-by labels only', () => {
    const a = groupKeyOf(rule, { alertname: 'DiskFull', cluster: 'c1', instance: 'db-1' });
    const b = groupKeyOf(rule, { alertname: 'DiskFull', cluster: 'c1', instance: 'db-2' });
    const c = groupKeyOf(rule, { alertname: 'DiskFull', cluster: 'c2' });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe('batching', () => {
  const t = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000 };
  it.each([
    [
      'a new group waits group_wait',
      { createdAt: 0, changed: true, open: true },
      10_000,
      { send: false, nextCheckAt: 30_000 },
    ],
    ['then sends once', { createdAt: 0, changed: true, open: true }, 30_000, { send: true, reason: 'first' }],
    [
      'changes wait for group_interval',
      { createdAt: 0, lastSentAt: 30_000, changed: true, open: true },
      60_000,
      { send: false, nextCheckAt: 330_000 },
    ],
    [
      'then go out together',
      { createdAt: 0, lastSentAt: 30_000, changed: true, open: true },
      330_000,
      { send: true, reason: 'changes' },
    ],
    [
      'an unchanged open group repeats after repeat_interval',
      { createdAt: 0, lastSentAt: 0, changed: false, open: true },
      4 * 3_600_000,
      { send: true, reason: 'repeat' },
    ],
    [
      'an unchanged closed group stays quiet',
      { createdAt: 0, lastSentAt: 0, changed: false, open: false },
      9 * 3_600_000,
      { send: false },
    ],
  ])('%s', (_name, group, now, expected) => {
    expect(decide(group, now, t)).toEqual(expected);
  });

  it('turns a storm of 200 alerts in one group into one message, not 200', () => {
    let sent = 0;
    const g = { createdAt: 0, lastSentAt: undefined as number | undefined, changed: false, open: true };
    for (let i = 0; i < 200; i++) {
      const now = i * 100; // 200 alerts over 20 s
      g.changed = true;
      const d = decide(g, now, t);
      if (d.send) {
        sent += 1;
        g.lastSentAt = now;
        g.changed = false;
      }
    }
    const d = decide(g, 30_000, t);
    if (d.send) sent += 1;
    expect(sent).toBe(1);
  });
});
