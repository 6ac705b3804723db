import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, silentLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { createServer, openDatabase, type Server } from '@opsfleet/server';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent.ts';
import { CommandChannel } from '../src/commands/channel.ts';
import type { CommandHandler } from '../src/commands/handler.ts';
import { Journal } from '../src/commands/journal.ts';
import { ServerApi, ServerCallError } from '../src/server-api.ts';

/**
 * The real agent's command channel against the real control plane (in process, PGlite), through
 * a proxy that can lose results on the way: commands run through their handlers, output and
 * outcomes reach the server, and a command handed out again is answered from the journal, also
 * after the agent restarted.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field
type Answer = any;

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-agent-commands-'));
  const server: Server = await createServer({
    database: await openDatabase({ dataDir: join(dir, 'server') }),
    log: silentLogger(),
    adminPassword: 'admin-password-1',
    housekeepingMs: 0,
    commands: { redeliverAfterMs: 1000 },
  });
  cleanups.push(() => server.close());
  const serverUrl = (await server.listen(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
  const target = new URL(serverUrl);

  // Between the agent and the server: while `dropResults`, results never reach the server.
  const proxy = { dropResults: false, dropped: 0 };
  const front = createHttpServer((req, res) => {
    if (proxy.dropResults && req.method === 'POST' && req.url?.endsWith('/result')) {
      proxy.dropped += 1;
      req.resume();
      return res.writeHead(503, { 'content-type': 'application/json' }).end('{"detail":"lost on the way"}');
    }
    const out = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        front.closeAllConnections();
        front.close(() => r());
      }),
  );
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;

  const { accessToken } = await server.identity.login('admin', 'admin-password-1');
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${serverUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return res.json();
  };

  async function startAgent(name: string, key: string, dataDir = join(dir, name)): Promise<Agent> {
    const config = join(dir, `${name}.yaml`);
    writeFileSync(
      config,
      `agent:
  name: ${name}
  dataDir: ${dataDir}
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  server: { url: "${url}", token: "${key}", heartbeat: 1s }
services:
  - name: steady
    command: ${process.execPath}
    args: [${join(FIXTURES, 'forever.mjs')}]
`,
    );
    const agent = await Agent.start({
      configPath: config,
      log: createLogger({ level: 'silent' }),
      version: '9.9.9',
    });
    cleanups.push(() => agent.close(false));
    await eventually(`${name} registered`, () => api('GET', '/api/v1/agents'), {
      ok: (r) => r.items?.some((a: { name: string }) => a.name === name),
      timeoutMs: 30_000,
    });
    return agent;
  }

  const finished = (id: string) =>
    eventually(`command ${id} finished`, () => api('GET', `/api/v1/commands/${id}`), {
      ok: (c) => ['succeeded', 'failed', 'expired', 'cancelled'].includes(c.state),
      timeoutMs: 30_000,
    });
  const lines = async (id: string): Promise<string[]> =>
    (await api('GET', `/api/v1/commands/${id}/output`)).items.map((l: { line: string }) => l.line);

  return { dir, server, serverUrl, url, proxy, api, startAgent, finished, lines };
}

describe('agent command channel', { timeout: 120_000 }, () => {
  it('runs ping and service commands through their handlers and answers only its own commands', async () => {
    const t = await setup();
    const web = await t.server.identity.createApiKey('admin', 'web-1-key', 'agent');
    const agent = await t.startAgent('web-1', web.key);

    const ping = await t.api('POST', '/api/v1/commands', { agent: web.id, kind: 'ping' });
    const pinged = await t.finished(ping.id);
    expect(pinged).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      result: { name: 'web-1', version: '9.9.9' },
    });
    expect(Math.abs(Date.parse(pinged.result.time) - Date.now())).toBeLessThan(60_000);
    expect(await t.lines(ping.id)).toContain(`pong from web-1 (${pinged.result.hostname}), version 9.9.9`);

    const before = agent.status('steady')!.pid!;
    const restart = await t.api('POST', '/api/v1/commands', {
      agent: web.id,
      kind: 'service.restart',
      payload: { service: 'steady' },
    });
    const restarted = await t.finished(restart.id);
    expect(restarted).toMatchObject({
      state: 'succeeded',
      result: { service: { name: 'steady', state: 'running' } },
    });
    expect(restarted.result.service.pid).not.toBe(before);
    expect(agent.status('steady')!.pid).toBe(restarted.result.service.pid);
    expect(await t.lines(restart.id)).toEqual(
      expect.arrayContaining(['restart steady', `steady is running, pid ${restarted.result.service.pid}`]),
    );

    const status = await t.finished(
      (
        await t.api('POST', '/api/v1/commands', {
          agent: web.id,
          kind: 'service.status',
          payload: { service: 'steady' },
        })
      ).id,
    );
    expect(status.result.services).toMatchObject([
      { name: 'steady', state: 'running', pid: restarted.result.service.pid },
    ]);

    const unknownKind = await t.finished(
      (await t.api('POST', '/api/v1/commands', { agent: web.id, kind: 'files.sync' })).id,
    );
    expect(unknownKind).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/no handler for the kind files.sync.*ping/),
    });
    const badPayload = await t.finished(
      (
        await t.api('POST', '/api/v1/commands', {
          agent: web.id,
          kind: 'service.restart',
          payload: { svc: 'steady' },
        })
      ).id,
    );
    expect(badPayload).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/^payload\.service: /),
    });
    expect(agent.status('steady')!.pid).toBe(restarted.result.service.pid);

    // Another agent's key can neither read this agent's command nor answer it.
    const db = await t.server.identity.createApiKey('admin', 'db-1-key', 'agent');
    const other = new ServerApi(t.serverUrl, db.key);
    const signal = AbortSignal.timeout(10_000);
    const refused = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ServerCallError);
      return (err as ServerCallError).status;
    };
    expect(
      await refused(
        other.call('POST', `/api/v1/agent/commands/${ping.id}/result`, { status: 'failed' }, signal),
      ),
    ).toBe(404);
    expect(
      await refused(other.call('POST', `/api/v1/agent/commands/${ping.id}/output`, { lines: [] }, signal)),
    ).toBe(404);
    expect(await refused(other.call('GET', `/api/v1/commands/${ping.id}`, undefined, signal))).toBe(403);
    expect((await t.api('GET', `/api/v1/commands/${ping.id}`)).state).toBe('succeeded');
  });

  it('a lost result: the command is handed out again and the restarted agent answers from its journal without running it again', async () => {
    const t = await setup();
    const web = await t.server.identity.createApiKey('admin', 'web-1-key', 'agent');
    const dataDir = join(t.dir, 'web-1-data');
    const first = await t.startAgent('web-1', web.key, dataDir);
    t.proxy.dropResults = true;

    const { id } = await t.api('POST', '/api/v1/commands', { agent: web.id, kind: 'ping' });
    const journal = new Journal(join(dataDir, 'commands'));
    const ran = await eventually('the ping ran and its outcome is in the journal', () => journal.get(id), {
      ok: (e) => e?.state === 'done',
      timeoutMs: 30_000,
    });
    await eventually('the result was lost on the way', () => t.proxy.dropped, { ok: (n) => n > 0 });
    expect((await t.api('GET', `/api/v1/commands/${id}`)).state).toBe('running');
    await first.close(false);

    t.proxy.dropResults = false;
    const restartedAt = Date.now();
    await t.startAgent('web-1', web.key, dataDir);
    const done = await t.finished(id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    // The stored outcome, from before the restart: the ping did not run again.
    expect(done.result).toEqual((ran as { result: unknown }).result);
    expect(Date.parse(done.result.time)).toBeLessThan(restartedAt);
    const out = await t.lines(id);
    expect(out.filter((l) => l.startsWith('pong from'))).toHaveLength(1);
    expect(out.some((l) => l.startsWith('already run'))).toBe(true);
  });

  it('a command the agent was running when it stopped is answered failed after the restart, not run again', async () => {
    const t = await setup();
    const web = await t.server.identity.createApiKey('admin', 'web-1-key', 'agent');
    const dataDir = join(t.dir, 'web-1-data');
    await t.startAgent('web-1', web.key, dataDir).then((a) => a.close(false));
    const { id } = await t.api('POST', '/api/v1/commands', { agent: web.id, kind: 'ping' });
    // What a crash in the middle of the command leaves: started, no outcome.
    new Journal(join(dataDir, 'commands')).started(id, 'ping');

    await t.startAgent('web-1', web.key, dataDir);
    const done = await t.finished(id);
    expect(done).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/the agent stopped while this command ran/),
    });
    expect((await t.lines(id)).some((l) => l.startsWith('pong'))).toBe(false);
  });

  it('a cancel at the server, or the deadline, stops the handler at work', async () => {
    const t = await setup();
    const web = await t.server.identity.createApiKey('admin', 'web-1-key', 'agent');
    const client = new ServerApi(t.serverUrl, web.key);
    await client.call(
      'POST',
      '/api/v1/agents/register',
      { hostname: 'web-1', version: '1' },
      AbortSignal.timeout(10_000),
    );
    // Works until it is stopped, and says why it stopped.
    const waiting: CommandHandler = {
      kind: 'test.wait',
      run: ({ print, signal }) =>
        new Promise((_, reject) => {
          print('waiting', { stage: 'wait' });
          signal.addEventListener('abort', () =>
            reject(new Error(`stopped: ${(signal.reason as Error).message}`)),
          );
        }),
    };
    const stopped: string[] = [];
    const channel = new CommandChannel({
      url: t.url,
      token: web.key,
      dataDir: join(t.dir, 'channel'),
      host: {
        name: 'web-1',
        hostname: 'web-1',
        version: '1',
        services: () => [],
        command: () => Promise.reject(new Error('none')),
      },
      log: { info: (_o, msg) => stopped.push(msg), warn: () => undefined },
      handlers: [
        {
          kind: waiting.kind,
          run: (ctx) =>
            waiting.run(ctx).catch((err: Error) => {
              stopped.push(err.message);
              throw err;
            }),
        },
      ],
    }).start();
    cleanups.push(() => channel.close());

    const cancelled = await t.api('POST', '/api/v1/commands', { agent: web.id, kind: 'test.wait' });
    await eventually('the command runs', () => t.api('GET', `/api/v1/commands/${cancelled.id}`), {
      ok: (c) => c.state === 'running',
      timeoutMs: 30_000,
    });
    expect((await t.api('POST', `/api/v1/commands/${cancelled.id}/cancel`)).state).toBe('cancelled');
    await eventually('the handler stopped', () => stopped, {
      ok: (s) => s.includes('stopped: the command was cancelled at the server'),
      timeoutMs: 30_000,
    });
    const journal = new Journal(join(t.dir, 'channel', 'commands'));
    const entry = await eventually('the outcome in the journal', () => journal.get(cancelled.id), {
      ok: (e) => e?.state === 'done',
    });
    expect(entry).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/the command was cancelled at the server/),
    });
    expect((await t.api('GET', `/api/v1/commands/${cancelled.id}`)).state).toBe('cancelled');

    const late = await t.api('POST', '/api/v1/commands', { agent: web.id, kind: 'test.wait', timeout: '2s' });
    await eventually('the handler stopped at the deadline', () => stopped, {
      ok: (s) => s.includes('stopped: the deadline passed'),
      timeoutMs: 30_000,
    });
    await eventually('the server refused the late result', () => stopped, {
      ok: (s) => s.includes('the server takes no result for this command'),
    });
    expect((await t.api('GET', `/api/v1/commands/${late.id}`)).state).toBe('expired');
  });
});
