import { describe, expect, it } from 'vitest';
import { parseVmalert } from '../packages/server/src/alerts/ingest.ts';
import { AlertTraffic, type Delivery, GROUPS, type PostableAlert } from './alert-traffic.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
/** Deliveries 20 ms apart, about the pace of the open-loop run. */
function stream(seed: number, n: number, fleet = 0): { at: number; d: Delivery }[] {
  const traffic = new AlertTraffic({ seed, fleet });
  return Array.from({ length: n }, (_, i) => {
    const at = T0 + i * 20;
    return { at, d: traffic.next(at) };
  });
}

const parsed = new WeakMap<Delivery, PostableAlert[]>();
function alertsOf(d: Delivery): PostableAlert[] {
  let alerts = parsed.get(d);
  if (!alerts) {
    alerts = JSON.parse(d.body) as PostableAlert[];
    parsed.set(d, alerts);
  }
  return alerts;
}
const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());

describe('AlertTraffic', () => {
  const run = stream(7, 8000);

  it('is a function of the seed and the clock', () => {
    const again = stream(7, 500);
    expect(again.map((x) => x.d.body)).toEqual(run.slice(0, 500).map((x) => x.d.body));
    expect(stream(8, 50).map((x) => x.d.body)).not.toEqual(run.slice(0, 50).map((x) => x.d.body));
  });

  it('writes postable alerts with 12 labels, 3 annotations and consistent times', () => {
    const bad: string[] = [];
    for (const { at, d } of run) {
      const alerts = alertsOf(d);
      let resolves = 0;
      for (const a of alerts) {
        const starts = Date.parse(a.startsAt);
        const ends = Date.parse(a.endsAt);
        if (Object.keys(a).sort().join() !== 'annotations,endsAt,generatorURL,labels,startsAt')
          bad.push('fields');
        if (Object.keys(a.labels).length !== 12) bad.push('labels');
        if (Object.keys(a.annotations).length !== 3) bad.push('annotations');
        // Alertmanager refuses the whole batch when one alert ends before it starts.
        if (!(ends > starts)) bad.push(`${a.startsAt} ≥ ${a.endsAt}`);
        if (ends <= at) resolves += 1;
      }
      // A duplicate is sent later than the original, when its resolves are still in the past.
      if (resolves !== d.resolves || alerts.length !== d.alerts) bad.push('counts');
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('is read by the server as it says: resolves are those that ended', () => {
    for (const { at, d } of run.slice(0, 300)) {
      const parsed = parseVmalert(JSON.parse(d.body), new Date(at));
      expect(parsed.filter((a) => a.status === 'resolved')).toHaveLength(d.resolves);
    }
  });

  it('has half resolves, HA copies of every batch, flapping series and many groups', () => {
    const total = run.reduce((n, x) => n + x.d.alerts, 0);
    const resolves = run.reduce((n, x) => n + x.d.resolves, 0);
    expect(resolves / total).toBeGreaterThan(0.45);
    expect(resolves / total).toBeLessThan(0.55);

    const originals = run.filter((x) => !x.d.duplicate);
    expect(originals.length).toBeGreaterThan(run.length / 2 - 10);
    // A group whose series all stay resolved sends the same body again: originals queue up per body.
    const pending = new Map<string, number[]>();
    const lags: number[] = [];
    let orphans = 0;
    for (const [i, { d }] of run.entries()) {
      const queue = pending.get(d.body) ?? [];
      if (!d.duplicate) {
        queue.push(i);
        pending.set(d.body, queue);
        continue;
      }
      const first = queue.shift();
      if (first === undefined) orphans += 1;
      else lags.push(i - first);
    }
    expect(orphans).toBe(0);
    // Each original is copied once, soon after; the copies of the last few may still be pending.
    expect([...pending.values()].reduce((n, q) => n + q.length, 0)).toBeLessThanOrEqual(12);
    expect(Math.max(...lags)).toBeLessThanOrEqual(12);
    expect(lags.reduce((a, b) => a + b, 0) / lags.length).toBeLessThan(5);

    const episodes = new Map<string, Set<string>>();
    const groups = new Set<string>();
    for (const { at, d } of originals)
      for (const a of alertsOf(d)) {
        groups.add(`${a.labels.alertname}/${a.labels.cluster}/${a.labels.service}`);
        if (Date.parse(a.endsAt) <= at) continue;
        const starts = episodes.get(key(a.labels)) ?? new Set();
        starts.add(a.startsAt);
        episodes.set(key(a.labels), starts);
      }
    const flapping = [...episodes.values()].filter((s) => s.size > 1).length;
    expect(flapping).toBeGreaterThan(episodes.size / 20);
    expect(run.reduce((n, x) => n + (x.d.duplicate ? 0 : x.d.flaps), 0)).toBeGreaterThan(0);
    expect(groups.size).toBeGreaterThan(GROUPS * 0.9);
  });

  it('re-sends a firing episode with the same startsAt until it resolves', () => {
    const lastStart = new Map<string, { startsAt: string; firing: boolean }>();
    let resent = 0;
    const bad: string[] = [];
    for (const { at, d } of run.filter((x) => !x.d.duplicate))
      for (const a of alertsOf(d)) {
        const firing = Date.parse(a.endsAt) > at;
        const before = lastStart.get(key(a.labels));
        if (before && firing && before.firing) {
          if (a.startsAt !== before.startsAt) bad.push(`${a.startsAt} after ${before.startsAt}`);
          resent += 1;
        }
        if (before && firing && !before.firing && !(a.startsAt > before.startsAt))
          bad.push(`new episode at ${a.startsAt}, not after ${before.startsAt}`);
        lastStart.set(key(a.labels), { startsAt: a.startsAt, firing });
      }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(resent).toBeGreaterThan(1000);
  });

  it('gives different fleets disjoint label sets', () => {
    const sets = (fleet: number) =>
      new Set(stream(7, 400, fleet).flatMap(({ d }) => alertsOf(d).map((a) => key(a.labels))));
    const a = sets(0);
    for (const k of sets(1)) expect(a.has(k)).toBe(false);
  });
});
