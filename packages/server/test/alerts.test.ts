import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/alerts/fingerprint.ts';
import { parseAlertmanager, parseVmalert } from '../src/alerts/ingest.ts';
import { AlertService } from '../src/alerts/service.ts';
import { openDatabase } from '../src/db/database.ts';
import { backends } from './backends.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let clock: Date;
beforeEach(() => {
  clock = new Date('2026-11-25T10:00:00Z');
});
const tick = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

async function service(backend: (typeof all)[number]) {
  const target = await backend.fresh();
  cleanups.push(target.drop);
  const database = await openDatabase({ url: target.url, dataDir: target.dataDir });
  cleanups.push(() => database.close());
  const changes: string[][] = [];
  return {
    svc: new AlertService(database.db, { now: () => clock, onChange: (f) => changes.push(f) }),
    changes,
  };
}

const startsAt = '2026-11-25T09:59:00Z';
const labelsOf = (i: number) => ({
  alertname: 'DiskFull',
  instance: `db-${i}`,
  severity: i === 0 ? 'critical' : 'warning',
});
/** What Alertmanager sends as the fingerprint, and the server computes from the labels. */
const fp = (i: number) => fingerprintOf(labelsOf(i));

function amGroup(status: 'firing' | 'resolved', n: number, starts = startsAt) {
  return {
    version: '4',
    groupKey: '{}:{alertname="DiskFull"}',
    truncatedAlerts: 0,
    status,
    receiver: 'opsfleet',
    groupLabels: { alertname: 'DiskFull' },
    commonLabels: { alertname: 'DiskFull' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: Array.from({ length: n }, (_, i) => ({
      status,
      labels: labelsOf(i),
      annotations: { summary: `disk of db-${i} is full` },
      startsAt: starts,
      endsAt: status === 'resolved' ? '2026-11-25T10:05:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: fp(i),
    })),
  };
}

describe.each(all)('alert center on $name', (backend) => {
  it('persists a group once however often Alertmanager re-sends it', async () => {
    const { svc } = await service(backend);
    expect(await svc.ingest(parseAlertmanager(amGroup('firing', 10)), 'am')).toMatchObject({
      received: 10,
      created: 10,
      changed: 0,
    });
    tick(30_000);
    expect(await svc.ingest(parseAlertmanager(amGroup('firing', 10)), 'am')).toMatchObject({
      created: 0,
      changed: 0,
      refreshed: 10,
    });
    const { items } = await svc.list({ limit: 50 });
    expect(items).toHaveLength(10);
    expect(items.every((a) => a.state === 'firing')).toBe(true);
    const detail = await svc.get(fp(0));
    expect(detail.history.map((h) => h.event)).toEqual(['fire']);
    expect(detail.alert).toMatchObject({
      severity: 'critical',
      name: 'DiskFull',
      lastSeen: clock.toISOString(),
    });
  });

  it('resolves, re-opens on a new episode, and keeps every instance and transition', async () => {
    const { svc, changes } = await service(backend);
    await svc.ingest(parseAlertmanager(amGroup('firing', 1)), 'am');
    tick(1000);
    await svc.act(fp(0), 'acknowledge', 'alice', 'looking');
    tick(1000);
    await svc.ingest(parseAlertmanager(amGroup('resolved', 1)), 'am');
    await svc.ingest(parseAlertmanager(amGroup('resolved', 1)), 'am');
    tick(60_000);
    await svc.ingest(parseAlertmanager(amGroup('firing', 1, '2026-11-25T10:01:00Z')), 'am');
    const detail = await svc.get(fp(0));
    expect(detail.alert.state).toBe('firing');
    expect(detail.instances.map((i) => i.state)).toEqual(['firing', 'resolved']);
    expect(detail.instances[1]!.acknowledgedBy).toBe('alice');
    expect(detail.history.map((h) => `${h.event}:${h.from ?? '-'}>${h.to}`)).toEqual([
      'fire:->firing',
      'source_resolve:acknowledged>resolved',
      'acknowledge:firing>acknowledged',
      'fire:->firing',
    ]);
    expect(detail.history.find((h) => h.event === 'acknowledge')).toMatchObject({
      actor: 'alice',
      note: 'looking',
    });
    expect(changes.flat().length).toBeGreaterThanOrEqual(4);
  });

  it('does not let a late resolve of an earlier episode end the current one', async () => {
    const { svc } = await service(backend);
    await svc.ingest(parseAlertmanager(amGroup('firing', 1)), 'am');
    await svc.ingest(parseAlertmanager(amGroup('resolved', 1)), 'am');
    await svc.ingest(parseAlertmanager(amGroup('firing', 1, '2026-11-25T10:01:00Z')), 'am');
    await svc.ingest(parseAlertmanager(amGroup('resolved', 1)), 'am');
    const detail = await svc.get(fp(0));
    expect(detail.alert.state).toBe('firing');
    expect(detail.instances.map((i) => i.state)).toEqual(['firing', 'resolved']);
  });

  it('refuses an action the lifecycle does not allow, with the reason, and changes nothing', async () => {
    const { svc } = await service(backend);
    await svc.ingest(parseAlertmanager(amGroup('firing', 1)), 'am');
    await expect(svc.act(fp(0), 'close', 'bob')).rejects.toMatchObject({ status: 409 });
    await expect(svc.act('nope', 'acknowledge', 'bob')).rejects.toMatchObject({ status: 404 });
    expect((await svc.get(fp(0))).history).toHaveLength(1);
  });

  it('derives vmalert status from endsAt and stores a resolve of an alert it never saw as resolved', async () => {
    const { svc } = await service(backend);
    const labels = { alertname: 'HighLatency', job: 'api' };
    const firing = [{ labels, annotations: {}, startsAt, endsAt: '2026-11-25T10:04:00Z', generatorURL: 'x' }];
    await svc.ingest(parseVmalert(firing, clock), 'vmalert');
    tick(10 * 60_000);
    const resolved = [{ ...firing[0], endsAt: '2026-11-25T10:05:00Z' }];
    await svc.ingest(parseVmalert(resolved, clock), 'vmalert');
    const { items } = await svc.list({ limit: 10 });
    expect(items.map((a) => [a.name, a.state, a.source])).toEqual([['HighLatency', 'resolved', 'vmalert']]);
    const ghost = [
      { labels: { alertname: 'Ghost' }, annotations: {}, startsAt, endsAt: startsAt, generatorURL: 'x' },
    ];
    expect(await svc.ingest(parseVmalert(ghost, clock), 'vmalert')).toMatchObject({ created: 1 });
    expect((await svc.list({ limit: 10 })).items.map((a) => [a.name, a.state])).toEqual([
      ['Ghost', 'resolved'],
      ['HighLatency', 'resolved'],
    ]);
  });

  it('counts alerts by state and severity, per bucket, with MTTA and MTTR', async () => {
    const { svc } = await service(backend);
    await svc.ingest(parseAlertmanager(amGroup('firing', 3)), 'am');
    tick(4 * 60_000);
    await svc.act(fp(0), 'acknowledge', 'alice');
    await svc.act(fp(1), 'acknowledge', 'bob');
    tick(6 * 60_000);
    await svc.ingest(parseAlertmanager(amGroup('resolved', 1)), 'am');
    const stats = await svc.stats(new Date('2026-11-25T09:00:00Z'), new Date('2026-11-25T11:00:00Z'), 3600);
    expect(stats.now).toEqual({
      byState: { resolved: 1, acknowledged: 1, firing: 1 },
      bySeverity: { warning: 2 },
    });
    expect(stats.started).toEqual([
      { at: '2026-11-25T09:00:00.000Z', severity: 'critical', count: 1 },
      { at: '2026-11-25T09:00:00.000Z', severity: 'warning', count: 2 },
    ]);
    expect(stats.resolved).toEqual([{ at: '2026-11-25T10:00:00.000Z', severity: 'critical', count: 1 }]);
    // Both acknowledged 5 minutes after startsAt (09:59 → 10:04); the one resolved 6 minutes
    // after, by the source's own endsAt (10:05), not when the resolve arrived.
    expect(stats).toMatchObject({
      mttaSeconds: 300,
      acknowledgedCount: 2,
      mttrSeconds: 360,
      resolvedCount: 1,
    });
  });

  it("serves the last day's stats from a snapshot a few seconds old, refreshed behind the answers", async () => {
    const { svc } = await service(backend);
    await svc.ingest(parseAlertmanager(amGroup('firing', 2)), 'am');
    const first = await svc.recentStats(86_400_000, 3600);
    expect(first.now.byState).toEqual({ firing: 2 });
    expect(first.to).toBe(clock.toISOString());
    await svc.ingest(parseAlertmanager(amGroup('firing', 3)), 'am');
    tick(1000);
    expect((await svc.recentStats(86_400_000, 3600)).now.byState).toEqual({ firing: 2 });
    tick(5000);
    // Past 5 s the snapshot is answered once more while the next one is computed.
    expect((await svc.recentStats(86_400_000, 3600)).now.byState).toEqual({ firing: 2 });
    await expect
      .poll(async () => (await svc.recentStats(86_400_000, 3600)).now.byState)
      .toEqual({ firing: 3 });
    tick(60_000);
    await svc.act(fp(2), 'acknowledge', 'alice');
    // A snapshot nobody asked for in a minute is not served: the answer is computed now.
    const late = await svc.recentStats(86_400_000, 3600);
    expect(late.now.byState).toEqual({ firing: 2, acknowledged: 1 });
    expect(late.to).toBe(clock.toISOString());
  });

  it('filters by state, severity, labels and text, and pages with a cursor', async () => {
    const { svc } = await service(backend);
    for (let i = 0; i < 5; i++) {
      await svc.ingest(parseAlertmanager(amGroup('firing', 5)), 'am');
      tick(1000);
    }
    await svc.act(fp(1), 'acknowledge', 'alice');
    expect((await svc.list({ limit: 50, states: ['acknowledged'] })).items.map((a) => a.fingerprint)).toEqual(
      [fp(1)],
    );
    expect((await svc.list({ limit: 50, severities: ['critical'] })).items).toHaveLength(1);
    expect((await svc.list({ limit: 50, labels: { instance: 'db-3' } })).items).toHaveLength(1);
    expect((await svc.list({ limit: 50, text: 'DB-4' })).items).toHaveLength(1);
    // A word every alert has: pages come from the newest alerts, in the list's order, each once.
    const byText: string[] = [];
    for (let cursor: string | undefined, i = 0; i < 4; i++) {
      const page = await svc.list({ limit: 2, text: 'disk of', ...(cursor ? { cursor } : {}) });
      byText.push(...page.items.map((a) => a.fingerprint));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(byText).toEqual((await svc.list({ limit: 50 })).items.map((a) => a.fingerprint));
    const first = await svc.list({ limit: 2 });
    const second = await svc.list({ limit: 2, cursor: first.nextCursor! });
    const third = await svc.list({ limit: 2, cursor: second.nextCursor! });
    const seen = [...first.items, ...second.items, ...third.items].map((a) => a.fingerprint);
    expect(new Set(seen).size).toBe(5);
    expect(third.nextCursor).toBeNull();
  });
});
