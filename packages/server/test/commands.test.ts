import { eventually } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const REDELIVER = 700;
type Method = 'GET' | 'POST';

describe.each(all)('command channel on $name', { timeout: 60_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend, { commands: { redeliverAfterMs: REDELIVER } });
    cleanups.push(t.close);
    return t;
  }

  async function key(t: TestServer, name: string, role = 'agent'): Promise<{ id: string; key: string }> {
    const res = await t.api('POST', '/api/v1/api-keys', { name, role });
    expect(res.status).toBe(201);
    return { id: res.body.id, key: res.body.key };
  }

  async function as(t: TestServer, secret: string, method: Method, url: string, payload?: unknown) {
    const res = await t.s.app.inject({
      method,
      url,
      headers: { 'x-api-key': secret },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  }

  /** A registered agent: its key's id and secret. */
  async function agent(t: TestServer, name: string) {
    const k = await key(t, name);
    const reg = await as(t, k.key, 'POST', '/api/v1/agents/register', { hostname: name, version: '0.1.0' });
    expect(reg.status).toBe(200);
    return k;
  }

  const line = (seq: number, text: string, level = 'info') => ({
    seq,
    stage: 'script',
    level,
    line: text,
    time: new Date().toISOString(),
  });

  it('queues a command that wakes the agent’s long poll; output and result are kept with it, for that agent only, and audited', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const db = await agent(t, 'db-1');
    const url = (await t.s.listen(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');

    // The poll waits up to 20 s; a command created meanwhile answers it at once.
    const started = Date.now();
    const poll = fetch(`${url}/api/v1/agent/commands?wait=20s`, { headers: { 'x-api-key': web.key } }).then(
      async (r) => ({ status: r.status, body: await r.json(), ms: Date.now() - started }),
    );
    const created = await t.api('POST', '/api/v1/commands', {
      agent: web.id,
      kind: 'service.restart',
      payload: { service: 'nginx' },
      timeout: '5m',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      agent: { id: web.id, name: 'web-1' },
      kind: 'service.restart',
      payload: { service: 'nginx' },
      state: 'queued',
      attempts: 0,
      createdBy: 'admin',
    });
    const deadline = Date.parse(created.body.deadline) - Date.now();
    expect(deadline).toBeGreaterThan(4 * 60_000);
    expect(deadline).toBeLessThanOrEqual(5 * 60_000);
    const id = created.body.id;

    const got = await poll;
    expect(got.status).toBe(200);
    expect(got.ms).toBeLessThan(15_000);
    expect(got.body.commands).toEqual([
      {
        id,
        kind: 'service.restart',
        payload: { service: 'nginx' },
        deadline: created.body.deadline,
        attempt: 1,
      },
    ]);
    // Another agent's poll never sees it.
    expect((await as(t, db.key, 'GET', '/api/v1/agent/commands')).body.commands).toEqual([]);
    expect((await t.api('GET', `/api/v1/commands/${id}`)).body).toMatchObject({
      state: 'delivered',
      attempts: 1,
    });

    // Output: a batch sent again is stored once.
    const out = `/api/v1/agent/commands/${id}/output`;
    expect(
      (await as(t, web.key, 'POST', out, { lines: [line(1, 'stopping'), line(2, 'starting')] })).body,
    ).toEqual({
      state: 'running',
      stored: 2,
      dropped: 0,
    });
    expect(
      (await as(t, web.key, 'POST', out, { lines: [line(2, 'starting'), line(3, 'up', 'warn')] })).body,
    ).toMatchObject({ state: 'running', stored: 1 });

    // Another agent, a user, or an admin's key cannot act as this agent.
    expect((await as(t, db.key, 'POST', out, { lines: [line(4, 'forged')] })).status).toBe(404);
    expect(
      (await as(t, db.key, 'POST', `/api/v1/agent/commands/${id}/result`, { status: 'failed' })).status,
    ).toBe(404);
    expect((await t.api('GET', '/api/v1/agent/commands')).status).toBe(403);
    const adminKey = await key(t, 'robot', 'admin');
    expect(
      (await as(t, adminKey.key, 'POST', `/api/v1/agent/commands/${id}/result`, { status: 'failed' })).status,
    ).toBe(403);
    // An agent's key reads no commands.
    expect((await as(t, web.key, 'GET', `/api/v1/commands/${id}`)).status).toBe(403);

    const result = `/api/v1/agent/commands/${id}/result`;
    const answer = { status: 'succeeded', result: { pid: 4242 } };
    expect(await as(t, web.key, 'POST', result, answer)).toEqual({
      status: 200,
      body: { state: 'succeeded' },
    });
    // The same answer again (the first answer's reply was lost) is fine; a different one is not.
    expect(await as(t, web.key, 'POST', result, answer)).toEqual({
      status: 200,
      body: { state: 'succeeded' },
    });
    const other = await as(t, web.key, 'POST', result, { status: 'failed', error: 'no' });
    expect(other.status).toBe(409);
    expect(other.body.detail).toMatch(/succeeded/);

    const done = (await t.api('GET', `/api/v1/commands/${id}`)).body;
    expect(done).toMatchObject({ state: 'succeeded', result: { pid: 4242 }, error: null, outputLines: 3 });
    expect(done.finishedAt).not.toBeNull();
    const page1 = await t.api('GET', `/api/v1/commands/${id}/output?limit=2`);
    expect(page1.body.items.map((l: { line: string }) => l.line)).toEqual(['stopping', 'starting']);
    expect(page1.body.nextAfter).toBe(2);
    const page2 = await t.api('GET', `/api/v1/commands/${id}/output?after=2`);
    expect(page2.body).toMatchObject({
      items: [{ seq: 3, stage: 'script', level: 'warn', line: 'up' }],
      nextAfter: null,
    });
    // A finished command is not handed out again.
    expect((await as(t, web.key, 'GET', '/api/v1/agent/commands')).body.commands).toEqual([]);

    const audit = (await t.api('GET', `/api/v1/audit?resource=command:${id}`)).body;
    expect(audit.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
      ['command.result', 'apikey:web-1'],
      ['command.create', 'admin'],
    ]);
    expect(audit[0].after).toMatchObject({ state: 'succeeded', attempts: 1 });
  });

  it('hands a command without a result out again after the redelivery interval, counting attempts', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const { id } = (await t.api('POST', '/api/v1/commands', { agent: web.id, kind: 'ping' })).body;
    const first = await as(t, web.key, 'GET', '/api/v1/agent/commands');
    expect(first.body.commands).toMatchObject([{ id, kind: 'ping', payload: {}, attempt: 1 }]);
    const at = Date.now();
    // Not again at once.
    expect((await as(t, web.key, 'GET', '/api/v1/agent/commands')).body.commands).toEqual([]);
    // A long poll waiting meanwhile answers when the command is due again, not when its wait is over.
    const again = (await as(t, web.key, 'GET', '/api/v1/agent/commands?wait=20s')).body.commands;
    expect(Date.now() - at).toBeLessThan(10_000);
    expect(Date.now() - at).toBeGreaterThanOrEqual(REDELIVER - 100);
    expect(again).toMatchObject([{ id, attempt: 2 }]);
    // Running, it is still handed out again until it has a result.
    await as(t, web.key, 'POST', `/api/v1/agent/commands/${id}/output`, { lines: [line(1, 'busy')] });
    const third = await eventually(
      'the running command handed out again',
      async () => (await as(t, web.key, 'GET', '/api/v1/agent/commands')).body.commands,
      { ok: (c) => c.length > 0 },
    );
    expect(third).toMatchObject([{ id, attempt: 3 }]);
    await as(t, web.key, 'POST', `/api/v1/agent/commands/${id}/result`, {
      status: 'failed',
      error: 'exit 3',
    });
    expect((await t.api('GET', `/api/v1/commands/${id}`)).body).toMatchObject({
      state: 'failed',
      attempts: 3,
      error: 'exit 3',
    });
  });

  it('cancels an open command and expires one past its deadline; neither is delivered or answered after', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const c1 = (await t.api('POST', '/api/v1/commands', { agent: web.id, kind: 'ping' })).body;
    await as(t, web.key, 'GET', '/api/v1/agent/commands');
    const cancelled = await t.api('POST', `/api/v1/commands/${c1.id}/cancel`);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', error: 'cancelled by admin' });
    expect((await t.api('POST', `/api/v1/commands/${c1.id}/cancel`)).status).toBe(409);
    // The agent learns it at its next output batch, whose lines are not kept.
    expect(
      (await as(t, web.key, 'POST', `/api/v1/agent/commands/${c1.id}/output`, { lines: [line(1, 'late')] }))
        .body,
    ).toEqual({ state: 'cancelled', stored: 0, dropped: 1 });
    expect(
      (await as(t, web.key, 'POST', `/api/v1/agent/commands/${c1.id}/result`, { status: 'succeeded' }))
        .status,
    ).toBe(409);

    const c2 = (await t.api('POST', '/api/v1/commands', { agent: web.id, kind: 'ping', timeout: '1s' })).body;
    await eventually(
      'the command past its deadline reads as expired',
      async () => (await t.api('GET', `/api/v1/commands/${c2.id}`)).body.state,
      { ok: (s) => s === 'expired' },
    );
    expect((await as(t, web.key, 'GET', '/api/v1/agent/commands')).body.commands).toEqual([]);
    expect(
      (await as(t, web.key, 'POST', `/api/v1/agent/commands/${c2.id}/result`, { status: 'succeeded' }))
        .status,
    ).toBe(409);
    expect(
      (await t.api('GET', `/api/v1/commands?state=expired`)).body.items.map((c: { id: string }) => c.id),
    ).toEqual([c2.id]);
    // The housekeeping pass writes the expiry down once, in the audit log too.
    expect(await t.s.commands.housekeep()).toBe(1);
    expect(await t.s.commands.housekeep()).toBe(0);
    const audit = (await t.api('GET', `/api/v1/audit?action=command.expire`)).body;
    expect(audit).toMatchObject([
      { actor: 'system', resource: `command:${c2.id}`, after: { kind: 'ping', attempts: 0 } },
    ]);
    expect((await t.api('GET', `/api/v1/audit?action=command.cancel`)).body).toMatchObject([
      { actor: 'admin', before: { state: 'delivered' }, after: { state: 'cancelled' } },
    ]);
  });

  it('pages and filters the list, and refuses bad input naming the field', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const db = await agent(t, 'db-1');
    const ids: string[] = [];
    for (const [a, kind] of [
      [web, 'ping'],
      [db, 'ping'],
      [web, 'service.status'],
    ] as const)
      ids.push((await t.api('POST', '/api/v1/commands', { agent: a.id, kind })).body.id);
    const p1 = await t.api('GET', '/api/v1/commands?limit=2');
    expect(p1.body.items.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const p2 = await t.api('GET', `/api/v1/commands?limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    expect((await t.api('GET', `/api/v1/commands?agent=${web.id}&kind=ping`)).body.items).toMatchObject([
      { id: ids[0] },
    ]);
    expect((await t.api('GET', '/api/v1/commands?cursor=forged')).status).toBe(400);

    const viewer = await key(t, 'eyes', 'viewer');
    expect((await as(t, viewer.key, 'GET', '/api/v1/commands')).status).toBe(200);
    expect(
      (await as(t, viewer.key, 'POST', '/api/v1/commands', { agent: web.id, kind: 'ping' })).status,
    ).toBe(403);
    expect((await as(t, viewer.key, 'POST', `/api/v1/commands/${ids[0]}/cancel`)).status).toBe(403);
    const operator = await key(t, 'ops', 'operator');
    expect(
      (await as(t, operator.key, 'POST', '/api/v1/commands', { agent: web.id, kind: 'ping' })).status,
    ).toBe(201);

    const bad = async (body: unknown) => (await t.api('POST', '/api/v1/commands', body)).body;
    expect((await bad({ agent: web.id, kind: 'Rm -rf' })).errors).toMatchObject([{ path: 'body.kind' }]);
    expect((await bad({ agent: web.id, kind: 'ping', timeout: '0s' })).errors).toMatchObject([
      { path: 'body.timeout', message: expect.stringMatching(/1s to/) },
    ]);
    expect(
      (await bad({ agent: web.id, kind: 'ping', payload: { big: 'x'.repeat(70_000) } })).errors,
    ).toMatchObject([{ path: 'body.payload' }]);
    const unknown = await t.api('POST', '/api/v1/commands', { agent: crypto.randomUUID(), kind: 'ping' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toMatch(/registered/);
    const wait = await as(t, web.key, 'GET', '/api/v1/agent/commands?wait=2m');
    expect(wait.status).toBe(400);
    expect(wait.body.errors).toMatchObject([{ path: 'querystring.wait' }]);
  });
});
