import { silentLogger } from '@opsfleet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { createServer } from '../src/server.ts';
import { backends } from './backends.ts';

/**
 * Two server replicas on one PostgreSQL: an agent's long poll held by one is woken by a command
 * created on the other (NOTIFY), and what the agent answers through one is what the other shows.
 */
const postgres = (await backends()).find((b) => b.name === 'postgres');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function replica(target: { url?: string; dataDir: string }) {
  const s = await createServer({
    database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
    log: silentLogger(),
    adminPassword: 'admin-password-1',
    housekeepingMs: 0,
  });
  cleanups.push(() => s.close());
  const url = (await s.listen(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
  const { accessToken } = await s.identity.login('admin', 'admin-password-1');
  const call = async (method: string, path: string, body: unknown, auth: Record<string, string>) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  };
  return {
    s,
    admin: (method: string, path: string, body?: unknown) =>
      call(method, path, body, { authorization: `Bearer ${accessToken}` }),
    as: (key: string, method: string, path: string, body?: unknown) =>
      call(method, path, body, { 'x-api-key': key }),
  };
}

describe('command channel across replicas', { timeout: 60_000 }, () => {
  it.skipIf(!postgres)(
    'a command created on one replica reaches an agent polling the other at once',
    async () => {
      const target = await postgres!.fresh();
      cleanups.push(target.drop);
      const a = await replica(target);
      const b = await replica(target);
      const { id: agentId, key } = await a.s.identity.createApiKey('admin', 'web-1', 'agent');
      expect(
        (await a.as(key, 'POST', '/api/v1/agents/register', { hostname: 'web-1', version: '1' })).status,
      ).toBe(200);

      const started = Date.now();
      const poll = b.as(key, 'GET', '/api/v1/agent/commands?wait=30s');
      // Let the poll reach replica B and start waiting (it answers either way; this only makes
      // the test exercise the wake-up rather than the first read).
      await new Promise((r) => setTimeout(r, 300));
      const created = await a.admin('POST', '/api/v1/commands', { agent: agentId, kind: 'ping' });
      expect(created.status).toBe(201);
      const got = await poll;
      // Without the wake-up the poll would answer when its 30 s are over.
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(got.body.commands).toMatchObject([{ id: created.body.id, kind: 'ping', attempt: 1 }]);

      const id = created.body.id;
      await b.as(key, 'POST', `/api/v1/agent/commands/${id}/output`, {
        lines: [{ seq: 1, stage: 'ping', level: 'info', line: 'pong', time: new Date().toISOString() }],
      });
      expect(
        (await b.as(key, 'POST', `/api/v1/agent/commands/${id}/result`, { status: 'succeeded' })).body,
      ).toEqual({
        state: 'succeeded',
      });
      expect((await a.admin('GET', `/api/v1/commands/${id}`)).body).toMatchObject({
        state: 'succeeded',
        outputLines: 1,
      });
      expect((await a.admin('GET', `/api/v1/commands/${id}/output`)).body.items).toMatchObject([
        { line: 'pong' },
      ]);
    },
  );
});
