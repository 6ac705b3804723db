import { describe, expect, it } from 'vitest';
import { liveUpdate, matchesFilter, upsertAlert } from './alert-list.ts';
import { type AlertFilter, emptyFilter } from './api/alerts.ts';
import type { AlertSummary } from './api/types.ts';

const alert = (fingerprint: string, lastSeen: string, more: Partial<AlertSummary> = {}): AlertSummary => ({
  fingerprint,
  name: 'DiskFull',
  state: 'firing',
  severity: 'critical',
  source: 'vmalert',
  labels: { alertname: 'DiskFull', team: 'db' },
  annotations: { summary: 'disk /var is 97% full' },
  startsAt: lastSeen,
  lastSeen,
  instanceId: 'i',
  ...more,
});
const filter = (f: Partial<AlertFilter>): AlertFilter => ({ ...emptyFilter(), ...f });

describe('the live alert table', () => {
  it('applies every filter the server applies', () => {
    const a = alert('a', '2025-01-01T00:00:00Z');
    expect(matchesFilter(a, emptyFilter())).toBe(true);
    expect(matchesFilter(a, filter({ status: ['firing', 'acknowledged'] }))).toBe(true);
    expect(matchesFilter(a, filter({ status: ['resolved'] }))).toBe(false);
    expect(matchesFilter(a, filter({ severity: ['warning'] }))).toBe(false);
    expect(matchesFilter(a, filter({ labels: ['team=db'] }))).toBe(true);
    expect(matchesFilter(a, filter({ labels: ['team=db', 'env=prod'] }))).toBe(false);
    expect(matchesFilter(a, filter({ q: 'VAR IS' }))).toBe(true);
    expect(matchesFilter(a, filter({ q: 'cpu' }))).toBe(false);
  });

  it('puts a new alert where the server lists it, replaces a known one in place', () => {
    const items = [alert('b', '2025-01-01T00:02:00Z'), alert('a', '2025-01-01T00:01:00Z')];
    const added = upsertAlert(items, alert('c', '2025-01-01T00:03:00Z'), emptyFilter());
    expect(added.map((x) => x.fingerprint)).toEqual(['c', 'b', 'a']);
    const acked = upsertAlert(
      added,
      alert('a', '2025-01-01T00:01:00Z', { state: 'acknowledged' }),
      emptyFilter(),
    );
    expect(acked.map((x) => [x.fingerprint, x.state])).toEqual([
      ['c', 'firing'],
      ['b', 'firing'],
      ['a', 'acknowledged'],
    ]);
  });

  it('drops a row whose alert no longer matches, and ignores one that never did', () => {
    const items = [alert('a', '2025-01-01T00:01:00Z')];
    const open = filter({ status: ['firing'] });
    expect(upsertAlert(items, alert('a', '2025-01-01T00:01:00Z', { state: 'resolved' }), open)).toEqual([]);
    expect(upsertAlert(items, alert('z', '2025-01-01T00:09:00Z', { state: 'closed' }), open)).toBe(items);
  });

  it.each([
    ['the first page takes a new alert', true, 'c', ['c', 'b', 'a']],
    ['a later page leaves a new alert to the first', false, 'c', ['b', 'a']],
    ['a later page follows an alert it shows', false, 'a', ['b', 'a']],
  ])('%s', (_, firstPage, fingerprint, expected) => {
    const items = [alert('b', '2025-01-01T00:02:00Z'), alert('a', '2025-01-01T00:01:00Z')];
    const changed = alert(
      fingerprint,
      fingerprint === 'c' ? '2025-01-01T00:03:00Z' : '2025-01-01T00:01:00Z',
      {
        state: 'acknowledged',
      },
    );
    const next = liveUpdate(items, changed, emptyFilter(), firstPage);
    expect(next.map((x) => x.fingerprint)).toEqual(expected);
    if (fingerprint === 'a') expect(next[1]?.state).toBe('acknowledged');
  });
});
