import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent.ts';
import { AGENT_PROTO } from '../src/rpc/server.ts';

/**
 * The whole agent from an agent.yaml: real services, a real HTTP health check, the gRPC API
 * driven by a gRPC client (services found through reflection), /metrics, and a hot reload.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures');
const TOKEN = 'agent-test-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let agent: Agent;
let dir: string;
let healthy = true;
let backend: Server;
let backendPort = 0;
// biome-ignore lint/suspicious/noExplicitAny: dynamic gRPC stubs
type Stubs = any;
let v1: Stubs;
let credentials: grpc.ChannelCredentials;
const metadata = new grpc.Metadata();
metadata.set('authorization', `Bearer ${TOKEN}`);

function yaml(extra = ''): string {
  return `agent:
  dataDir: ${dir}/data
  grpc: { listen: "127.0.0.1:0", token: ${TOKEN} }
  http: { listen: "127.0.0.1:0" }
  metricsInterval: 500ms
services:
  - name: web
    command: ${process.execPath}
    args: [${join(FIXTURES, 'forever.mjs')}, web]
    restart: { initialDelay: 100ms }
    health:
      - name: http
        type: http
        http: { url: "http://127.0.0.1:${backendPort}/" }
        interval: 300ms
        timeout: 500ms
        failuresBeforeCritical: 2
  - name: worker
    command: ${process.execPath}
    args: [${join(FIXTURES, 'forever.mjs')}, worker]
    dependsOn: [web]
${extra}`;
}

// biome-ignore lint/suspicious/noExplicitAny: dynamic gRPC stubs
function call<T = any>(service: string, method: string, request: object = {}): Promise<T> {
  const client = new v1[service](agent.grpcAddress, credentials);
  return new Promise((resolve, reject) =>
    client[method](request, metadata, (err: grpc.ServiceError | null, res: T) => {
      client.close();
      return err ? reject(err) : resolve(res);
    }),
  );
}

beforeAll(async () => {
  backend = createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end(healthy ? 'ok' : 'down'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'opsfleet-agent-'));
  writeFileSync(join(dir, 'agent.yaml'), yaml());
  agent = await Agent.start({
    configPath: join(dir, 'agent.yaml'),
    log: createLogger({ level: 'silent', name: 'agent' }),
  });
  v1 = (grpc.loadPackageDefinition(protoLoader.loadSync(AGENT_PROTO, { defaults: true })) as Stubs).opsfleet
    .agent.v1;
  credentials = grpc.credentials.createInsecure();
});

afterAll(async () => {
  await agent?.close(false);
  await new Promise<void>((r) => backend.close(() => r()));
});

describe('the agent', () => {
  it('lists its gRPC services through reflection, the standard health service among them', async () => {
    const def = protoLoader.loadSync(
      join(
        import.meta.dirname,
        '../../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto',
      ),
    );
    const { grpc: g } = grpc.loadPackageDefinition(def) as Stubs;
    const client = new g.reflection.v1.ServerReflection(agent.grpcAddress, credentials);
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = client.ServerReflectionInfo();
      stream.on('data', (r: { listServicesResponse?: { service: { name: string }[] } }) => {
        resolve((r.listServicesResponse?.service ?? []).map((s) => s.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ listServices: '' });
    });
    client.close();
    expect(names.sort()).toEqual([
      'grpc.health.v1.Health',
      'opsfleet.agent.v1.Command',
      'opsfleet.agent.v1.Health',
      'opsfleet.agent.v1.Metrics',
      'opsfleet.agent.v1.Package',
    ]);
  });

  it('refuses a call without the token', async () => {
    const client = new v1.Package(agent.grpcAddress, credentials);
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.List({}, (e: grpc.ServiceError) => resolve(e)),
    );
    client.close();
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('runs the services in dependency order and lists them with uptime', async () => {
    const list = await eventually('both services running', () => call('Package', 'List'), {
      ok: (r) => r.services.every((s: { state: string }) => s.state === 'running'),
      timeoutMs: 20_000,
    });
    expect(list.services.map((s: { name: string }) => s.name).sort()).toEqual(['web', 'worker']);
    await sleep(300);
    const again = await call('Package', 'List');
    expect(again.services.find((s: { name: string }) => s.name === 'web').uptimeSeconds).toBeGreaterThan(0);
  });

  it('restarts, pauses and resumes through the Command service', async () => {
    const before = agent.supervisor.get('worker')!.pid;
    const restarted = await call('Command', 'Restart', { service: 'worker' });
    expect(restarted.state).toBe('running');
    expect(restarted.pid).not.toBe(before);
    expect((await call('Command', 'Pause', { service: 'worker' })).state).toBe('paused');
    expect((await call('Command', 'Resume', { service: 'worker' })).state).toBe('running');
    await expect(call('Command', 'Stop', { service: 'nope' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('reads the services logs', async () => {
    const logs = await eventually(
      'the web log',
      () => call('Package', 'RecentLogs', { service: 'web', tail: 10 }),
      { ok: (r) => r.lines.length > 0, timeoutMs: 20_000 },
    );
    expect(logs.lines.at(-1).text).toMatch(/forever fixture \d+ web/);
    await expect(call('Package', 'RecentLogs', { service: 'web', level: 'loud' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/level must be one of/),
    });
    await expect(call('Health', 'History', { service: 'web', check: 'nope' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('restarts a service whose health check turns critical, and reports it healthy again', async () => {
    await eventually('the check passing', () => call('Health', 'List', { service: 'web' }), {
      ok: (r) => r.checks[0]?.state === 'passing',
      timeoutMs: 20_000,
    });
    const pid = agent.supervisor.get('web')!.pid;
    healthy = false;
    await eventually('a restart', () => agent.supervisor.get('web')!, {
      ok: (s) => s.pid !== undefined && s.pid !== pid,
      timeoutMs: 20_000,
    });
    healthy = true;
    await eventually('passing again', () => call('Health', 'List', { service: 'web' }), {
      ok: (r) => r.checks[0]?.state === 'passing',
      timeoutMs: 20_000,
    });
    const history = await call('Health', 'History', { service: 'web', check: 'http' });
    expect(history.results.some((r: { status: string }) => r.status === 'critical')).toBe(true);
    expect(agent.supervisor.get('web')!.restarts).toBeGreaterThanOrEqual(1);
  });

  it('serves system and service metrics over gRPC and /metrics', async () => {
    const system = await eventually('a CPU figure', () => call('Metrics', 'System'), {
      ok: (s) => s.memoryTotalBytes > 0,
      timeoutMs: 20_000,
    });
    expect(system.interfaces.map((i: { name: string }) => i.name)).toContain('lo');
    const web = await eventually('web metrics', () => call('Metrics', 'Service', { service: 'web' }), {
      ok: (s) => s.rssBytes > 0,
      timeoutMs: 20_000,
    });
    expect(web.processes).toBeGreaterThanOrEqual(1);
    // The worker's series appears with the next sample after it runs: poll, not read once.
    await eventually(
      'worker up in /metrics',
      async () => (await fetch(`http://${agent.httpAddress}/metrics`)).text(),
      {
        ok: (text) => /opsfleet_agent_service_up\{service="worker"\} 1/.test(text),
        timeoutMs: 20_000,
      },
    );
  });

  it('applies a new configuration by API: only what changed restarts, and a bad one is refused whole', async () => {
    const webPid = agent.supervisor.get('web')!.pid;
    const bad = await call('Package', 'ApplyConfig', {
      yaml: `${yaml()}  - { name: extra, command: node, stopTimeout: never }\n`,
    });
    expect(bad.applied).toBe(false);
    expect(bad.problems[0].path).toBe('services[2].stopTimeout');
    const good = await call('Package', 'ApplyConfig', {
      yaml: `${yaml()}  - name: extra\n    command: ${process.execPath}\n    args: [${join(FIXTURES, 'forever.mjs')}, extra]\n`,
    });
    expect(good).toMatchObject({ applied: true, started: ['extra'] });
    await eventually('extra running', () => agent.supervisor.get('extra')?.state, {
      ok: (s) => s === 'running',
      timeoutMs: 20_000,
    });
    expect(agent.supervisor.get('web')!.pid).toBe(webPid);
  });
});
