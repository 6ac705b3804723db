import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { createServer, openDatabase, type Server } from '@opsfleet/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReportedService } from '../../src/registration/report.ts';
import { ServerRegistration } from '../../src/registration/server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = netServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The real control plane, in process, on PGlite in `dataDir`, listening on `port`. */
async function startServer(dataDir: string, port: number): Promise<Server> {
  const s = await createServer({
    database: await openDatabase({ dataDir }),
    log: silentLogger(),
    adminPassword: 'admin-password-1',
    housekeepingMs: 0,
    agents: { offlineAfterMs: 1000, heartbeatMs: 250 },
  });
  await s.listen(port, '127.0.0.1');
  return s;
}

// Each test starts the real server on PGlite (once or three times): seconds each on a busy machine.
describe('agent registration with the server', { timeout: 60_000 }, () => {
  let services: ReportedService[] = [
    { name: 'nginx', state: 'running', backend: 'direct', pid: 101, restarts: 0, health: 'passing' },
    {
      name: 'app',
      state: 'backoff',
      backend: 'systemd',
      restarts: 2,
      reason: '2 restarts in 60s',
      lastExit: { code: 1, signal: null, at: new Date().toISOString() },
    },
  ];

  async function setup() {
    const dataDir = mkdtempSync(join(tmpdir(), 'opsfleet-agent-reg-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let server: Server | undefined = await startServer(dataDir, port);
    const key = await server.identity.createApiKey('admin', 'web-1', 'agent');
    const viewer = await server.identity.createApiKey('admin', 'dashboard', 'viewer');
    cleanups.push(async () => {
      await server?.close();
    });
    const link = (token: string) => {
      const r = new ServerRegistration({
        url: `http://127.0.0.1:${port}/`,
        token,
        heartbeatMs: 400,
        hostname: 'web-1.example',
        version: '0.1.0',
        labels: { env: 'test' },
        grpcAddress: '127.0.0.1:7070',
        services: () => services,
        retry: { initialMs: 100, maxMs: 400 },
      });
      cleanups.push(() => r.close());
      return r;
    };
    return {
      dataDir,
      port,
      key,
      viewer,
      link,
      server: () => server!,
      stop: async () => {
        await server?.close();
        server = undefined;
      },
      restart: async () => {
        server = await startServer(dataDir, port);
      },
    };
  }

  it('registers at start and heartbeats with the services, as often as the server expects', async () => {
    const t = await setup();
    const link = t.link(t.key.key).start();
    const registered = new Promise((resolve) => link.once('registered', resolve));
    expect(await registered).toMatchObject({ id: t.key.id, name: 'web-1', heartbeatMs: 250 });
    await eventually('three heartbeats', () => link.status.heartbeats >= 3);
    // The server asked for 250 ms, more often than the configured 400 ms.
    expect(link.status.heartbeatMs).toBe(250);
    expect(link.status).toMatchObject({ state: 'registered', id: t.key.id, registrations: 1, failures: 0 });
    expect(Math.abs(link.status.clockSkewMs ?? 1e9)).toBeLessThan(1000);

    const agent = await t.server().agents.get(t.key.id);
    expect(agent).toMatchObject({
      name: 'web-1',
      hostname: 'web-1.example',
      version: '0.1.0',
      labels: { env: 'test' },
      status: 'online',
      grpcAddress: '127.0.0.1:7070',
      serviceCounts: { total: 2, byState: { running: 1, backoff: 1 }, restarts: 2 },
    });
    // Only the fields the server keeps travel.
    expect(agent.services[1]).toEqual({
      name: 'app',
      state: 'backoff',
      backend: 'systemd',
      restarts: 2,
      reason: '2 restarts in 60s',
    });

    // A change of the services reaches the server with the next heartbeat.
    services = [
      { ...services[0]!, restarts: 1 },
      { ...services[1]!, state: 'running', pid: 202 },
    ];
    await eventually(
      'the new services at the server',
      async () => (await t.server().agents.get(t.key.id)).serviceCounts.byState.running === 2,
    );
  });

  it('retries while the server is down and comes back by itself after it restarts', async () => {
    const t = await setup();
    await t.stop();
    // Started while the server is down: it keeps trying.
    const link = t.link(t.key.key).start();
    await eventually('failed attempts', () => link.status.failures >= 2);
    expect(link.status.state).toBe('retrying');
    expect(link.status.lastError).toMatch(/cannot be reached/);
    await t.restart();
    await eventually('registered', () => link.status.registrations === 1 && link.status.heartbeats >= 1);
    expect(link.status.failures).toBe(0);

    // The server goes away again and comes back on the same database: heartbeats resume.
    await t.stop();
    await eventually('heartbeats failing', () => link.status.failures >= 1);
    const before = link.status.heartbeats;
    await t.restart();
    await eventually('heartbeats again', () => link.status.heartbeats > before + 1);
    expect(link.status.registrations).toBe(1);
    expect((await t.server().agents.get(t.key.id)).status).toBe('online');

    // An admin forgets the agent: its next heartbeat is answered 404 and it registers again.
    await t.server().agents.remove(t.key.id);
    await eventually('registered again', () => link.status.registrations === 2);
    const again = await t.server().agents.get(t.key.id);
    expect(again.status).toBe('online');
    expect(again.history.map((h) => h.event)).toEqual(['registered']);
  });

  it('keeps trying, and says why, when its key is refused', async () => {
    const t = await setup();
    const failures: Error[] = [];
    const link = t.link(t.viewer.key);
    link.on('failure', (err: Error) => failures.push(err));
    link.start();
    await eventually('two refusals', () => failures.length >= 2);
    expect(link.status.state).toBe('retrying');
    expect(link.status.lastError).toMatch(/^403: .*agent:register/);
    expect((await t.server().agents.list({ limit: 10 })).items).toEqual([]);
    await link.close();
    expect(link.status.state).toBe('closed');
  });

  it('stops on close: no more heartbeats, and the server lists it offline after its threshold', async () => {
    const t = await setup();
    const link = t.link(t.key.key).start();
    await eventually('a heartbeat', () => link.status.heartbeats >= 1);
    await link.close();
    const beats = link.status.heartbeats;
    await eventually(
      'offline at the server',
      async () => (await t.server().agents.get(t.key.id)).status === 'offline',
      { timeoutMs: 5000 },
    );
    expect(link.status.heartbeats).toBe(beats);
  });
});
