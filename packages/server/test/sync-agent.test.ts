import { afterEach, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const S = '/api/v1/sync-targets';
const A = '/api/v1/agent/sync-targets';
const BASE = 'route:\n  receiver: oncall\nreceivers:\n  - name: oncall\n';
const amTarget = (agentId: string, base = BASE) => ({
  name: 'am-1',
  kind: 'alertmanager',
  agent_id: agentId,
  base_config: base,
  webhook_url: 'http://opsfleet:8080/api/v1/webhooks/alertmanager',
  password_file: '/etc/alertmanager/opsfleet.key',
});

describe.each(all)('the ConfigAgent’s calls on $name', { timeout: 60_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend);
    cleanups.push(t.close);
    return t;
  }

  async function call(
    t: TestServer,
    headers: Record<string, string>,
    method: 'GET' | 'POST',
    url: string,
    payload?: unknown,
  ) {
    const res = await t.s.app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  }

  /** A registered agent: its id and the headers of its API key. */
  async function agent(t: TestServer, name: string) {
    const made = await t.api('POST', '/api/v1/api-keys', { name, role: 'agent' });
    const headers = { 'x-api-key': made.body.key as string };
    const reg = await call(t, headers, 'POST', '/api/v1/agents/register', {
      hostname: name,
      version: '0.1.0',
    });
    expect(reg.status).toBe(200);
    return { id: made.body.id as string, headers };
  }

  const syncCommands = async (t: TestServer, agentId: string) =>
    (await t.api('GET', `/api/v1/commands?agent=${agentId}&kind=config.sync`)).body.items as {
      payload: unknown;
      deadline: string;
      createdAt: string;
    }[];

  it('gives each agent its own targets at their desired version, and queues config.sync when that version changes', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const db = await agent(t, 'db-1');
    const ds = (
      await t.api('POST', '/api/v1/datasources', {
        name: 'prom',
        kind: 'prometheus',
        url: 'http://prom:9090',
      })
    ).body;
    const am = await t.api('POST', S, amTarget(web.id));
    expect(am.status, JSON.stringify(am.body)).toBe(201);
    const prom = await t.api('POST', S, {
      name: 'prom-1',
      kind: 'prometheus',
      agent_id: db.id,
      datasource_id: ds.id,
    });
    expect(prom.status, JSON.stringify(prom.body)).toBe(201);
    await t.api('POST', S, { name: 'prom-unassigned', kind: 'prometheus', datasource_id: ds.id });

    const mine = await call(t, web.headers, 'GET', A);
    expect(mine.status).toBe(200);
    expect(mine.body.items).toHaveLength(1);
    const v1 = (await t.api('GET', `${S}/${am.body.id}/versions/1`)).body;
    expect(mine.body.items[0]).toEqual({
      id: am.body.id,
      name: 'am-1',
      kind: 'alertmanager',
      version: 1,
      hash: v1.hash,
      files: v1.files,
      passwordFile: '/etc/alertmanager/opsfleet.key',
      ingestKey: expect.stringMatching(/.{20,}/),
    });
    expect((await call(t, db.headers, 'GET', A)).body.items).toEqual([
      {
        id: prom.body.id,
        name: 'prom-1',
        kind: 'prometheus',
        version: 1,
        hash: expect.any(String),
        files: {},
        passwordFile: null,
        ingestKey: null,
      },
    ]);
    // A person's login is not an agent.
    expect((await t.api('GET', A)).status).toBe(403);

    // Created with an agent: one config.sync for it, due within 5 minutes.
    let queued = await syncCommands(t, web.id);
    expect(queued.map((c) => c.payload)).toEqual([{ targetId: am.body.id }]);
    expect(Date.parse(queued[0]!.deadline) - Date.parse(queued[0]!.createdAt)).toBe(300_000);

    // A new version, a pin back to the first, an unpin: each changes what the agent loads.
    const edited = `${BASE}  - name: night\n`;
    expect((await t.api('PUT', `${S}/${am.body.id}`, amTarget(web.id, edited))).body.latestVersion).toBe(2);
    expect((await call(t, web.headers, 'GET', A)).body.items[0].files['alertmanager.yml']).toContain('night');
    await t.api('POST', `${S}/${am.body.id}/pin`, { version: 1 });
    const pinned = (await call(t, web.headers, 'GET', A)).body.items[0];
    expect([pinned.version, pinned.hash, pinned.files]).toEqual([1, v1.hash, v1.files]);
    await t.api('POST', `${S}/${am.body.id}/pin`, { version: null });
    expect((await call(t, web.headers, 'GET', A)).body.items[0].version).toBe(2);
    // Saving the same settings, or pinning the version it already loads, tells the agent nothing.
    await t.api('PUT', `${S}/${am.body.id}`, amTarget(web.id, edited));
    await t.api('POST', `${S}/${am.body.id}/pin`, { version: 2 });
    queued = await syncCommands(t, web.id);
    expect(queued).toHaveLength(4);
    expect(queued.every((c) => (c.payload as { targetId: string }).targetId === am.body.id)).toBe(true);

    // Handed to the other agent: now that one is told and loads it, the first no longer sees it.
    await t.api('PUT', `${S}/${am.body.id}`, amTarget(db.id, edited));
    expect(await syncCommands(t, db.id)).toHaveLength(2);
    expect((await call(t, web.headers, 'GET', A)).body.items).toEqual([]);
    expect((await call(t, db.headers, 'GET', A)).body.items.map((i: { name: string }) => i.name)).toEqual([
      'am-1',
      'prom-1',
    ]);
  });

  it('records what the agent reports, for its own targets only; a failure streak is one alert, resolved by the next success', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const db = await agent(t, 'db-1');
    const id = (await t.api('POST', S, amTarget(web.id))).body.id;
    const status = (body: unknown, who = web) => call(t, who.headers, 'POST', `${A}/${id}/status`, body);

    expect((await status({ appliedVersion: 1, attemptedVersion: 1, ok: true })).body).toEqual({
      inSync: true,
    });
    let target = (await t.api('GET', `${S}/${id}`)).body;
    expect(target).toMatchObject({ appliedVersion: 1, desiredVersion: 1, inSync: true, lastError: null });
    expect(Date.now() - Date.parse(target.lastAttemptAt)).toBeLessThan(60_000);
    expect(target.peer).toBeNull();

    // The peer as the agent sees it is kept until a report says otherwise.
    const down = { up: false, reloadSuccessful: null, error: 'http://127.0.0.1:9093/metrics: ECONNREFUSED' };
    await status({ appliedVersion: 1, attemptedVersion: 1, ok: true, peer: down });
    await status({ appliedVersion: 1, attemptedVersion: 1, ok: true });
    target = (await t.api('GET', `${S}/${id}`)).body;
    expect(target.peer).toMatchObject(down);
    expect(Date.now() - Date.parse(target.peer.checkedAt)).toBeLessThan(60_000);
    await status({
      appliedVersion: 1,
      attemptedVersion: 1,
      ok: true,
      peer: { up: true, reloadSuccessful: true },
    });
    expect((await t.api('GET', `${S}/${id}`)).body.peer).toMatchObject({ up: true, reloadSuccessful: true });
    const badPeer = await status({ appliedVersion: 1, attemptedVersion: 1, ok: true, peer: { up: 'yes' } });
    expect([badPeer.status, badPeer.body.errors?.[0]?.path]).toEqual([400, 'body.peer.up']);

    // Another agent's target, or none, is not found; a version the target never had is refused.
    expect((await status({ appliedVersion: 1, attemptedVersion: 1, ok: true }, db)).status).toBe(404);
    const other = await call(t, web.headers, 'POST', `${A}/00000000-0000-4000-8000-000000000000/status`, {
      appliedVersion: 1,
      attemptedVersion: 1,
      ok: true,
    });
    expect(other.status).toBe(404);
    const bad = await status({ appliedVersion: 7, attemptedVersion: 7, ok: true });
    expect([bad.status, bad.body.errors?.[0]?.path]).toEqual([400, 'body.appliedVersion']);
    expect((await status({ appliedVersion: 1, attemptedVersion: 1, ok: true, version: 1 })).status).toBe(400);
    expect(
      (await t.api('POST', `${A}/${id}/status`, { appliedVersion: 1, attemptedVersion: 1, ok: true })).status,
    ).toBe(403);

    // Version 2 fails validation: the agent keeps version 1 and says why.
    await t.api('PUT', `${S}/${id}`, amTarget(web.id, `${BASE}  - name: night\n`));
    const error = 'amtool check-config: FAILED\nline 7: unknown field "recievers"';
    const failed = { appliedVersion: 1, attemptedVersion: 2, ok: false, error };
    expect((await status(failed)).body).toEqual({ inSync: false });
    target = (await t.api('GET', `${S}/${id}`)).body;
    expect(target).toMatchObject({ appliedVersion: 1, desiredVersion: 2, inSync: false, lastError: error });

    const raised = (await t.api('GET', '/api/v1/alerts')).body.items.filter(
      (a: { name: string }) => a.name === 'OpsfleetConfigSyncFailed',
    );
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      state: 'firing',
      severity: 'warning',
      labels: { alertname: 'OpsfleetConfigSyncFailed', target: 'am-1', kind: 'alertmanager', agent: 'web-1' },
      annotations: {
        summary: 'config sync of am-1 failed: amtool check-config: FAILED',
        description: error,
      },
    });
    const fp = raised[0].fingerprint;
    const history = async () => (await t.api('GET', `/api/v1/alerts/${fp}/history`)).body.items;
    expect(await history()).toHaveLength(1);

    // Failing again is the same episode: no new history, so no new notification.
    await status({ ...failed, error: `${error}\n(retried)` });
    await status(failed);
    expect(await history()).toHaveLength(1);
    expect((await t.api('GET', `/api/v1/alerts/${fp}/instances`)).body.items).toHaveLength(1);

    // The next success resolves it and clears the error; a later failure is a new episode.
    expect((await status({ appliedVersion: 2, attemptedVersion: 2, ok: true })).body).toEqual({
      inSync: true,
    });
    expect((await t.api('GET', `${S}/${id}`)).body).toMatchObject({ lastError: null, inSync: true });
    expect((await t.api('GET', `/api/v1/alerts/${fp}`)).body.alert.state).toBe('resolved');
    expect(await history()).toHaveLength(2);
    await status({ appliedVersion: 2, attemptedVersion: 2, ok: false, error: 'reload failed' });
    expect((await t.api('GET', `/api/v1/alerts/${fp}/instances`)).body.items).toHaveLength(2);
  });

  it('mints an ingest key for an Alertmanager target that only its agent receives, that Alertmanager can send with, and that dies with the target', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const am = (await t.api('POST', S, amTarget(web.id))).body;
    expect(am.hasIngestKey).toBe(true);
    const key: string = (await call(t, web.headers, 'GET', A)).body.items[0].ingestKey;

    const answers = [
      await t.api('GET', S),
      await t.api('GET', `${S}/${am.id}`),
      await t.api('PUT', `${S}/${am.id}`, amTarget(web.id)),
      await t.api('GET', `${S}/${am.id}/versions`),
      await t.api('GET', `${S}/${am.id}/versions/1`),
      await t.api('GET', `${S}/${am.id}/dry-run`),
      await t.api('GET', '/api/v1/audit?limit=500'),
      await t.api('GET', '/api/v1/api-keys'),
    ];
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(JSON.stringify(a.body)).not.toContain(key);
    }
    // The update kept the key: the agent still gets the same one.
    expect((await call(t, web.headers, 'GET', A)).body.items[0].ingestKey).toBe(key);
    expect((await t.api('GET', '/api/v1/api-keys')).body).toContainEqual(
      expect.objectContaining({ name: 'sync-target:am-1', role: 'ingest', revokedAt: null }),
    );

    // What the merged configuration makes Alertmanager send: basic auth api_key:<key>.
    const basicOf = (k: string) => ({
      authorization: `Basic ${Buffer.from(`api_key:${k}`).toString('base64')}`,
    });
    const send = (k = key) =>
      call(t, basicOf(k), 'POST', '/api/v1/webhooks/alertmanager', {
        version: '4',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'TargetDown', instance: 'web-1:9100' },
            annotations: {},
            startsAt: new Date().toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
          },
        ],
      });
    expect((await send()).status).toBe(202);
    // It is an ingest key: it reads nothing.
    expect((await call(t, basicOf(key), 'GET', S)).status).toBe(403);

    // Revoked by hand, it is replaced at the target's next save.
    const made = (await t.api('GET', '/api/v1/api-keys')).body.find(
      (k: { name: string }) => k.name === 'sync-target:am-1',
    );
    expect((await t.api('DELETE', `/api/v1/api-keys/${made.id}`)).status).toBe(204);
    expect((await send()).status).toBe(401);
    await t.api('PUT', `${S}/${am.id}`, amTarget(web.id));
    const renewed: string = (await call(t, web.headers, 'GET', A)).body.items[0].ingestKey;
    expect(renewed).not.toBe(key);
    expect((await send(renewed)).status).toBe(202);

    expect((await t.api('DELETE', `${S}/${am.id}`)).status).toBe(204);
    expect((await send(renewed)).status).toBe(401);

    // A target without a key to give: none is minted for Prometheus.
    const ds = (
      await t.api('POST', '/api/v1/datasources', {
        name: 'prom',
        kind: 'prometheus',
        url: 'http://prom:9090',
      })
    ).body;
    const prom = await t.api('POST', S, { name: 'prom-1', kind: 'prometheus', datasource_id: ds.id });
    expect(prom.body.hasIngestKey).toBe(false);
  });
});
