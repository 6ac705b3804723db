import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type JenkinsSim, startJenkinsSim } from '@opsfleet/cloudsim';
import { silentLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.ts';
import { webhookSignature } from '../src/notify/channels/webhook.ts';
import { createServer as createOpsfleetServer } from '../src/server.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A receiver that checks each signature and keeps what arrived. */
interface Receiver {
  url: string;
  got: { key: string; signed: boolean; body: { file: { id: string; path: string } } }[];
  status: number;
  /** Requests to /slow being answered now, and the most at once. */
  inFlight: number;
  maxInFlight: number;
}
let receiver: Receiver;
let receiverServer: Server;
let jenkins: JenkinsSim;

beforeAll(async () => {
  receiver = { url: '', got: [], status: 200, inFlight: 0, maxInFlight: 0 };
  receiverServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', async () => {
      if (req.url === '/slow') {
        receiver.inFlight += 1;
        receiver.maxInFlight = Math.max(receiver.maxInFlight, receiver.inFlight);
        await new Promise((r) => setTimeout(r, 300));
        receiver.inFlight -= 1;
      }
      const ts = String(req.headers['x-opsfleet-timestamp']);
      receiver.got.push({
        key: String(req.headers['x-opsfleet-idempotency-key']),
        signed: req.headers['x-opsfleet-signature'] === webhookSignature('hook-secret', ts, body),
        body: JSON.parse(body),
      });
      res.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((r) => receiverServer.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(receiverServer.address() as { port: number }).port}/hook`;
  jenkins = await startJenkinsSim({
    users: [{ name: 'ci', apiTokens: ['tok-1'], password: 'pw' }],
    jobs: [
      {
        name: 'dumps/analyse',
        parameters: [{ name: 'URL' }, { name: 'RESULT' }],
        resultParam: 'RESULT',
        durationMs: 300,
        lines: ['downloading the dump', 'analysing'],
      },
      { name: 'stuck', hang: true },
    ],
    quietPeriodMs: 50,
  });
});
afterAll(async () => {
  await jenkins.close();
  await new Promise<void>((r) => receiverServer.close(() => r()));
});

describe.each(all)('file tasks on $name', { timeout: 120_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend, { fileRunner: { pollMs: 200, heartbeatMs: 200 } });
    cleanups.push(t.close);
    return t;
  }

  async function ok(t: TestServer, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
    const res = await t.api(method, url, payload);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body;
  }

  const jenkinsAction = (name: string, params: Record<string, string>, extra: object = {}) => ({
    name,
    kind: 'jenkins',
    config: {
      url: jenkins.url,
      job: 'dumps/analyse',
      user: 'ci',
      apiToken: 'tok-1',
      parameters: params,
      pollMs: 100,
    },
    ...extra,
  });
  const hookAction = (name: string) => ({
    name,
    kind: 'webhook',
    config: { url: receiver.url, secret: 'hook-secret' },
  });

  /** An uploaded file as the report endpoint would have stored it. */
  async function uploaded(t: TestServer, path: string, labels: Record<string, string> = {}): Promise<string> {
    const id = randomUUID();
    const object = {
      bucket: 'dumps',
      key: `web-1${path}`,
      url: `s3://dumps/web-1${path}`,
      etag: '"e1"',
      size: 42,
    };
    await t.database.db.execute(sql`
      INSERT INTO file_events (id, agent_id, file_id, source, path, size, mtime, labels, state, seq, bytes_uploaded, object, detected_at, reported_at)
      VALUES (${id}::uuid, ${randomUUID()}::uuid, ${randomUUID()}, 'dumps', ${path}, 42, now(), ${JSON.stringify(labels)}::jsonb,
        'uploaded', 3, 42, ${JSON.stringify(object)}::jsonb, now(), now())`);
    await t.database.notify('opsfleet_files', 'uploaded');
    return id;
  }

  const tasksOf = async (t: TestServer, fileId: string) =>
    (await ok(t, 'GET', `/api/v1/files/tasks?file=${fileId}`)).items as {
      id: string;
      state: string;
      action: { name: string };
      attempts: number;
      trigger: string;
    }[];

  async function settled(t: TestServer, fileId: string, count: number, timeoutMs = 30_000) {
    return eventually(`${count} tasks of ${fileId} ended`, () => tasksOf(t, fileId), {
      ok: (ts) => ts.length === count && ts.every((x) => ['done', 'failed', 'cancelled'].includes(x.state)),
      timeoutMs,
      everyMs: 100,
    });
  }

  it('routes an uploaded file to Jenkins then a webhook, in sequence; both done, the console kept', async () => {
    const t = await start();
    const analyse = await ok(t, 'POST', '/api/v1/files/actions', jenkinsAction('analyse', { URL: '{url}' }));
    expect(analyse.config.apiToken).toBe('••••••');
    const hook = await ok(t, 'POST', '/api/v1/files/actions', hookAction('tell'));
    await ok(t, 'POST', '/api/v1/files/routes', {
      name: 'dumps',
      match: { pathGlob: '**/*.hprof' },
      actionIds: [analyse.id, hook.id],
      mode: 'sequence',
    });
    const other = await uploaded(t, '/var/log/app.log');
    const file = await uploaded(t, '/var/dumps/app-1.hprof');
    const tasks = await settled(t, file, 2);
    expect(tasks.map((x) => [x.action.name, x.state]).sort()).toEqual([
      ['analyse', 'done'],
      ['tell', 'done'],
    ]);
    const first = tasks.find((x) => x.action.name === 'analyse')!;
    const detail = await ok(t, 'GET', `/api/v1/files/tasks/${first.id}`);
    expect(detail.output).toContain('downloading the dump');
    expect(detail.output).toContain('Finished: SUCCESS');
    expect(detail.result).toMatchObject({ result: 'SUCCESS', coalesced: false });
    expect(detail.history.map((h: { to: string }) => h.to)).toEqual(['pending', 'processing', 'done']);
    const second = await ok(
      t,
      'GET',
      `/api/v1/files/tasks/${tasks.find((x) => x.action.name === 'tell')!.id}`,
    );
    // The webhook ran only once the build was over.
    expect(new Date(second.startedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(detail.finishedAt).getTime(),
    );
    expect(jenkins.triggers.at(-1)?.params.URL).toBe('s3://dumps/web-1/var/dumps/app-1.hprof');
    const delivered = receiver.got.filter((g) => g.body.file.id === file);
    expect(delivered).toEqual([expect.objectContaining({ signed: true, key: `${file}:${hook.id}` })]);
    // A file no route matches gets no tasks, and is not looked at again.
    expect(await tasksOf(t, other)).toEqual([]);
  });

  it('parallel routes start their tasks together; an action never runs more attempts at once than it allows', async () => {
    const t = await start();
    const slow = await ok(t, 'POST', '/api/v1/files/actions', {
      ...hookAction('slow'),
      config: { url: receiver.url.replace('/hook', '/slow'), secret: 'hook-secret' },
      maxConcurrency: 1,
    });
    const quick = await ok(t, 'POST', '/api/v1/files/actions', hookAction('quick'));
    await ok(t, 'POST', '/api/v1/files/routes', {
      name: 'both',
      actionIds: [slow.id, quick.id],
      mode: 'parallel',
    });
    receiver.maxInFlight = 0;
    const files = [];
    for (let i = 0; i < 4; i++) files.push(await uploaded(t, `/var/dumps/p${i}.hprof`));
    for (const f of files) {
      const tasks = await settled(t, f, 2);
      expect(tasks.every((x) => x.state === 'done')).toBe(true);
      const details = await Promise.all(tasks.map((x) => ok(t, 'GET', `/api/v1/files/tasks/${x.id}`)));
      expect(details.map((d) => d.afterTaskId)).toEqual([null, null]);
    }
    expect(receiver.maxInFlight).toBe(1);
  });

  it('a 5xx from Jenkins is retried after its back-off, then done', async () => {
    const t = await start();
    const analyse = await ok(t, 'POST', '/api/v1/files/actions', jenkinsAction('analyse', { URL: '{url}' }));
    await ok(t, 'POST', '/api/v1/files/routes', { name: 'all', actionIds: [analyse.id] });
    jenkins.inject({ kind: 'server_error', path: '/job/dumps/job/analyse/buildWithParameters' });
    const file = await uploaded(t, '/var/dumps/retry.hprof');
    const [task] = await settled(t, file, 1, 40_000);
    expect(task).toMatchObject({ state: 'done', attempts: 2 });
    const detail = await ok(t, 'GET', `/api/v1/files/tasks/${task!.id}`);
    expect(detail.history.map((h: { to: string }) => h.to)).toEqual([
      'pending',
      'processing',
      'retrying',
      'processing',
      'done',
    ]);
    expect(detail.history[2].reason).toMatch(/HTTP 500.*next attempt in 5 s/);
  });

  it('a failing build fails at once and starts the fallback webhook, once', async () => {
    const t = await start();
    const hook = await ok(t, 'POST', '/api/v1/files/actions', hookAction('page'));
    const analyse = await ok(
      t,
      'POST',
      '/api/v1/files/actions',
      jenkinsAction('analyse', { URL: '{url}', RESULT: 'FAILURE' }, { fallbackActionId: hook.id }),
    );
    await ok(t, 'POST', '/api/v1/files/routes', { name: 'all', actionIds: [analyse.id] });
    const file = await uploaded(t, '/var/dumps/bad.hprof');
    const tasks = await settled(t, file, 2);
    const failed = tasks.find((x) => x.action.name === 'analyse')!;
    expect(failed).toMatchObject({ state: 'failed', attempts: 1 });
    expect(tasks.find((x) => x.action.name === 'page')).toMatchObject({ state: 'done', trigger: 'fallback' });
    const detail = await ok(t, 'GET', `/api/v1/files/tasks/${failed.id}`);
    expect(detail).toMatchObject({ errorCause: 'build_failed', result: { result: 'FAILURE' } });
    expect(detail.output).toContain('Finished: FAILURE');
    // A manual retry gives one more attempt; its failure starts no second fallback.
    await ok(t, 'POST', `/api/v1/files/tasks/${failed.id}/retry`);
    await eventually('the retried task failed again', () => tasksOf(t, file), {
      ok: (ts) => ts.some((x) => x.id === failed.id && x.state === 'failed' && x.attempts === 2),
      timeoutMs: 30_000,
    });
    expect((await tasksOf(t, file)).filter((x) => x.trigger === 'fallback')).toHaveLength(1);
  });

  it('cancels a running Jenkins task: its build is stopped, a second cancel and a retry of a done task are refused', async () => {
    const t = await start();
    const stuck = await ok(t, 'POST', '/api/v1/files/actions', {
      ...jenkinsAction('stuck', {}),
      config: { url: jenkins.url, job: 'stuck', user: 'ci', apiToken: 'tok-1', pollMs: 100 },
    });
    const hook = await ok(t, 'POST', '/api/v1/files/actions', hookAction('after'));
    await ok(t, 'POST', '/api/v1/files/routes', { name: 'all', actionIds: [stuck.id, hook.id] });
    const file = await uploaded(t, '/var/dumps/stuck.hprof');
    const running = await eventually('the build runs', async () => {
      const [task] = (await tasksOf(t, file)).filter((x) => x.action.name === 'stuck');
      const d = task && (await ok(t, 'GET', `/api/v1/files/tasks/${task.id}`));
      return d?.output.includes('started') ? d : undefined;
    });
    const asked = await ok(t, 'POST', `/api/v1/files/tasks/${running.id}/cancel`);
    expect(asked).toMatchObject({ state: 'processing', cancelRequested: true });
    const again = await t.api('POST', `/api/v1/files/tasks/${running.id}/cancel`);
    expect(again.status).toBe(409);
    // Refused either way: the stop may already have gone through.
    expect(again.body.detail).toMatch(/a cancel was already requested|the task is cancelled already/);
    const tasks = await settled(t, file, 2);
    expect(tasks.map((x) => x.state)).toEqual(['cancelled', 'cancelled']);
    const detail = await ok(t, 'GET', `/api/v1/files/tasks/${running.id}`);
    expect(detail.output).toContain('Finished: ABORTED');
    expect(detail.history.map((h: { to: string; reason: string }) => `${h.to}: ${h.reason}`)).toEqual([
      'pending: created (route)',
      'processing: attempt 1',
      'processing: cancel requested: the running attempt is being stopped',
      'cancelled: cancelled',
    ]);
    const follower = tasks.find((x) => x.action.name === 'after')!;
    expect((await ok(t, 'GET', `/api/v1/files/tasks/${follower.id}`)).errorCause).toBe('earlier_task_ended');
    const audit = await t.database.db.execute(
      sql`SELECT action FROM audit_log WHERE action LIKE 'file-task.%'`,
    );
    expect((audit as unknown as { rows: { action: string }[] }).rows.map((r) => r.action)).toContain(
      'file-task.cancel',
    );
  });

  it('a task left processing by a server that stopped is taken again, the lost attempt counted', async () => {
    const t = await start();
    const hook = await ok(t, 'POST', '/api/v1/files/actions', hookAction('tell'));
    const file = await uploaded(t, '/var/dumps/lost.hprof');
    const taskId = randomUUID();
    await t.database.db.execute(sql`
      INSERT INTO file_tasks (id, event_id, action_id, idempotency_key, state, attempts, max_attempts, claimed_by, started_at, updated_at)
      VALUES (${taskId}::uuid, ${file}::uuid, ${hook.id}::uuid, ${`${file}:${hook.id}`}, 'processing', 1, 3, 'gone:1', now() - interval '5 minutes', now() - interval '5 minutes')`);
    await eventually('the lost task done', () => ok(t, 'GET', `/api/v1/files/tasks/${taskId}`), {
      ok: (d) => d.state === 'done',
      timeoutMs: 30_000,
    });
    const d = await ok(t, 'GET', `/api/v1/files/tasks/${taskId}`);
    expect(d.attempts).toBe(2);
    expect(d.history[0]).toMatchObject({
      from: 'processing',
      to: 'retrying',
      reason: expect.stringContaining('gone:1'),
    });
  });

  it('action settings: problems by field (422), secrets masked and kept, trigger by hand', async () => {
    const t = await start();
    const bad = await t.api('POST', '/api/v1/files/actions', {
      name: 'x',
      kind: 'jenkins',
      config: { url: 'nope', job: 'a', user: 'u', apiToken: 't', parameters: { A: '{what}' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'body.config.url',
      'body.config.parameters.A',
    ]);
    const hook = await ok(t, 'POST', '/api/v1/files/actions', hookAction('tell'));
    expect(hook.config.secret).toBe('••••••');
    const renamed = await ok(t, 'PATCH', `/api/v1/files/actions/${hook.id}`, {
      name: 'tell2',
      config: { ...hook.config },
    });
    expect(renamed.name).toBe('tell2');
    const moved = await t.api('PATCH', `/api/v1/files/actions/${hook.id}`, {
      config: { ...hook.config, url: 'http://127.0.0.1:1/elsewhere' },
    });
    expect(moved.status).toBe(400);
    const file = await uploaded(t, '/var/dumps/manual.hprof');
    const made = await ok(t, 'POST', `/api/v1/files/${file}/trigger`, { actionId: hook.id });
    expect(made).toMatchObject({ trigger: 'manual', fileId: file });
    await eventually('the manual task done', () => ok(t, 'GET', `/api/v1/files/tasks/${made.id}`), {
      ok: (d) => d.state === 'done',
    });
    // The stored secret still signs: the receiver verified it.
    expect(receiver.got.filter((g) => g.body.file.id === file)).toEqual([
      expect.objectContaining({ signed: true }),
    ]);
    const retryDone = await t.api('POST', `/api/v1/files/tasks/${made.id}/retry`);
    expect(retryDone.status).toBe(409);
    expect(retryDone.body.detail).toMatch(/only a failed or cancelled task is retried; this one is done/);
  });
});

describe('two servers on one PostgreSQL', { timeout: 120_000 }, () => {
  const postgres = all.find((b) => b.name === 'postgres');
  it.skipIf(!postgres)('never run the same task twice', async () => {
    const target = await postgres!.fresh();
    const replicas: Awaited<ReturnType<typeof createOpsfleetServer>>[] = [];
    const databases: Database[] = [];
    cleanups.push(async () => {
      for (const r of replicas) await r.close();
      await target.drop();
    });
    for (let i = 0; i < 2; i++) {
      const database = await openDatabase({ url: target.url, dataDir: '' });
      databases.push(database);
      replicas.push(
        await createOpsfleetServer({
          database,
          log: silentLogger(),
          adminPassword: 'admin-password-1',
          housekeepingMs: 0,
          outboundAllow: ['127.0.0.1/32'],
          fileRunner: { pollMs: 50, heartbeatMs: 200 },
        }),
      );
    }
    const { accessToken } = await replicas[0]!.identity.login('admin', 'admin-password-1');
    const call = async (method: 'POST' | 'GET', url: string, payload?: object) =>
      (
        await replicas[0]!.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${accessToken}` },
          payload,
        })
      ).json();
    const hook = await call('POST', '/api/v1/files/actions', {
      name: 'tell',
      kind: 'webhook',
      config: { url: receiver.url, secret: 'hook-secret' },
      maxConcurrency: 50,
    });
    await call('POST', '/api/v1/files/routes', { name: 'all', actionIds: [hook.id] });
    const before = receiver.got.length;
    for (let i = 0; i < 40; i++) {
      const object = { bucket: 'b', key: `k${i}`, url: `s3://b/k${i}`, etag: '"e"', size: 1 };
      await databases[i % 2]!.db.execute(sql`
        INSERT INTO file_events (agent_id, file_id, source, path, size, mtime, state, seq, object, detected_at, reported_at)
        VALUES (${randomUUID()}::uuid, ${`f${i}`}, 'dumps', ${`/d/${i}.bin`}, 1, now(), 'uploaded', 1,
          ${JSON.stringify(object)}::jsonb, now(), now())`);
      await databases[i % 2]!.notify('opsfleet_files', 'uploaded');
    }
    await eventually('every file delivered', () => receiver.got.length - before, {
      ok: (n) => n >= 40,
      timeoutMs: 60_000,
    });
    // Time for a duplicate to show, if there were one.
    await new Promise((r) => setTimeout(r, 1000));
    const keys = receiver.got.slice(before).map((g) => g.key);
    expect(keys).toHaveLength(40);
    expect(new Set(keys).size).toBe(40);
    const tasks = await call('GET', '/api/v1/files/tasks?limit=100');
    expect(tasks.items).toHaveLength(40);
    expect(
      tasks.items.every((x: { state: string; attempts: number }) => x.state === 'done' && x.attempts === 1),
    ).toBe(true);
    const claimers = new Set<string>();
    for (const x of tasks.items as { id: string }[])
      claimers.add((await call('GET', `/api/v1/files/tasks/${x.id}`)).history[1].actor);
    // Both replicas took part: the test raced them for real.
    expect(claimers.size).toBe(2);
  });
});
