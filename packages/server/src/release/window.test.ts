import { describe, expect, it } from 'vitest';
import { knownZone, type ReleaseWindow, windowState } from './window.ts';

const weekdays: ReleaseWindow = {
  timezone: 'Europe/Berlin',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '17:00',
};
const night: ReleaseWindow = { timezone: 'Asia/Shanghai', days: ['sat'], start: '22:00', end: '02:00' };

// 2026-12-07 is a Monday. Berlin is UTC+1 in December, UTC+2 in summer; Shanghai is UTC+8.
describe('windowState', () => {
  it.each([
    ['no window: always open', null, '2026-12-07T03:00:00Z', true, null],
    ['Monday 10:00 Berlin', weekdays, '2026-12-07T09:00:00Z', true, null],
    [
      'Monday 08:59 Berlin: opens at 09:00',
      weekdays,
      '2026-12-07T07:59:00Z',
      false,
      '2026-12-07T08:00:00.000Z',
    ],
    [
      'Monday 17:00 Berlin: end is exclusive',
      weekdays,
      '2026-12-07T16:00:00Z',
      false,
      '2026-12-08T08:00:00.000Z',
    ],
    ['Friday evening: opens Monday', weekdays, '2026-12-11T18:00:00Z', false, '2026-12-14T08:00:00.000Z'],
    ['Saturday 23:00 Shanghai: inside a window past midnight', night, '2026-12-12T15:00:00Z', true, null],
    ['Sunday 01:30 Shanghai: still Saturday’s window', night, '2026-12-12T17:30:00Z', true, null],
    [
      'Sunday 02:00 Shanghai: over, next Saturday 22:00',
      night,
      '2026-12-12T18:00:00Z',
      false,
      '2026-12-19T14:00:00.000Z',
    ],
    [
      'Saturday 21:00 Shanghai: opens at 22:00',
      night,
      '2026-12-12T13:00:00Z',
      false,
      '2026-12-12T14:00:00.000Z',
    ],
    [
      'Friday night before the spring change: Monday 09:00 is UTC+2',
      weekdays,
      '2027-03-26T20:00:00Z',
      false,
      '2027-03-29T07:00:00.000Z',
    ],
  ])('%s', (_name, w, now, open, opensAt) => {
    const s = windowState(w, new Date(now));
    expect(s.open).toBe(open);
    if (!s.open) expect(s.opensAt?.toISOString()).toBe(opensAt);
  });

  it('treats start equal to end as the whole of each listed day', () => {
    const allDay: ReleaseWindow = { timezone: 'UTC', days: ['tue'], start: '00:00', end: '00:00' };
    expect(windowState(allDay, new Date('2026-12-08T23:59:00Z')).open).toBe(true);
    expect(windowState(allDay, new Date('2026-12-07T23:59:00Z'))).toEqual({
      open: false,
      opensAt: new Date('2026-12-08T00:00:00Z'),
    });
  });

  it('knows real zones and refuses made-up ones', () => {
    expect(knownZone('America/New_York')).toBe(true);
    expect(knownZone('Mars/Olympus')).toBe(false);
  });
});
