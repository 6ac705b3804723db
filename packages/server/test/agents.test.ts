import { afterEach, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// A short threshold so that going offline takes a second, not 45.
const OFFLINE_AFTER = 1500;
const HEARTBEAT = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const service = (name: string, state = 'running', restarts = 0, extra: Record<string, unknown> = {}) => ({
  name,
  state,
  backend: 'direct',
  restarts,
  ...extra,
});

const report = (hostname: string, services = [service('nginx')]) => ({
  hostname,
  version: '0.1.0',
  labels: { env: 'prod', role: hostname.split('-')[0] },
  services,
});

describe.each(all)('agent registry on $name', { timeout: 60_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend, {
      agents: { offlineAfterMs: OFFLINE_AFTER, heartbeatMs: HEARTBEAT },
    });
    cleanups.push(t.close);
    return t;
  }

  /** A new API key of `role`: its id and the secret. */
  async function key(t: TestServer, name: string, role = 'agent'): Promise<{ id: string; key: string }> {
    const res = await t.api('POST', '/api/v1/api-keys', { name, role });
    expect(res.status).toBe(201);
    return { id: res.body.id, key: res.body.key };
  }

  async function as(
    t: TestServer,
    secret: string | undefined,
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: unknown,
  ) {
    const res = await t.s.app.inject({
      method,
      url,
      headers: secret ? { 'x-api-key': secret } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  }

  it('registers an agent as its key, takes heartbeats with the services, and lists it online', async () => {
    const t = await start();
    const web = await key(t, 'web-1');
    const reg = await as(t, web.key, 'POST', '/api/v1/agents/register', {
      ...report('web-1'),
      grpcAddress: '10.0.0.5:7070',
      startedAt: new Date(Date.now() - 5000).toISOString(),
    });
    expect(reg.status).toBe(200);
    expect(reg.body).toMatchObject({
      id: web.id,
      name: 'web-1',
      heartbeatMs: HEARTBEAT,
      offlineAfterMs: OFFLINE_AFTER,
    });
    expect(Math.abs(Date.parse(reg.body.serverTime) - Date.now())).toBeLessThan(5000);

    const beat = await as(t, web.key, 'POST', '/api/v1/agents/heartbeat', {
      services: [
        service('nginx', 'running', 0, { pid: 4242, health: 'passing' }),
        service('app', 'backoff', 3, {
          health: 'critical',
          reason: '3 restarts in 60s',
          lastExit: { code: 1 },
        }),
        service('cron', 'running', 1),
      ],
    });
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ heartbeatMs: HEARTBEAT, offlineAfterMs: OFFLINE_AFTER });

    const list = await t.api('GET', '/api/v1/agents');
    expect(list.status).toBe(200);
    expect(list.body.counts).toEqual({ online: 1, offline: 0 });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      id: web.id,
      name: 'web-1',
      hostname: 'web-1',
      version: '0.1.0',
      labels: { env: 'prod', role: 'web' },
      status: 'online',
      grpcAddress: '10.0.0.5:7070',
      serviceCounts: { total: 3, byState: { running: 2, backoff: 1 }, unhealthy: 1, restarts: 4 },
    });

    const detail = await t.api('GET', `/api/v1/agents/${web.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.services.map((s: { name: string }) => s.name)).toEqual(['nginx', 'app', 'cron']);
    expect(detail.body.services[1]).toEqual({
      name: 'app',
      state: 'backoff',
      backend: 'direct',
      restarts: 3,
      health: 'critical',
      reason: '3 restarts in 60s',
    });
    expect(detail.body.history).toEqual([
      expect.objectContaining({
        event: 'registered',
        detail: expect.stringContaining('version 0.1.0 on web-1'),
      }),
    ]);
    expect((await t.api('GET', `/api/v1/agents/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it('takes the identity from the key: two keys are two agents, and a body id is refused', async () => {
    const t = await start();
    const a = await key(t, 'web-1');
    const b = await key(t, 'db-1');
    expect((await as(t, a.key, 'POST', '/api/v1/agents/register', report('web-1'))).status).toBe(200);
    // Key b tries to pass itself off as agent a.
    const spoof = await as(t, b.key, 'POST', '/api/v1/agents/register', { ...report('evil'), id: a.id });
    expect(spoof.status).toBe(400);
    expect(spoof.body.errors).toEqual([{ path: 'body.id', message: 'not accepted' }]);
    expect(spoof.body.detail).toMatch(/identity is the API key/);
    const spoofBeat = await as(t, b.key, 'POST', '/api/v1/agents/heartbeat', { id: a.id, services: [] });
    expect(spoofBeat.status).toBe(400);
    // Its own registration is its own agent, whatever hostname it claims.
    const own = await as(t, b.key, 'POST', '/api/v1/agents/register', report('web-1', []));
    expect(own.body).toMatchObject({ id: b.id, name: 'db-1' });

    const list = await t.api('GET', '/api/v1/agents');
    expect(
      list.body.items.map((x: { id: string; name: string; hostname: string }) => [x.name, x.id]),
    ).toEqual([
      ['db-1', b.id],
      ['web-1', a.id],
    ]);
    const first = await t.api('GET', `/api/v1/agents/${a.id}`);
    expect(first.body).toMatchObject({ hostname: 'web-1', serviceCounts: { total: 1 } });
    expect(first.body.history).toHaveLength(1);
  });

  it('refuses a request without a key, a viewer key, a user login, a revoked key; an agent key reads nothing', async () => {
    const t = await start();
    const viewer = await key(t, 'dashboard', 'viewer');
    const ingest = await key(t, 'alertmanager', 'ingest');
    const agent = await key(t, 'web-1');
    const body = report('web-1');
    expect((await as(t, undefined, 'POST', '/api/v1/agents/register', body)).status).toBe(401);
    const refused = await as(t, viewer.key, 'POST', '/api/v1/agents/register', body);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/agent:register/);
    expect((await as(t, ingest.key, 'POST', '/api/v1/agents/heartbeat', { services: [] })).status).toBe(403);
    // An admin holds every permission, but a login is not an agent.
    const admin = await t.api('POST', '/api/v1/agents/register', body);
    expect(admin.status).toBe(403);
    expect(admin.body.detail).toMatch(/not an agent/);

    expect((await as(t, agent.key, 'POST', '/api/v1/agents/register', body)).status).toBe(200);
    expect((await as(t, agent.key, 'GET', '/api/v1/agents')).status).toBe(403);
    expect((await as(t, viewer.key, 'GET', '/api/v1/agents')).status).toBe(200);
    expect((await as(t, viewer.key, 'DELETE', `/api/v1/agents/${agent.id}`)).status).toBe(403);

    expect((await t.api('DELETE', `/api/v1/api-keys/${agent.id}`)).status).toBeLessThan(300);
    expect((await as(t, agent.key, 'POST', '/api/v1/agents/heartbeat', { services: [] })).status).toBe(401);
  });

  it('lists an agent offline once its heartbeat is older than the threshold, and records when', async () => {
    const t = await start();
    const web = await key(t, 'web-1');
    const db = await key(t, 'db-1');
    await as(t, web.key, 'POST', '/api/v1/agents/register', report('web-1'));
    await as(t, db.key, 'POST', '/api/v1/agents/register', report('db-1'));
    const lastSeen = (await t.api('GET', `/api/v1/agents/${web.id}`)).body.lastSeen;
    // db-1 keeps beating; web-1 stops.
    const deadline = Date.now() + 10_000;
    for (;;) {
      await sleep(HEARTBEAT);
      expect((await as(t, db.key, 'POST', '/api/v1/agents/heartbeat', { services: [] })).status).toBe(200);
      if ((await t.api('GET', `/api/v1/agents/${web.id}`)).body.status === 'offline') break;
      expect(Date.now()).toBeLessThan(deadline);
    }
    expect((await as(t, db.key, 'POST', '/api/v1/agents/heartbeat', { services: [] })).status).toBe(200);
    // Offline already at read time, before any housekeeping.
    const list = await t.api('GET', '/api/v1/agents');
    expect(list.body.counts).toEqual({ online: 1, offline: 1 });
    const web1 = list.body.items.find((x: { id: string }) => x.id === web.id);
    expect(web1).toMatchObject({ status: 'offline', lastSeen });
    expect(Date.parse(web1.statusSince)).toBe(Date.parse(lastSeen) + OFFLINE_AFTER);
    const offline = await t.api('GET', '/api/v1/agents?status=offline');
    expect(offline.body.items.map((x: { name: string }) => x.name)).toEqual(['web-1']);

    // The housekeeping pass records the transition once, at the time it happened.
    expect(await Promise.all([t.s.agents.housekeep(), t.s.agents.housekeep()])).toSatisfy(
      (runs: string[][]) => runs.flat().length === 1 && runs.flat()[0] === web.id,
    );
    expect(await t.s.agents.housekeep()).toEqual([]);
    let detail = (await t.api('GET', `/api/v1/agents/${web.id}`)).body;
    expect(detail.status).toBe('offline');
    expect(detail.history[0]).toMatchObject({ event: 'offline', detail: 'no heartbeat for 1.5s' });
    expect(Date.parse(detail.history[0].at)).toBe(Date.parse(lastSeen) + OFFLINE_AFTER);
    expect(detail.statusSince).toBe(detail.history[0].at);

    // It comes back with its next heartbeat.
    expect((await as(t, web.key, 'POST', '/api/v1/agents/heartbeat', { services: [] })).status).toBe(200);
    detail = (await t.api('GET', `/api/v1/agents/${web.id}`)).body;
    expect(detail.status).toBe('online');
    expect(detail.history.map((h: { event: string }) => h.event)).toEqual([
      'online',
      'offline',
      'registered',
    ]);
    expect(detail.history[0].detail).toMatch(/^heartbeat after \d/);
    expect((await t.api('GET', '/api/v1/agents')).body.counts).toEqual({ online: 2, offline: 0 });
  });

  it('records an offline period that ended before the housekeeping pass saw it', async () => {
    const t = await start();
    const web = await key(t, 'web-1');
    await as(t, web.key, 'POST', '/api/v1/agents/register', report('web-1'));
    await sleep(OFFLINE_AFTER + 200);
    expect((await as(t, web.key, 'POST', '/api/v1/agents/heartbeat', { services: [] })).status).toBe(200);
    expect(await t.s.agents.housekeep()).toEqual([]);
    const detail = (await t.api('GET', `/api/v1/agents/${web.id}`)).body;
    expect(detail.history.map((h: { event: string }) => h.event)).toEqual([
      'online',
      'offline',
      'registered',
    ]);
    // A restart after an outage: registered again, the outage recorded too.
    await sleep(OFFLINE_AFTER + 200);
    await as(t, web.key, 'POST', '/api/v1/agents/register', report('web-1'));
    const again = (await t.api('GET', `/api/v1/agents/${web.id}`)).body;
    expect(again.status).toBe('online');
    expect(again.history.map((h: { event: string }) => h.event).slice(0, 2)).toEqual([
      'registered',
      'offline',
    ]);
  });

  it('answers 404 to the heartbeat of an unknown or forgotten agent, which registers again', async () => {
    const t = await start();
    const web = await key(t, 'web-1');
    const unknown = await as(t, web.key, 'POST', '/api/v1/agents/heartbeat', { services: [] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toMatch(/register first/);
    await as(t, web.key, 'POST', '/api/v1/agents/register', report('web-1'));
    const del = await t.api('DELETE', `/api/v1/agents/${web.id}`);
    expect(del.status).toBe(204);
    expect((await t.api('DELETE', `/api/v1/agents/${web.id}`)).status).toBe(404);
    const audit = await t.api('GET', '/api/v1/audit');
    expect(audit.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'agent.delete', resource: 'agent:web-1', actor: 'admin' }),
      ]),
    );
    expect((await as(t, web.key, 'POST', '/api/v1/agents/heartbeat', { services: [] })).status).toBe(404);
    expect((await as(t, web.key, 'POST', '/api/v1/agents/register', report('web-1'))).status).toBe(200);
    const back = (await t.api('GET', `/api/v1/agents/${web.id}`)).body;
    expect(back.history).toHaveLength(1);
  });

  it("records the offline transition from the server's housekeeping job", async () => {
    const t = await testServer(backend, {
      housekeepingMs: 1000,
      agents: { offlineAfterMs: OFFLINE_AFTER, heartbeatMs: HEARTBEAT },
    });
    cleanups.push(t.close);
    const web = await key(t, 'web-1');
    await as(t, web.key, 'POST', '/api/v1/agents/register', report('web-1'));
    const deadline = Date.now() + 20_000;
    let events: string[] = [];
    while (Date.now() < deadline) {
      events = (await t.api('GET', `/api/v1/agents/${web.id}`)).body.history.map(
        (h: { event: string }) => h.event,
      );
      if (events.includes('offline')) break;
      await sleep(250);
    }
    expect(events).toEqual(['offline', 'registered']);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const t = await start();
    const doc = await t.s.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(doc.json().paths)).toEqual(
      expect.arrayContaining(['/api/v1/agents/register', '/api/v1/agents/heartbeat', '/api/v1/agents/{id}']),
    );
  });

  it('lists an agent under the name it reports, with its key beside it, and finds it by either', async () => {
    const t = await start();
    const k = await key(t, 'key-of-db');
    const reg = await as(t, k.key, 'POST', '/api/v1/agents/register', {
      ...report('vm'),
      name: 'db-primary',
    });
    expect(reg.body).toMatchObject({ id: k.id, name: 'db-primary', keyName: 'key-of-db' });
    const list = await t.api('GET', '/api/v1/agents');
    expect(list.body.items[0]).toMatchObject({ name: 'db-primary', keyName: 'key-of-db', hostname: 'vm' });
    for (const q of ['db-primary', 'key-of-db'])
      expect((await t.api('GET', `/api/v1/agents?q=${q}`)).body.items).toHaveLength(1);
    // An agent that reports no name (an older agent) is listed under its key's name.
    const old = await key(t, 'old-agent');
    await as(t, old.key, 'POST', '/api/v1/agents/register', report('old-host'));
    const again = await t.api('GET', `/api/v1/agents/${old.id}`);
    expect(again.body).toMatchObject({ name: 'old-agent', keyName: 'old-agent', hostname: 'old-host' });
  });

  it('names every bad field of a report', async () => {
    const t = await start();
    const web = await key(t, 'web-1');
    const bad = await as(t, web.key, 'POST', '/api/v1/agents/register', {
      hostname: '',
      version: '1',
      labels: { env: 3 },
      services: [service('a', 'running', -1), service('a', 'Running!')],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.hostname',
      'body.labels.env',
      'body.services.0.restarts',
      'body.services.1.name',
      'body.services.1.state',
    ]);
  });

  it('filters by label and text and pages by name', async () => {
    const t = await start();
    for (const name of ['web-1', 'web-2', 'db-1', 'db-2', 'cache-1']) {
      const k = await key(t, name);
      await as(t, k.key, 'POST', '/api/v1/agents/register', report(name));
    }
    const names = (body: { items: { name: string }[] }) => body.items.map((x) => x.name);
    expect(names((await t.api('GET', '/api/v1/agents?label=role=db')).body)).toEqual(['db-1', 'db-2']);
    expect(names((await t.api('GET', '/api/v1/agents?q=web')).body)).toEqual(['web-1', 'web-2']);
    expect((await t.api('GET', '/api/v1/agents?label=role')).status).toBe(400);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { name: string }[]; nextCursor: string | null } } = await t.api(
        'GET',
        `/api/v1/agents?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...names(page.body));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['cache-1', 'db-1', 'db-2', 'web-1', 'web-2']);
    expect((await t.api('GET', '/api/v1/agents?cursor=nonsense')).status).toBe(400);
  });
});
