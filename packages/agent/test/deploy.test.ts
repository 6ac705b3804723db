import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, silentLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { createServer, openDatabase, type Server } from '@opsfleet/server';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent.ts';

/**
 * `deploy.run` end to end: the real server hands the command to the real agent, which downloads
 * an artifact from a local HTTP server, checks it and runs docs/templates/deploy-script.sh (or a
 * script of the test). What a user sees: `current` and the releases on disk, the detached
 * process in /proc, the command's state, error and output at the server.
 */
const TEMPLATE = readFileSync(join(import.meta.dirname, '../../../docs/templates/deploy-script.sh'), 'utf8');
const CLI = join(import.meta.dirname, '../../cli/bin/opsfleet.mjs');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field
type Answer = any;

/** A process that is gone, or a zombie nobody reaped yet, runs nothing. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function killLater(pid: number): void {
  cleanups.push(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-deploy-'));
  const server: Server = await createServer({
    database: await openDatabase({ dataDir: join(dir, 'server') }),
    log: silentLogger(),
    adminPassword: 'admin-password-1',
    housekeepingMs: 0,
  });
  cleanups.push(() => server.close());
  const url = (await server.listen(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
  const { accessToken } = await server.identity.login('admin', 'admin-password-1');
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return res.json();
  };

  // Artifacts: <version>.tar.gz with an executable bin/start that runs until killed.
  const files = new Map<string, Buffer>();
  const http = createHttpServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => http.close(() => r())));
  const artifact = (version: string) => {
    const src = join(dir, 'src', version);
    mkdirSync(join(src, 'bin'), { recursive: true });
    writeFileSync(join(src, 'bin', 'start'), `#!/bin/sh\necho "app ${version} starts"\nexec sleep 3600\n`, {
      mode: 0o755,
    });
    writeFileSync(join(src, 'VERSION'), version);
    const file = join(dir, `${version}.tar.gz`);
    execFileSync('tar', ['-czf', file, '-C', src, '.']);
    const body = readFileSync(file);
    files.set(`/${version}.tar.gz`, body);
    return {
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/${version}.tar.gz`,
      sha256: createHash('sha256').update(body).digest('hex'),
    };
  };

  const agentConfig = (name: string, key: string, dataDir: string) => {
    const config = join(dir, `${name}.yaml`);
    writeFileSync(
      config,
      `agent:
  name: ${name}
  dataDir: ${dataDir}
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  server: { url: "${url}", token: "${key}", heartbeat: 1s }
services: []
`,
    );
    return config;
  };
  const registered = (name: string) =>
    eventually(`${name} registered`, () => api('GET', '/api/v1/agents'), {
      ok: (r) => r.items?.some((a: { name: string }) => a.name === name),
      timeoutMs: 60_000,
    });

  const newKey = (name: string) => server.identity.createApiKey('admin', `${name}-key`, 'agent');
  async function startAgent(name: string) {
    const key = await newKey(name);
    const dataDir = join(dir, name);
    const agent = await Agent.start({
      configPath: agentConfig(name, key.key, dataDir),
      log: createLogger({ level: 'silent' }),
      version: '9.9.9',
    });
    cleanups.push(() => agent.close(false));
    await registered(name);
    return { id: key.id, key: key.key, dataDir };
  }

  const send = (agent: string, payload: Record<string, unknown>, timeout = '2m') =>
    api('POST', '/api/v1/commands', { agent, kind: 'deploy.run', payload, timeout });
  const finished = (id: string) =>
    eventually(`command ${id} finished`, () => api('GET', `/api/v1/commands/${id}`), {
      ok: (c) => ['succeeded', 'failed', 'expired', 'cancelled'].includes(c.state),
      timeoutMs: 90_000,
    });
  const output = async (id: string): Promise<{ line: string; stage: string; level: string }[]> =>
    (await api('GET', `/api/v1/commands/${id}/output`)).items;

  return { dir, api, artifact, agentConfig, registered, startAgent, newKey, send, finished, output };
}

const base = { project: 'shop', env: 'prod', target: 'web-1' };

describe('deploy.run', { timeout: 360_000 }, () => {
  it('installs v1, updates to v2 and rolls back to v1 with the template script', async () => {
    const t = await setup();
    const agent = await t.startAgent('web-1');
    const app = join(agent.dataDir, 'deploys', 'shop', 'prod');
    const pidOf = () => Number(readFileSync(join(app, 'run.pid'), 'utf8'));

    const v1 = await t.finished(
      (
        await t.send(agent.id, {
          ...base,
          version: '1.0.0',
          previousVersion: null,
          operation: 'install',
          artifact: t.artifact('1.0.0'),
          script: TEMPLATE,
        })
      ).id,
    );
    expect(v1).toMatchObject({ state: 'succeeded', result: { version: '1.0.0', exitCode: 0 } });
    expect(readlinkSync(join(app, 'current'))).toBe('releases/1.0.0');
    expect(readFileSync(join(app, 'current', 'VERSION'), 'utf8')).toBe('1.0.0');
    const pid1 = pidOf();
    killLater(pid1);
    expect(running(pid1)).toBe(true);
    const lines1 = await t.output(v1.id);
    expect(lines1).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          stage: 'download',
          line: expect.stringMatching(/SHA-256 [0-9a-f]{64} checked/),
        }),
        expect.objectContaining({
          stage: 'install',
          level: 'info',
          line: 'installed 1.0.0 into releases/1.0.0',
        }),
        expect.objectContaining({ stage: 'install', line: `started pid ${pid1}` }),
      ]),
    );

    const v2 = await t.finished(
      (
        await t.send(agent.id, {
          ...base,
          version: '2.0.0',
          previousVersion: '1.0.0',
          operation: 'update',
          artifact: t.artifact('2.0.0'),
          script: TEMPLATE,
        })
      ).id,
    );
    expect(v2).toMatchObject({ state: 'succeeded', result: { version: '2.0.0', operation: 'update' } });
    expect(readlinkSync(join(app, 'current'))).toBe('releases/2.0.0');
    const pid2 = pidOf();
    killLater(pid2);
    expect(running(pid2)).toBe(true);
    await eventually('the v1 process stopped', () => running(pid1), { ok: (r) => !r });
    expect(readdirSync(join(app, 'releases')).sort()).toEqual(['1.0.0', '2.0.0']);

    // A rollback to a kept release: no artifact needed, v1 is still on disk.
    const back = await t.finished(
      (
        await t.send(agent.id, {
          ...base,
          version: '1.0.0',
          previousVersion: '2.0.0',
          operation: 'rollback',
          script: TEMPLATE,
        })
      ).id,
    );
    expect(back).toMatchObject({ state: 'succeeded', result: { version: '1.0.0', operation: 'rollback' } });
    expect(readlinkSync(join(app, 'current'))).toBe('releases/1.0.0');
    expect(readFileSync(join(app, 'current', 'VERSION'), 'utf8')).toBe('1.0.0');
    expect(readdirSync(join(app, 'releases')).sort()).toEqual(['1.0.0', '2.0.0']);
    const pid3 = pidOf();
    killLater(pid3);
    expect(running(pid3)).toBe(true);
    await eventually('the v2 process stopped', () => running(pid2), { ok: (r) => !r });
    expect((await t.output(back.id)).map((l) => l.line)).toContain('release 1.0.0 already installed');

    const gone = await t.finished(
      (await t.send(agent.id, { ...base, version: '1.0.0', operation: 'uninstall', script: TEMPLATE })).id,
    );
    expect(gone.state).toBe('succeeded');
    expect(existsSync(join(app, 'current'))).toBe(false);
    expect(existsSync(join(app, 'releases'))).toBe(false);
    await eventually('the v1 process stopped', () => running(pid3), { ok: (r) => !r });
  });

  it('refuses an artifact whose SHA-256 differs without running anything; a failing script fails with its output', async () => {
    const t = await setup();
    const agent = await t.startAgent('web-1');
    const marker = join(t.dir, 'ran');
    const good = t.artifact('1.0.0');
    const bad = await t.finished(
      (
        await t.send(agent.id, {
          ...base,
          version: '1.0.0',
          operation: 'install',
          artifact: { url: good.url, sha256: 'ab'.repeat(32) },
          script: `touch ${marker}`,
        })
      ).id,
    );
    expect(bad).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(
        new RegExp(
          `artifact\\.sha256: the download's SHA-256 is ${good.sha256}, the version says ${'ab'.repeat(32)}; nothing was run`,
        ),
      ),
    });
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(join(agent.dataDir, 'deploys', 'shop', 'prod', 'artifacts'))).toEqual([]);

    const failing = await t.finished(
      (
        await t.send(agent.id, {
          ...base,
          version: '1.0.1',
          previousVersion: '1.0.0',
          operation: 'update',
          artifact: good,
          script: [
            'echo "$OPSFLEET_PROJECT $OPSFLEET_ENV $OPSFLEET_VERSION from $OPSFLEET_PREVIOUS_VERSION on $OPSFLEET_TARGET: $OPSFLEET_OPERATION"',
            'echo "release dir $OPSFLEET_RELEASE_DIR"',
            'test -f "$OPSFLEET_ARTIFACT" && echo "artifact $(basename "$OPSFLEET_ARTIFACT")"',
            'echo "database migration failed" >&2',
            'exit 3',
          ].join('\n'),
        })
      ).id,
    );
    expect(failing).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/shop 1\.0\.1 \(prod, update\): the script exited 3 after \d+ ms/),
    });
    const out = await t.output(failing.id);
    expect(out).toContainEqual(
      expect.objectContaining({
        line: 'shop prod 1.0.1 from 1.0.0 on web-1: update',
        stage: 'update',
        level: 'info',
      }),
    );
    const lines = out.map((l) => `${l.level} ${l.line}`);
    expect(lines).toContain(
      `info release dir ${join(agent.dataDir, 'deploys', 'shop', 'prod', 'releases', '1.0.1')}`,
    );
    expect(lines).toContain(`info artifact ${good.sha256}`);
    expect(lines).toContain('warn database migration failed');

    const refused = await t.finished(
      (await t.send(agent.id, { ...base, version: '../etc', operation: 'install', script: 'true' })).id,
    );
    expect(refused).toMatchObject({ state: 'failed', error: expect.stringMatching(/^payload\.version: /) });
  });

  it('a timeout and a cancel kill the whole process group of the script', async () => {
    const t = await setup();
    const agent = await t.startAgent('web-1');
    // The script, a child in the background and a grandchild that ignores SIGTERM.
    const tree = (file: string) =>
      [
        `sleep 3600 & echo $! >> ${file}`,
        `sh -c 'trap "" TERM; sleep 3600 & echo $! >> ${file}; wait' &`,
        `echo $$ >> ${file}`,
        'echo started',
        'wait',
      ].join('\n');
    const pidsIn = async (file: string) =>
      eventually(
        `three pids in ${file}`,
        () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map(Number) : []),
        {
          ok: (p) => p.length === 3,
        },
      );

    const slowFile = join(t.dir, 'slow.pids');
    const slow = await t.send(agent.id, {
      ...base,
      version: '1',
      operation: 'install',
      script: tree(slowFile),
      timeout: '3s',
    });
    const slowPids = await pidsIn(slowFile);
    for (const p of slowPids) killLater(p);
    expect(slowPids.every(running)).toBe(true);
    const timedOut = await t.finished(slow.id);
    expect(timedOut).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(
        /stopped: the script ran longer than its timeout of 3000 ms; its process group was killed/,
      ),
    });
    expect(slowPids.filter(running)).toEqual([]);

    const cancelFile = join(t.dir, 'cancel.pids');
    const cancelled = await t.send(agent.id, {
      ...base,
      version: '2',
      operation: 'install',
      script: tree(cancelFile),
    });
    const cancelPids = await pidsIn(cancelFile);
    for (const p of cancelPids) killLater(p);
    await eventually('the script said it started', () => t.output(cancelled.id), {
      ok: (o) => o.some((l) => l.line === 'started'),
      timeoutMs: 30_000,
    });
    expect((await t.api('POST', `/api/v1/commands/${cancelled.id}/cancel`)).state).toBe('cancelled');
    await eventually('every process of the cancelled script is gone', () => cancelPids.filter(running), {
      ok: (left) => left.length === 0,
      timeoutMs: 30_000,
    });
  });

  it('a setsid-detached process survives killing the agent process group and the agent restart', async () => {
    const t = await setup();
    const key = await t.newKey('web-2');
    const dataDir = join(t.dir, 'web-2');
    const config = t.agentConfig('web-2', key.key, dataDir);
    const runAgent = () => {
      const child = spawn(process.execPath, [CLI, 'agent', 'run', config], {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, LOG_LEVEL: 'warn' },
      });
      killLater(child.pid!);
      return child;
    };
    const first = runAgent();
    await t.registered('web-2');
    const web2 = { id: key.id };

    const done = await t.finished(
      (
        await t.api('POST', '/api/v1/commands', {
          agent: web2.id,
          kind: 'deploy.run',
          timeout: '2m',
          payload: {
            ...base,
            version: '1.0.0',
            operation: 'install',
            artifact: t.artifact('1.0.0'),
            script: `DETACH_METHOD=setsid\n${TEMPLATE}`,
          },
        })
      ).id,
    );
    expect(done).toMatchObject({ state: 'succeeded' });
    const app = join(dataDir, 'deploys', 'shop', 'prod');
    const pid = Number(readFileSync(join(app, 'run.pid'), 'utf8'));
    killLater(pid);
    expect(running(pid)).toBe(true);
    // Its own session, away from the agent's process group.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [, , pgid, session] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    expect([pgid, session]).toEqual([pid, pid]);
    expect(readFileSync(join(app, 'logs', '1.0.0.log'), 'utf8')).toContain('app 1.0.0 starts');

    process.kill(-first.pid!, 'SIGKILL');
    await eventually('the agent is gone', () => running(first.pid!), { ok: (r) => !r });
    expect(running(pid)).toBe(true);

    const second = runAgent();
    const ping = await t.api('POST', '/api/v1/commands', { agent: web2.id, kind: 'ping' });
    const pong = await t.finished(ping.id);
    expect(pong).toMatchObject({ state: 'succeeded', result: { pid: second.pid } });
    expect(running(pid)).toBe(true);
    expect(readlinkSync(join(app, 'current'))).toBe('releases/1.0.0');
  });
});
