import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, silentLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { createServer, openDatabase, type Server } from '@opsfleet/server';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent.ts';

/**
 * The agent with the real control plane (in process, PGlite): it registers with its agent key,
 * and a crash-looping service becomes an alert in the alert center, as in the demo.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('agent and server', { timeout: 90_000 }, () => {
  it("registers under its own name with its services' health, and reports a service that gave up as an alert with that name as host", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsfleet-agent-server-'));
    const server: Server = await createServer({
      database: await openDatabase({ dataDir: join(dir, 'server') }),
      log: silentLogger(),
      adminPassword: 'admin-password-1',
      housekeepingMs: 0,
    });
    cleanups.push(() => server.close());
    const url = (await server.listen(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
    const { key } = await server.identity.createApiKey('admin', 'host-1', 'agent');
    writeFileSync(
      join(dir, 'agent.yaml'),
      `agent:
  name: db-7
  dataDir: ${dir}/agent
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  server: { url: "${url}", token: "${key}", heartbeat: 1s }
services:
  - name: steady
    command: ${process.execPath}
    args: [${join(FIXTURES, 'forever.mjs')}]
    health:
      - { name: alive, type: process, interval: 200ms }
  - name: crashy
    command: ${process.execPath}
    args: [${join(FIXTURES, 'crash.mjs')}, "100", "1"]
    restart: { initialDelay: 100ms, maxRestarts: 2, window: 1m, fatalCooldown: 10m }
`,
    );
    const agent = await Agent.start({
      configPath: join(dir, 'agent.yaml'),
      log: createLogger({ level: 'silent' }),
    });
    cleanups.push(() => agent.close(false));

    const { accessToken } = await server.identity.login('admin', 'admin-password-1');
    const get = async (path: string) =>
      (
        await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${accessToken}` } })
      ).json() as Promise<Record<string, never>>;
    const agents = await eventually('the agent registered with both services', () => get('/api/v1/agents'), {
      ok: (r) =>
        (r.items as unknown as { serviceCounts: { total: number } }[])?.[0]?.serviceCounts.total === 2,
      timeoutMs: 40_000,
    });
    expect((agents.items as unknown as { name: string; status: string }[])[0]).toMatchObject({
      name: 'db-7',
      keyName: 'host-1',
      status: 'online',
    });
    // The Health column shows what `opsfleet agent health` shows: the service's check state.
    const id = (agents.items as unknown as { id: string }[])[0]!.id;
    const detail = await eventually('the health of steady', () => get(`/api/v1/agents/${id}`), {
      ok: (r) =>
        (r.services as unknown as { name: string; health?: string }[]).some(
          (s) => s.name === 'steady' && s.health === 'passing',
        ),
      timeoutMs: 40_000,
    });
    expect(agent.health('steady').map((c) => c.state)).toEqual(['passing']);
    // A service without checks has no health rather than a made-up one.
    expect(
      (detail.services as unknown as { name: string; health?: string }[]).find((s) => s.name === 'crashy')
        ?.health,
    ).toBeUndefined();

    const alerts = await eventually('the crash-loop alert', () => get('/api/v1/alerts?text=crashy'), {
      ok: (r) => (r.items as unknown as unknown[]).length > 0,
      timeoutMs: 40_000,
    });
    const [alert] = alerts.items as unknown as {
      state: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
    }[];
    expect(alert).toMatchObject({
      state: 'firing',
      labels: { host: 'db-7', service: 'crashy', check: 'supervisor', severity: 'critical' },
    });
    expect(alert!.annotations.summary).toMatch(/crashy\/supervisor is critical: 2 restarts/);
  });
});
