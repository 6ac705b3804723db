import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ConfigError, createLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { protoPath as healthProto } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent.ts';
import { AGENT_PROTO } from '../src/rpc/server.ts';

/**
 * The agent's gRPC API and agent.yaml as an attacker meets them: no token in agent.yaml (the
 * default), a read-only token trying to run commands, oversized arguments, secrets asked for,
 * and hot reloads of an empty, half-written, invalid or alias-bomb file.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures');
// biome-ignore lint/suspicious/noExplicitAny: dynamic gRPC stubs
type Stubs = any;
const v1: Stubs = (grpc.loadPackageDefinition(protoLoader.loadSync(AGENT_PROTO, { defaults: true })) as Stubs)
  .opsfleet.agent.v1;
const insecure = grpc.credentials.createInsecure();

let dir: string;
let agent: Agent;
let admin: string;
let read: string;

const yaml = (extra = '') => `agent:
  dataDir: ${dir}/data
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  remoteWrite: { url: "http://127.0.0.1:9/api/v1/write", headers: { Authorization: "Bearer rw-secret-value" } }
services:
  - name: web
    command: ${process.execPath}
    args: [${join(FIXTURES, 'forever.mjs')}, web]
    env: { DB_PASSWORD: hunter2-db, PORT: "8080" }
${extra}`;

// biome-ignore lint/suspicious/noExplicitAny: dynamic gRPC stubs
function call<T = any>(
  service: string,
  method: string,
  request: object,
  token?: string,
  pkg: Stubs = v1,
): Promise<T> {
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  const client = new pkg[service](agent.grpcAddress, insecure);
  return new Promise((resolve, reject) =>
    client[method](request, metadata, { deadline: Date.now() + 20_000 }, (err: grpc.ServiceError, res: T) => {
      client.close();
      return err ? reject(err) : resolve(res);
    }),
  );
}

const metric = async (name: string) =>
  (await (await fetch(`http://${agent.httpAddress}/metrics`)).text())
    .split('\n')
    .find((l) => l.startsWith(name));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opsfleet-agent-security-'));
  writeFileSync(join(dir, 'agent.yaml'), yaml());
  chmodSync(join(dir, 'agent.yaml'), 0o640);
  agent = await Agent.start({
    configPath: join(dir, 'agent.yaml'),
    log: createLogger({ level: 'silent', name: 'agent' }),
  });
  admin = readFileSync(join(dir, 'data/grpc-admin.token'), 'utf8').trim();
  read = readFileSync(join(dir, 'data/grpc-read.token'), 'utf8').trim();
  await eventually('web running', () => agent.supervisor.get('web')?.state === 'running', {
    timeoutMs: 20_000,
  });
});

afterAll(async () => {
  await agent?.close(false);
});

describe('the gRPC API with no token in agent.yaml', () => {
  it('generates an admin and a read-only token on first start, 0600, and reports them once', () => {
    for (const file of ['grpc-admin.token', 'grpc-read.token'])
      expect(statSync(join(dir, 'data', file)).mode & 0o777).toBe(0o600);
    expect(admin).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(read).not.toBe(admin);
    expect(agent.createdTokens.map((t) => [t.permission, t.token])).toEqual([
      ['admin', admin],
      ['read', read],
    ]);
  });

  it('refuses calls without a token or with a wrong one, even one sharing a prefix', async () => {
    for (const token of [undefined, 'wrong', admin.slice(0, -1), `${admin}x`])
      await expect(call('Package', 'List', {}, token)).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
  });

  it('lets the read-only token read but not apply configuration or run commands', async () => {
    expect((await call('Package', 'List', {}, read)).services).toHaveLength(1);
    await expect(call('Package', 'ApplyConfig', { yaml: yaml(), dryRun: true }, read)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringMatching(/admin token/),
    });
    for (const method of ['Start', 'Stop', 'Restart', 'Pause', 'Resume'])
      await expect(call('Command', method, { service: 'web' }, read)).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
      });
    expect(agent.supervisor.get('web')?.state).toBe('running');
    expect(await call('Package', 'ApplyConfig', { yaml: yaml(), dryRun: true }, admin)).toMatchObject({
      problems: [],
    });
  });

  it('keeps the same tokens on the next start', async () => {
    const other = mkdtempSync(join(tmpdir(), 'opsfleet-agent-restart-'));
    writeFileSync(
      join(other, 'agent.yaml'),
      `agent:\n  dataDir: ${other}/data\n  grpc: { listen: "127.0.0.1:0" }\n  http: { listen: "127.0.0.1:0" }\nservices: []\n`,
    );
    const start = () =>
      Agent.start({
        configPath: join(other, 'agent.yaml'),
        log: createLogger({ level: 'silent', name: 'agent' }),
      });
    const first = await start();
    await first.close();
    const second = await start();
    await second.close();
    expect(first.createdTokens).toHaveLength(2);
    expect(second.createdTokens).toEqual([]);
    expect(readFileSync(join(other, 'data/grpc-admin.token'), 'utf8').trim()).toBe(
      first.createdTokens[0]!.token,
    );
  });
});

describe('listening beyond this host', () => {
  it('refuses to start on a non-loopback address without TLS, naming the field and the fix', async () => {
    const other = mkdtempSync(join(tmpdir(), 'opsfleet-agent-open-'));
    writeFileSync(
      join(other, 'agent.yaml'),
      `agent:\n  dataDir: ${other}/data\n  grpc: { listen: "0.0.0.0:0", token: a-long-admin-token }\n  http: { listen: "127.0.0.1:0" }\nservices: []\n`,
    );
    const err = await Agent.start({
      configPath: join(other, 'agent.yaml'),
      log: createLogger({ level: 'silent', name: 'agent' }),
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      {
        path: 'agent.grpc.listen',
        message: expect.stringMatching(/set agent\.grpc\.tls .* or listen on 127\.0\.0\.1/),
      },
    ]);
  });
});

describe('arguments and names', () => {
  it('answers an oversized argument with INVALID_ARGUMENT at once, not at the deadline', async () => {
    const t0 = Date.now();
    await expect(
      call('Package', 'RecentLogs', { service: 'x'.repeat(2 * 1024 * 1024) }, read),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/service is/),
    });
    await expect(
      call('Package', 'ApplyConfig', { yaml: `# ${'x'.repeat(4 * 1024 * 1024)}\n` }, admin),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/yaml is/),
    });
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('answers NOT_FOUND for a service the agent does not supervise, in every API', async () => {
    for (const [service, method] of [
      ['Metrics', 'Service'],
      ['Health', 'List'],
      ['Health', 'GetStatus'],
      ['Package', 'GetConfig'],
      ['Package', 'RecentLogs'],
    ])
      await expect(call(service!, method!, { service: 'nope' }, read)).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
      });
    const health = (grpc.loadPackageDefinition(protoLoader.loadSync(healthProto)) as Stubs).grpc.health.v1;
    await expect(call('Health', 'Check', { service: 'nope' }, undefined, health)).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });
});

describe('configuration over the API', () => {
  it('masks secrets in GetConfig, in the file and in the running configuration', async () => {
    const { json, yaml: text } = await call('Package', 'GetConfig', {}, read);
    for (const secret of ['hunter2-db', 'rw-secret-value']) {
      expect(json).not.toContain(secret);
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('PORT: "8080"');
  });

  it('refuses the mask sent back as a value', async () => {
    const { yaml: text } = await call('Package', 'GetConfig', {}, read);
    const r = await call('Package', 'ApplyConfig', { yaml: text }, admin);
    expect(r.applied).toBe(false);
    expect(r.problems.map((p: { path: string }) => p.path)).toContain('services[0].env.DB_PASSWORD');
  });

  it('keeps the mode of agent.yaml when ApplyConfig rewrites it', async () => {
    const r = await call('Package', 'ApplyConfig', { yaml: yaml('# applied\n') }, admin);
    expect(r.applied).toBe(true);
    expect(statSync(join(dir, 'agent.yaml')).mode & 0o777).toBe(0o640);
  });
});

describe('hot reload of a bad agent.yaml', () => {
  const BOMB = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
  ].join('\n');

  it.each([
    ['empty', ''],
    ['cut short before its services', yaml().slice(0, yaml().indexOf('services:'))],
    ['cut short mid-line', yaml().slice(0, yaml().indexOf('args:') + 9)],
    ['invalid', yaml().replace('command:', 'stopTimeout: never\n    command:')],
    ['an alias bomb', BOMB],
  ])('%s: keeps every service running, counts the failure and keeps answering', async (_what, text) => {
    const pid = agent.supervisor.get('web')!.pid;
    const before = Number(
      (await metric('opsfleet_agent_config_reload_failures_total{reason="invalid"}'))?.split(' ')[1],
    );
    writeFileSync(join(dir, 'agent.yaml'), text);
    await eventually(
      'the failure counted',
      () => metric('opsfleet_agent_config_reload_failures_total{reason="invalid"}'),
      { ok: (l) => Number(l?.split(' ')[1]) === before + 1, timeoutMs: 20_000 },
    );
    expect(agent.supervisor.get('web')).toMatchObject({ state: 'running', pid });
    expect((await call('Package', 'List', {}, read)).services).toHaveLength(1);
  });

  it('applies the next good file', async () => {
    writeFileSync(
      join(dir, 'agent.yaml'),
      yaml(
        `  - name: extra\n    command: ${process.execPath}\n    args: [${join(FIXTURES, 'forever.mjs')}, extra]\n`,
      ),
    );
    await eventually('extra running', () => agent.supervisor.get('extra')?.state === 'running', {
      timeoutMs: 20_000,
    });
  });
});
