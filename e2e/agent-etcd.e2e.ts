import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdAgentValue, EtcdRegistration } from '../packages/agent/src/registration/etcd.ts';
import type { ReportedService } from '../packages/agent/src/registration/report.ts';
import { freePort, peerAvailable, stopProcess, waitFor } from './peers.ts';

/**
 * The agent's optional etcd registration against a real etcd-server (Debian's etcd 3.4): the key
 * appears with the agent's JSON, follows its services, disappears at once on close, disappears by
 * itself one TTL after the agent dies, and comes back when the lease is lost.
 */
const available = peerAvailable('etcd', 'etcd-server');
const PREFIX = '/opsfleet/agents/';
const TTL_MS = 2000;

interface Etcd {
  url: string;
  process: ChildProcess;
  output(): string;
}

async function startEtcd(dir: string, clientPort: number, peerPort: number): Promise<Etcd> {
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = spawn(
    'etcd',
    [
      '--name',
      'e2e',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `e2e=${peer}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 100) lines.splice(0, lines.length - 100);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const output = () => lines.join('\n');
  await waitFor(
    'etcd healthy',
    async () => {
      if (proc.exitCode !== null) throw new Error(`etcd exited:\n${output()}`);
      const res = await fetch(`${url}/health`);
      return res.ok ? true : undefined;
    },
    30_000,
  );
  return { url, process: proc, output };
}

describe.skipIf(!available)('agent registration in etcd', () => {
  let dir: string;
  let etcd: Etcd;
  let ports: [number, number];
  let client: Etcd3;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'opsfleet-etcd-'));
    ports = [await freePort(), await freePort()];
    etcd = await startEtcd(dir, ...ports);
    client = new Etcd3({ hosts: etcd.url });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    client?.close();
    await stopProcess(etcd?.process);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let services: ReportedService[] = [];
  function register(name: string, extra: Partial<ConstructorParameters<typeof EtcdRegistration>[0]> = {}) {
    const r = new EtcdRegistration({
      endpoints: [etcd.url],
      prefix: PREFIX,
      name,
      ttlMs: TTL_MS,
      hostname: `${name}.example`,
      version: '0.1.0',
      labels: { env: 'e2e' },
      grpcAddress: '10.0.0.7:7070',
      services: () => services,
      refreshMs: 200,
      retry: { initialMs: 100, maxMs: 500 },
      ...extra,
    });
    cleanups.push(() => r.close());
    return r.start();
  }
  const storedValue = async (key: string) => (await client.get(key).json()) as EtcdAgentValue | null;
  const leaseOf = async (key: string) => (await client.get(key).exec()).kvs[0]?.lease;

  it('writes the key with the JSON under a lease of the TTL, follows the services, and removes it on close', async () => {
    services = [
      { name: 'nginx', state: 'running', backend: 'direct', restarts: 0, health: 'passing' },
      { name: 'app', state: 'backoff', backend: 'direct', restarts: 2, health: 'critical' },
    ];
    const r = register('web-1');
    await r.ready();
    expect(r.key).toBe('/opsfleet/agents/web-1');
    expect(await storedValue(r.key)).toEqual({
      name: 'web-1',
      hostname: 'web-1.example',
      version: '0.1.0',
      labels: { env: 'e2e' },
      grpcAddress: '10.0.0.7:7070',
      services: { total: 2, byState: { running: 1, backoff: 1 }, unhealthy: 1 },
      startedAt: expect.any(String),
    });
    const lease = await leaseOf(r.key);
    expect(lease).not.toBe('0');
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: lease!, keys: false });
    expect(Number(ttl.grantedTTL)).toBe(TTL_MS / 1000);

    // Kept alive: still there well past the TTL.
    await new Promise((r) => setTimeout(r, TTL_MS * 2));
    expect(await leaseOf(r.key)).toBe(lease);

    services = [{ ...services[0]! }, { ...services[1]!, state: 'running', health: 'passing' }];
    await waitFor(
      'the new summary',
      async () => ((await storedValue(r.key))?.services.byState.running === 2 ? true : undefined),
      5000,
    );
    expect(await leaseOf(r.key)).toBe(lease);

    await r.close();
    // Revoked: gone at once, not after the TTL.
    expect(await storedValue(r.key)).toBeNull();
  });

  it('leaves the key for one TTL at most when the agent dies without closing', async () => {
    const key = `${PREFIX}crashy`;
    const module = resolve('packages/agent/src/registration/etcd.ts');
    const code = `
      const { EtcdRegistration } = await import(${JSON.stringify(module)});
      const r = new EtcdRegistration({
        endpoints: [${JSON.stringify(etcd.url)}], prefix: ${JSON.stringify(PREFIX)}, name: 'crashy', ttlMs: ${TTL_MS},
        hostname: 'crashy.example', version: '0.1.0', labels: {}, services: () => [],
      }).start();
      await r.ready();
      process.stdout.write('registered\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => stopProcess(child, 100));
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    await waitFor(
      'the agent registered',
      async () => (out.includes('registered') ? true : undefined),
      30_000,
    );
    expect((await storedValue(key))?.hostname).toBe('crashy.example');
    // Dies without a word: no revoke, no more keepalives.
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const died = Date.now();
    expect(await storedValue(key)).not.toBeNull();
    await waitFor(
      'the key to lapse',
      async () => ((await storedValue(key)) === null ? true : undefined),
      TTL_MS + 3000,
    );
    const lapsedAfter = Date.now() - died;
    expect(lapsedAfter).toBeLessThanOrEqual(TTL_MS + 2000);
  });

  it('makes a new lease and writes the key again when the lease is lost', async () => {
    const r = register('web-2');
    await r.ready();
    const first = await leaseOf(r.key);
    // Someone (an operator, a compaction of a stale cluster) revokes the agent's lease.
    await client.leaseClient.leaseRevoke({ ID: first! });
    expect(await storedValue(r.key)).toBeNull();
    await waitFor(
      'the key back under a new lease',
      async () => {
        const lease = await leaseOf(r.key);
        return lease && lease !== first ? lease : undefined;
      },
      10_000,
    );
    expect(r.leasesGranted).toBe(2);
    expect((await storedValue(r.key))?.hostname).toBe('web-2.example');
  });

  it('does not take over the key of an agent on another host with the same name', async () => {
    const a = register('dup');
    await a.ready();
    const b = register('dup', { hostname: 'elsewhere.example' });
    await waitFor('b refused', async () => (b.lastError ? true : undefined), 5000);
    expect(b.state).toBe('retrying');
    expect(b.lastError).toMatch(/registered by an agent on dup.example/);
    expect((await storedValue(a.key))?.hostname).toBe('dup.example');
    // Once the first one leaves, the second one gets the name.
    await a.close();
    await b.ready();
    expect((await storedValue(b.key))?.hostname).toBe('elsewhere.example');
  });

  it('registers again after etcd was down for longer than the TTL', async () => {
    const r = register('web-3');
    await r.ready();
    const before = await leaseOf(r.key);
    await stopProcess(etcd.process);
    await new Promise((res) => setTimeout(res, TTL_MS * 2 + 1000));
    etcd = await startEtcd(dir, ...ports);
    await waitFor(
      'the key under a new lease',
      async () => {
        const lease = await leaseOf(r.key);
        return lease && lease !== before ? lease : undefined;
      },
      30_000,
    );
    // The key is written before the registration records itself registered: poll, not read once.
    await waitFor('registered again', async () => (r.state === 'registered' ? true : undefined), 10_000);
    expect((await storedValue(r.key))?.name).toBe('web-3');
  });
});
