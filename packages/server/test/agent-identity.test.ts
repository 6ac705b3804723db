import { afterEach, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

/**
 * An agent is the API key it signs in with (issue 13). Agent b tries every other handle it
 * has on agent a: a's hostname and labels in its register body, a's name, a forwarded-for
 * header with a's address, heartbeats carrying a's services. Agent a's record must not move.
 */
const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const svc = (name: string) => ({ name, state: 'running', backend: 'direct', restarts: 0 });

describe.each(all)('agent identity on $name', { timeout: 60_000 }, (backend) => {
  it('comes from the API key alone: body, hostname and X-Forwarded-For change nothing', async () => {
    const t: TestServer = await testServer(backend, {
      agents: { offlineAfterMs: 60_000, heartbeatMs: 15_000 },
    });
    cleanups.push(t.close);
    const key = async (name: string) => {
      const res = await t.api('POST', '/api/v1/api-keys', { name, role: 'agent' });
      expect(res.status).toBe(201);
      return res.body as { id: string; key: string };
    };
    const as = async (secret: string, url: string, payload: object, headers: Record<string, string> = {}) => {
      const res = await t.s.app.inject({
        method: 'POST',
        url,
        headers: { 'x-api-key': secret, ...headers },
        payload,
        remoteAddress: '192.0.2.20',
      });
      return { status: res.statusCode, body: res.body ? res.json() : undefined };
    };
    const a = await key('web-1');
    const b = await key('db-1');
    const fromA = { 'x-forwarded-for': '192.0.2.10' };

    const regA = await as(a.key, '/api/v1/agents/register', {
      hostname: 'web-1.example',
      version: '1.0.0',
      labels: { role: 'web' },
      services: [svc('nginx')],
      grpcAddress: '192.0.2.10:7070',
    });
    expect(regA.body).toMatchObject({ id: a.id, name: 'web-1' });
    const before = (await t.api('GET', `/api/v1/agents/${a.id}`)).body;

    // b before registering: a heartbeat in a's clothes is b's, and b is not registered yet.
    const early = await as(
      b.key,
      '/api/v1/agents/heartbeat',
      { services: [svc('nginx'), svc('evil')] },
      fromA,
    );
    expect(early.status).toBe(404);

    const regB = await as(
      b.key,
      '/api/v1/agents/register',
      {
        hostname: 'web-1.example',
        version: '1.0.0',
        labels: { role: 'web', name: 'web-1', id: a.id },
        services: [svc('evil')],
        grpcAddress: '192.0.2.10:7070',
        name: 'web-1',
      },
      { ...fromA, 'x-real-ip': '192.0.2.10', forwarded: 'for=192.0.2.10' },
    );
    // a's name is a's: b cannot be listed as web-1.
    expect(regB.status).toBe(409);
    expect(regB.body.detail).toContain('taken by the agent signing in with the key web-1');
    // Without a name of its own, b is listed under its key's name, whatever else it claims.
    const regB2 = await as(
      b.key,
      '/api/v1/agents/register',
      {
        hostname: 'web-1.example',
        version: '1.0.0',
        labels: { role: 'web', name: 'web-1', id: a.id },
        services: [svc('evil')],
        grpcAddress: '192.0.2.10:7070',
      },
      { ...fromA, 'x-real-ip': '192.0.2.10', forwarded: 'for=192.0.2.10' },
    );
    expect(regB2.status).toBe(200);
    expect(regB2.body).toMatchObject({ id: b.id, name: 'db-1', keyName: 'db-1' });
    const beat = await as(
      b.key,
      '/api/v1/agents/heartbeat',
      { services: [svc('evil'), svc('evil-2')] },
      fromA,
    );
    expect(beat.status).toBeLessThan(300);

    const after = (await t.api('GET', `/api/v1/agents/${a.id}`)).body;
    expect(after.hostname).toBe('web-1.example');
    expect(after.name).toBe('web-1');
    expect(after.services.map((s: { name: string }) => s.name)).toEqual(['nginx']);
    expect(after.lastSeen).toBe(before.lastSeen);
    const bRecord = (await t.api('GET', `/api/v1/agents/${b.id}`)).body;
    expect(bRecord.name).toBe('db-1');
    expect(bRecord.services.map((s: { name: string }) => s.name).sort()).toEqual(['evil', 'evil-2']);
    // The address recorded is the connection's, not the one b claimed to come from.
    expect(bRecord.remoteAddress).toBe('192.0.2.20');
    const list = (await t.api('GET', '/api/v1/agents')).body.items;
    expect(list.map((x: { id: string; name: string }) => [x.name, x.id])).toEqual([
      ['db-1', b.id],
      ['web-1', a.id],
    ]);
  });
});
