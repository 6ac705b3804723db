import { silentLogger } from '@opsfleet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../src/alerts/ingest.ts';
import { AlertService } from '../src/alerts/service.ts';
import { openDatabase } from '../src/db/database.ts';
import { createServer } from '../src/server.ts';
import { backends } from './backends.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function group(status: 'firing' | 'resolved', instances: string[], startsAt = new Date(Date.now() - 60_000)) {
  return {
    version: '4',
    groupKey: 'g',
    truncatedAlerts: 0,
    status,
    receiver: 'opsfleet',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am',
    alerts: instances.map((instance) => ({
      status,
      labels: { alertname: 'DiskFull', instance, team: instance.startsWith('db') ? 'db' : 'web' },
      annotations: {},
      startsAt: startsAt.toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus',
    })),
  };
}

describe.each(all)('silences and expiry on $name', (backend) => {
  async function start(dataDir?: string, url?: string) {
    const target =
      dataDir !== undefined || url
        ? { url, dataDir: dataDir ?? '', drop: async () => {} }
        : await backend.fresh();
    cleanups.push(target.drop);
    const s = await createServer({
      database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
      log: silentLogger(),
      adminPassword: 'admin-password-1',
      housekeepingMs: 0,
    });
    // Closed before the database is dropped: its background work must not see the drop.
    cleanups.push(() => s.close());
    const { accessToken } = await s.identity.login('admin', 'admin-password-1');
    const headers = { authorization: `Bearer ${accessToken}` };
    return { s, headers, target };
  }

  it('mutes matching alerts at once, mutes new ones as they fire, and brings them back when it is expired', async () => {
    const { s, headers } = await start();
    await s.alerts.ingest(parseAlertmanager(group('firing', ['db-1', 'web-1'])), 'am');
    await s.alerts.act(
      (await s.alerts.list({ limit: 10, labels: { instance: 'db-1' } })).items[0]!.fingerprint,
      'acknowledge',
      'alice',
    );
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers,
      payload: {
        matchers: ['team="db"'],
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        comment: 'db maintenance',
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ state: 'active', createdBy: 'admin' });
    const stateOf = async (instance: string) =>
      (await s.alerts.list({ limit: 10, labels: { instance } })).items[0]?.state;
    expect([await stateOf('db-1'), await stateOf('web-1')]).toEqual(['silenced', 'firing']);
    await s.alerts.ingest(parseAlertmanager(group('firing', ['db-2'])), 'am');
    expect(await stateOf('db-2')).toBe('silenced');
    const del = await s.app.inject({
      method: 'DELETE',
      url: `/api/v1/silences/${created.json().id}`,
      headers,
    });
    expect(del.json().state).toBe('expired');
    // Coming back, each alert returns to the state it had: db-1 was acknowledged.
    expect([await stateOf('db-1'), await stateOf('db-2')]).toEqual(['acknowledged', 'firing']);
    const audit = (await s.app.inject({ url: '/api/v1/audit', headers })).json();
    expect(audit.slice(0, 2).map((a: { action: string }) => a.action)).toEqual([
      'silence.expire',
      'silence.create',
    ]);
  });

  it('rejects bad matchers by index and a silence that would mute everything', async () => {
    const { s, headers } = await start();
    const bad = await s.app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers,
      payload: {
        matchers: ['team="db"', 'nope', 'x=~"("'],
        endsAt: new Date(Date.now() + 60_000).toISOString(),
        comment: 'c',
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(['matchers[1]', 'matchers[2]']);
    const everything = await s.app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers,
      payload: {
        matchers: ['team=~".*"'],
        endsAt: new Date(Date.now() + 60_000).toISOString(),
        comment: 'c',
      },
    });
    expect(everything.statusCode).toBe(400);
  });

  it('resolves an alert whose source never sends resolved once the timeout passes, and closes it a day later', async () => {
    const target = await backend.fresh();
    cleanups.push(target.drop);
    const database = await openDatabase({ url: target.url, dataDir: target.dataDir });
    cleanups.push(() => database.close());
    let clock = new Date();
    const svc = new AlertService(database.db, {
      now: () => clock,
      timeoutMs: 3_600_000,
      closeAfterMs: 86_400_000,
    });
    await svc.ingest(parseAlertmanager(group('firing', ['db-1'])), 'am');
    clock = new Date(clock.getTime() + 30 * 60_000);
    expect(await svc.housekeep()).toBe(0);
    clock = new Date(clock.getTime() + 31 * 60_000);
    expect(await svc.housekeep()).toBe(1);
    const { items } = await svc.list({ limit: 5 });
    expect(items[0]!.state).toBe('resolved');
    const detail = await svc.get(items[0]!.fingerprint);
    expect(detail.history[0]).toMatchObject({ event: 'expire', actor: 'system', to: 'resolved' });
    clock = new Date(clock.getTime() + 23 * 3_600_000);
    expect(await svc.housekeep()).toBe(0);
    clock = new Date(clock.getTime() + 2 * 3_600_000);
    expect(await svc.housekeep()).toBe(1);
    const closed = await svc.get(items[0]!.fingerprint);
    expect(closed.alert.state).toBe('closed');
    expect(closed.history.map((h) => h.event)).toEqual(['close', 'expire', 'fire']);
  });

  it('keeps alerts and silences across a restart without synthetic resolutions', async () => {
    const first = await start();
    await first.s.alerts.ingest(parseAlertmanager(group('firing', ['db-1', 'web-1'])), 'am');
    await first.s.app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers: first.headers,
      payload: {
        matchers: ['instance="web-1"'],
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        comment: 'deploy',
      },
    });
    await first.s.close();
    const second = await start(first.target.dataDir, first.target.url);
    await second.s.alerts.housekeep();
    const { items } = await second.s.alerts.list({ limit: 10 });
    expect(items.map((a) => `${a.labels.instance}:${a.state}`).sort()).toEqual([
      'db-1:firing',
      'web-1:silenced',
    ]);
    for (const a of items) {
      const events = (await second.s.alerts.get(a.fingerprint)).history.map((h) => h.event);
      expect(events).not.toContain('source_resolve');
      expect(events).not.toContain('expire');
    }
    expect(
      (await second.s.app.inject({ url: '/api/v1/silences?state=active', headers: second.headers })).json(),
    ).toHaveLength(1);
    await second.s.close();
  });
});
