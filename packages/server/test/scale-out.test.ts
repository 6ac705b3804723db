import { silentLogger } from '@opsfleet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { createServer, type Server } from '../src/server.ts';
import { backends } from './backends.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(target: {
  url?: string;
  dataDir: string;
}): Promise<{ s: Server; url: string; token: string; key: string }> {
  const s = await createServer({
    database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
    log: silentLogger(),
    adminPassword: 'admin-password-1',
    housekeepingMs: 0,
  });
  cleanups.push(() => s.close());
  const url = await s.listen(0, '127.0.0.1');
  const { accessToken } = await s.identity.login('admin', 'admin-password-1');
  const { key } = await s.identity.createApiKey('admin', `am-${Math.random()}`, 'ingest');
  return { s, url, token: accessToken, key };
}

/** Reads an SSE stream until `count` events of the given type arrived; resolves with their data. */
async function events(url: string, token: string, count: number, timeoutMs = 10_000) {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/v1/alerts/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: ac.signal,
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.getReader();
  const got: Record<string, unknown>[] = [];
  let buffer = '';
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const done = (async () => {
    try {
      while (got.length < count) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += new TextDecoder().decode(value);
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith('event: alert')) got.push(JSON.parse(block.split('\ndata: ')[1]!));
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted by the timeout: return what arrived
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
    return got;
  })();
  // The server subscribes in the same tick as it sends the headers: the stream is live now.
  return { received: done };
}

const firing = (name: string) => [
  {
    labels: { alertname: name, job: 'api' },
    annotations: {},
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: new Date(Date.now() + 600_000).toISOString(),
    generatorURL: 'http://vmalert',
  },
];

describe('live stream', () => {
  it('streams an alert change as it is ingested', async () => {
    const target = await all[0]!.fresh();
    cleanups.push(target.drop);
    const one = await serve(target);
    const stream = await events(one.url, one.token, 1);
    const res = await fetch(`${one.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'x-api-key': one.key, 'content-type': 'application/json' },
      body: JSON.stringify(firing('StreamMe')),
    });
    expect(res.status).toBe(202);
    expect((await stream.received).map((e) => [e.name, e.state])).toEqual([['StreamMe', 'firing']]);
  });
});

describe.runIf(all.some((b) => b.name === 'postgres'))('two servers on one PostgreSQL', () => {
  it('behave as one: an alert posted to one appears on the other, live and by query', async () => {
    const target = await all.find((b) => b.name === 'postgres')!.fresh();
    cleanups.push(target.drop);
    const a = await serve(target);
    const b = await serve(target);
    const onB = await events(b.url, b.token, 1);
    const res = await fetch(`${a.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'x-api-key': a.key, 'content-type': 'application/json' },
      body: JSON.stringify(firing('ReplicaTest')),
    });
    expect(res.status).toBe(202);
    expect((await onB.received).map((e) => e.name)).toEqual(['ReplicaTest']);
    // A token issued by one replica is accepted by the other: they share the signing secret.
    const list = await fetch(`${b.url}/api/v1/alerts`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(((await list.json()) as { items: { name: string }[] }).items.map((i) => i.name)).toEqual([
      'ReplicaTest',
    ]);
  });

  it('ingest the same Alertmanager re-sends concurrently into one alert and one history entry', async () => {
    const target = await all.find((b) => b.name === 'postgres')!.fresh();
    cleanups.push(target.drop);
    const a = await serve(target);
    const b = await serve(target);
    const body = JSON.stringify(firing('Concurrent'));
    const post = (s: { url: string; key: string }) =>
      fetch(`${s.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'x-api-key': s.key, 'content-type': 'application/json' },
        body,
      });
    const answers = await Promise.all([post(a), post(b), post(a), post(b)]);
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    const { items } = await a.s.alerts.list({ limit: 10 });
    expect(items).toHaveLength(1);
    expect((await a.s.alerts.get(items[0]!.fingerprint)).history).toHaveLength(1);
  });

  it('a silence created on one mutes what the other ingests next, though it had read the silences', async () => {
    const target = await all.find((b) => b.name === 'postgres')!.fresh();
    cleanups.push(target.drop);
    const a = await serve(target);
    const b = await serve(target);
    const post = (name: string) =>
      fetch(`${b.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'x-api-key': b.key, 'content-type': 'application/json' },
        body: JSON.stringify(firing(name)),
      });
    expect((await post('BeforeSilence')).status).toBe(202);
    const silenced = await fetch(`${a.url}/api/v1/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: ['alertname="AfterSilence"'],
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        comment: 'maintenance',
      }),
    });
    expect(silenced.status).toBe(201);
    // The other replica hears of it through LISTEN/NOTIFY, not after its copy's 10 s.
    await expect
      .poll(
        async () => {
          await post('AfterSilence');
          return (await b.s.alerts.list({ limit: 10, text: 'AfterSilence' })).items[0]?.state;
        },
        { timeout: 5000 },
      )
      .toBe('silenced');
  });

  it('an API key revoked on one is refused by the other, which had it remembered', async () => {
    const target = await all.find((b) => b.name === 'postgres')!.fresh();
    cleanups.push(target.drop);
    const a = await serve(target);
    const b = await serve(target);
    const viewer = await a.s.identity.createApiKey('admin', 'dashboard', 'viewer');
    const me = async () =>
      (await fetch(`${b.url}/api/v1/auth/me`, { headers: { 'x-api-key': viewer.key } })).status;
    expect(await me()).toBe(200);
    await a.s.identity.revokeApiKey('admin', viewer.id);
    // Told through LISTEN/NOTIFY, well within the 10 s the cache would otherwise trust the key.
    await expect.poll(me, { timeout: 5000 }).toBe(401);
  });
});
