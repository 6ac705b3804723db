import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/rows.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

/**
 * The file domain's reports and queries (issue 17 §3): agents report their files with their own
 * key; people list them, read one with its timeline and tasks, its sources and statistics.
 */
const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const EVENTS = '/api/v1/agent/files/events';
const STATES = ['detected', 'uploading', 'uploading', 'uploaded'] as const;
const ago = (ms: number, now = Date.now()) => new Date(now - ms).toISOString();
const MIN = 60_000;

interface Report {
  id: string;
  source: string;
  path: string;
  size: number;
  mtime: string;
  labels: Record<string, string>;
  state: 'detected' | 'uploading' | 'uploaded' | 'failed';
  seq: number;
  at: string;
  detectedAt?: string;
  bytesUploaded?: number;
  error?: string;
  object?: object;
}

/** The report of `file` at `seq`, as the agent would send it (again, on a retry). */
function report(file: string, seq: number, over: Partial<Report> = {}): Report {
  const state = STATES[Math.min(seq - 1, STATES.length - 1)]!;
  return {
    id: file,
    source: 'dumps',
    path: `app-a/${file}.hprof`,
    size: 4096,
    mtime: '2026-12-07T09:00:00.000Z',
    labels: { app: 'a' },
    state,
    seq,
    at: new Date(Date.parse('2026-12-07T10:00:00Z') + seq * 1000).toISOString(),
    bytesUploaded: seq * 1024,
    ...(state === 'uploaded'
      ? {
          object: {
            bucket: 'dumps',
            key: `h/${file}`,
            url: `http://s3/dumps/h/${file}`,
            etag: '"e"',
            size: 4096,
          },
        }
      : {}),
    ...over,
  };
}

describe.each(all)('files on $name', { timeout: 120_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend);
    cleanups.push(t.close);
    return t;
  }

  async function call(
    t: TestServer,
    headers: Record<string, string>,
    method: 'GET' | 'POST',
    url: string,
    payload?: unknown,
  ) {
    const res = await t.s.app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  }

  /** A registered agent: its id and the headers of its API key. */
  async function agent(t: TestServer, name: string) {
    const made = await t.api('POST', '/api/v1/api-keys', { name, role: 'agent' });
    const headers = { 'x-api-key': made.body.key as string };
    expect(
      (await call(t, headers, 'POST', '/api/v1/agents/register', { hostname: name, version: '0.1.0' }))
        .status,
    ).toBe(200);
    const post = async (events: unknown[]) => call(t, headers, 'POST', EVENTS, { events });
    return { id: made.body.id as string, headers, post };
  }

  const files = async (t: TestServer, query = '') => {
    const res = await t.api('GET', `/api/v1/files${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as {
      items: { id: string; fileId: string; state: string; agentName: string }[];
      nextCursor: string | null;
    };
  };

  it('takes an agent’s reports as its own, and only from an agent key', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const db = await agent(t, 'db-1');
    expect(await web.post([report('f1', 1), report('f1', 2), report('f2', 1)])).toEqual({
      status: 200,
      body: { accepted: 3 },
    });
    // db-1 cannot speak for web-1: a field naming an agent is refused, the same file id is db-1's own.
    const forged = await call(t, db.headers, 'POST', EVENTS, { agentId: web.id, events: [report('f1', 9)] });
    expect(forged.status).toBe(400);
    expect(forged.body.errors[0].path).toMatch(/^body/);
    expect((await db.post([report('f1', 1)])).status).toBe(200);

    const listed = await files(t, '?limit=10');
    expect(listed.items.map((f) => [f.agentName, f.fileId, f.state]).sort()).toEqual([
      ['db-1', 'f1', 'detected'],
      ['web-1', 'f1', 'uploading'],
      ['web-1', 'f2', 'detected'],
    ]);

    const viewer = (await t.api('POST', '/api/v1/api-keys', { name: 'dash', role: 'viewer' })).body.key;
    const refused = await call(t, { 'x-api-key': viewer }, 'POST', EVENTS, { events: [report('f3', 1)] });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('files:report');
    // An admin holds every permission but is no agent.
    const admin = await t.api('POST', EVENTS, { events: [report('f3', 1)] });
    expect(admin.status).toBe(403);
    expect(admin.body.detail).toContain('is not an agent');
    // The viewer reads.
    expect((await call(t, { 'x-api-key': viewer }, 'GET', '/api/v1/files')).body.items).toHaveLength(3);
    expect((await files(t)).items).toHaveLength(3);
  });

  it('counts on /metrics the agents with watched folders by status, and the tasks by state', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    await agent(t, 'idle-1');
    expect((await web.post([report('f1', 1)])).status).toBe(200);
    const metrics = (await t.s.app.inject({ url: '/metrics' })).body;
    // idle-1 registered but watches nothing.
    expect(metrics).toContain('opsfleet_file_agents{status="online"} 1');
    expect(metrics).toContain('opsfleet_file_agents{status="offline"} 0');
    expect(metrics).toContain('opsfleet_file_tasks{state="pending"} 0');
    expect(metrics).toContain('opsfleet_file_tasks_overdue 0');
  });

  it('ends in the same state and timeline whatever the order and repeats of the reports', async () => {
    const t = await start();
    const inOrder = await agent(t, 'in-order');
    const shuffled = await agent(t, 'shuffled');
    const stream = ['a', 'b', 'c'].flatMap((f, i) =>
      Array.from({ length: 3 + i }, (_, s) => report(f, s + 1)),
    );
    for (const r of stream) expect((await inOrder.post([r])).status).toBe(200);
    // Newest first, every report twice, in three batches sent at once: a late, repeated and
    // reordered delivery, whose batches touch the same files concurrently.
    const late = [...stream].reverse().flatMap((r) => [r, r]);
    const answers = await Promise.all(
      [late.slice(0, 5), late.slice(5, 11), late.slice(11), late].map((part) => shuffled.post(part)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);

    const view = async (agentId: string) => {
      const page = await files(t, `?agent=${agentId}`);
      return Promise.all(
        page.items
          .sort((x, y) => x.fileId.localeCompare(y.fileId))
          .map(async (f) => {
            const d = (await t.api('GET', `/api/v1/files/${f.id}`)).body;
            return {
              fileId: d.fileId,
              state: d.state,
              seq: d.seq,
              bytesUploaded: d.bytesUploaded,
              object: d.object,
              detectedAt: d.detectedAt,
              reportedAt: d.reportedAt,
              timeline: d.timeline.items.map((e: { seq: number; state: string; at: string }) => [
                e.seq,
                e.state,
                e.at,
              ]),
            };
          }),
      );
    };
    const want = await view(inOrder.id);
    expect(want.map((f) => [f.fileId, f.state, f.seq, f.timeline.length])).toEqual([
      ['a', 'uploading', 3, 3],
      ['b', 'uploaded', 4, 4],
      ['c', 'uploaded', 5, 5],
    ]);
    expect(want[0]!.detectedAt).toBe(report('a', 1).at);
    expect(await view(shuffled.id)).toEqual(want);
  });

  it('tells routing on every replica when files changed, after the commit', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const heard: unknown[] = [];
    const stop = await t.database.listen('opsfleet_files', (p) => heard.push(JSON.parse(p)));
    cleanups.push(stop);
    await web.post([report('a', 1), report('a', 4), report('b', 2)]);
    // The same again changes nothing, and says nothing; the next change is heard after the first.
    await web.post([report('a', 4)]);
    await web.post([report('b', 3)]);
    await expect
      .poll(() => heard, { timeout: 10_000 })
      .toEqual([
        { agentId: web.id, changed: 2, uploaded: 1 },
        { agentId: web.id, changed: 1, uploaded: 0 },
      ]);
  });

  it('refuses a bad batch whole, naming every bad field, and a batch of 501', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const bad = await web.post([
      report('a', 1),
      report('b', 1),
      report('c', 1),
      { ...report('d', 1), seq: -1 },
      { ...report('e', 1), state: 'lost', at: 'yesterday' },
      // A year the database cannot store.
      { ...report('f', 1), mtime: '0000-01-01T00:00:00Z' },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.events.3.seq',
      'body.events.4.at',
      'body.events.4.state',
      'body.events.5.mtime',
    ]);
    expect((await files(t)).items).toEqual([]);

    const many = await web.post(Array.from({ length: 501 }, (_, i) => report(`f${i}`, 1)));
    expect(many.status).toBe(400);
    expect(many.body.detail).toContain('at most 500 events a call: send the rest in another call');
    expect((await files(t)).items).toEqual([]);
    expect((await web.post(Array.from({ length: 500 }, (_, i) => report(`f${i}`, 1)))).body).toEqual({
      accepted: 500,
    });
  });

  it('stores the largest and oddest values an agent may send, and reads them back', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const odd = report('odd', 1, {
      seq: Number.MAX_SAFE_INTEGER,
      path: `dir with spaces/ünïcödé 🔥/'quote"\\back%_.bin`,
      size: Number.MAX_SAFE_INTEGER,
      mtime: '1960-01-01T00:00:00Z',
      at: '9998-12-31T23:59:59.999999+00:00',
      detectedAt: '2026-12-07T09:59:00Z',
      labels: { 'a"b': "c'd", '': 'empty name' },
      state: 'failed',
      // Cut to its first 4000 characters rather than refused.
      error: `SlowDown ${'x'.repeat(10_000)}`,
      bytesUploaded: Number.MAX_SAFE_INTEGER,
    });
    expect((await web.post([odd])).status).toBe(200);
    const [listed] = (await files(t, '?path=%25_.')).items;
    const read = (await t.api('GET', `/api/v1/files/${listed!.id}`)).body;
    expect(read).toMatchObject({
      path: odd.path,
      size: odd.size,
      seq: odd.seq,
      mtime: '1960-01-01T00:00:00.000Z',
      reportedAt: '9998-12-31T23:59:59.999Z',
      detectedAt: '2026-12-07T09:59:00.000Z',
      labels: odd.labels,
      error: odd.error!.slice(0, 4000),
    });
    // The newest file of all pages on to nothing, not to an error.
    const page = await files(t, '?limit=1');
    expect(page.nextCursor).toBeNull();
  });

  it('lists files newest first with filters, and pages through them without gaps or repeats', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const db = await agent(t, 'db-1');
    const base = Date.parse('2026-12-07T10:00:00Z');
    const at = (minutes: number) => new Date(base + minutes * MIN).toISOString();
    await web.post([
      report('h1', 4, { at: at(1), path: 'app-a/heap-1.hprof' }),
      report('h2', 1, { at: at(2), path: 'app-b/heap-2.hprof' }),
      report('l1', 4, { at: at(3), source: 'logs', path: 'nginx/access.log.gz' }),
      report('x1', 2, { at: at(4), state: 'failed', error: 'AccessDenied: bucket policy' }),
    ]);
    await db.post([report('d1', 2, { at: at(5), path: 'app-a/HEAP-9.hprof' })]);
    const ids = async (q: string) => (await files(t, q)).items.map((f) => f.fileId);

    expect(await ids('')).toEqual(['d1', 'x1', 'l1', 'h2', 'h1']);
    expect(await ids('?state=failed,uploaded')).toEqual(['x1', 'l1', 'h1']);
    expect(await ids(`?agent=${db.id}`)).toEqual(['d1']);
    expect(await ids('?source=logs')).toEqual(['l1']);
    expect(await ids('?path=heap-')).toEqual(['d1', 'h2', 'h1']);
    expect(await ids('?path=app-a/heap')).toEqual(['d1', 'h1']);
    expect(await ids(`?since=${at(2)}&until=${at(4)}`)).toEqual(['l1', 'h2']);
    expect(await ids(`?state=uploaded&source=dumps&since=${at(0)}`)).toEqual(['h1']);
    // LIKE's wildcards are plain characters in the search.
    expect(await ids('?path=%25%25%25')).toEqual([]);
    const short = await t.api('GET', '/api/v1/files?path=he');
    expect(short.status).toBe(400);
    expect(short.body.errors[0].path).toBe('querystring.path');
    expect((await t.api('GET', '/api/v1/files?state=lost')).status).toBe(400);

    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const page = await files(t, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((f) => f.fileId));
      cursor = page.nextCursor;
      pages++;
    }
    expect({ seen, pages }).toEqual({ seen: ['d1', 'x1', 'l1', 'h2', 'h1'], pages: 3 });
    expect((await t.api('GET', '/api/v1/files?cursor=nope')).status).toBe(400);
  });

  it('shows a file with its timeline, paged past 100 entries, and its tasks', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    await web.post(Array.from({ length: 105 }, (_, i) => report('big', i + 1, { state: 'uploading' })));
    const [file] = (await files(t)).items;
    const { db } = t.database;
    const [action] = rowsOf<{ id: string }>(
      await db.execute(
        sql`INSERT INTO file_actions (name, kind) VALUES ('jenkins-heap', 'jenkins') RETURNING id`,
      ),
    );
    await db.execute(sql`
      INSERT INTO file_tasks (event_id, action_id, idempotency_key, state, attempts, max_attempts, duration_ms,
        error, error_cause, started_at, finished_at)
      VALUES (${file!.id}::uuid, ${action!.id}::uuid, 'k1', 'failed', 3, 3, 1500, 'build #7 FAILURE', 'build_failed',
        now() - interval '2 seconds', now())`);

    const first = await t.api('GET', `/api/v1/files/${file!.id}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      fileId: 'big',
      agentName: 'web-1',
      seq: 105,
      bytesUploaded: 105 * 1024,
    });
    expect(first.body.timeline.items).toHaveLength(100);
    expect(first.body.timeline.items[0]).toMatchObject({ seq: 1, state: 'uploading', bytesUploaded: 1024 });
    expect(first.body.tasks).toEqual([
      expect.objectContaining({
        actionName: 'jenkins-heap',
        state: 'failed',
        attempts: 3,
        durationMs: 1500,
        error: 'build #7 FAILURE',
        errorCause: 'build_failed',
      }),
    ]);
    const rest = await t.api('GET', `/api/v1/files/${file!.id}?cursor=${first.body.timeline.nextCursor}`);
    expect(rest.body.timeline.items.map((e: { seq: number }) => e.seq)).toEqual([101, 102, 103, 104, 105]);
    expect(rest.body.timeline.nextCursor).toBeNull();
    // Another file's cursor is not this one's.
    await web.post([report('other', 1)]);
    const other = (await files(t)).items.find((f) => f.fileId === 'other')!;
    expect(
      (await t.api('GET', `/api/v1/files/${other.id}?cursor=${first.body.timeline.nextCursor}`)).status,
    ).toBe(400);
    expect((await t.api('GET', '/api/v1/files/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('counts rates, queue, durations and failures by cause, global and per source', async () => {
    const t = await start();
    const web = await agent(t, 'web-1');
    const now = Date.now();
    const r = (
      id: string,
      source: string,
      seq: number,
      state: Report['state'],
      minutesAgo: number,
      error?: string,
    ) => report(id, seq, { source, state, at: ago(minutesAgo * MIN, now), ...(error ? { error } : {}) });
    await web.post([
      r('A', 'dumps', 1, 'detected', 30),
      r('A', 'dumps', 2, 'uploaded', 20),
      r('B', 'dumps', 1, 'detected', 25),
      r('B', 'dumps', 2, 'uploaded', 5),
      r('C', 'dumps', 1, 'detected', 10),
      r('C', 'dumps', 2, 'failed', 9, 'SlowDown: reduce your request rate'),
      r('D', 'dumps', 1, 'detected', 2),
      r('E', 'dumps', 1, 'detected', 3),
      r('E', 'dumps', 2, 'uploading', 1),
      // Detected before the window, uploaded inside it.
      r('F', 'logs', 1, 'detected', 120),
      r('F', 'logs', 2, 'uploaded', 50),
      r('G', 'logs', 1, 'detected', 200),
      r('G', 'logs', 2, 'failed', 5, 'ECONNRESET read'),
      // Failed before the window.
      r('H', 'logs', 1, 'failed', 90, 'AccessDenied'),
    ]);
    const { db } = t.database;
    const id = async (file: string) =>
      rowsOf<{ id: string }>(await db.execute(sql`SELECT id FROM file_events WHERE file_id = ${file}`))[0]!
        .id;
    const [action] = rowsOf<{ id: string }>(
      await db.execute(sql`INSERT INTO file_actions (name, kind) VALUES ('hook', 'webhook') RETURNING id`),
    );
    // Not due for a day, so the server's task runner leaves them as they are.
    const task = async (
      file: string,
      key: string,
      state: string,
      durationMs: number | null,
      cause: string | null,
    ) =>
      db.execute(sql`
        INSERT INTO file_tasks (event_id, action_id, idempotency_key, state, max_attempts, duration_ms, error_cause,
          next_attempt_at)
        VALUES (${await id(file)}::uuid, ${action!.id}::uuid, ${key}, ${state}, 3, ${durationMs}, ${cause},
          now() + interval '1 day')`);
    await task('A', 'a1', 'done', 2000, null);
    await task('A', 'a2', 'retrying', null, 'http_503');
    await task('B', 'b1', 'failed', 4000, 'build_failed');
    await task('F', 'f1', 'pending', null, null);

    const res = await t.api('GET', '/api/v1/files/stats?window=1h');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.global).toEqual({
      files: { detected: 5, uploaded: 3, failed: 2 },
      perMinute: { detected: 0.083, uploaded: 0.05, failed: 0.033 },
      queue: { files: { detected: 1, uploading: 1 }, tasks: { pending: 1, retrying: 1, processing: 0 } },
      // 600 s, 1200 s and 4200 s.
      uploadSeconds: { p50: 1200, p95: 3900 },
      tasksFinished: 2,
      taskSeconds: { p50: 3, p95: 3.9 },
      failures: {
        files: [
          { cause: 'ECONNRESET', count: 1 },
          { cause: 'SlowDown', count: 1 },
        ],
        tasks: [
          { cause: 'build_failed', count: 1 },
          { cause: 'http_503', count: 1 },
        ],
      },
    });
    const bySource = Object.fromEntries(res.body.sources.map((s: { source: string }) => [s.source, s]));
    expect(Object.keys(bySource).sort()).toEqual(['dumps', 'logs']);
    expect(bySource.dumps).toMatchObject({
      agentId: web.id,
      agentName: 'web-1',
      files: { detected: 5, uploaded: 2, failed: 1 },
      uploadSeconds: { p50: 900, p95: 1170 },
      queue: { files: { detected: 1, uploading: 1 }, tasks: { pending: 0, retrying: 1, processing: 0 } },
      tasksFinished: 2,
      failures: { files: [{ cause: 'SlowDown', count: 1 }] },
    });
    expect(bySource.logs).toMatchObject({
      files: { detected: 0, uploaded: 1, failed: 1 },
      uploadSeconds: { p50: 4200, p95: 4200 },
      queue: { tasks: { pending: 1, retrying: 0, processing: 0 } },
      tasksFinished: 0,
      taskSeconds: { p50: null, p95: null },
      failures: { files: [{ cause: 'ECONNRESET', count: 1 }], tasks: [] },
    });
    // The series: one-minute steps, adding up to the window's totals, each file in its minute.
    const { stepSeconds, points } = res.body.series;
    expect(stepSeconds).toBe(60);
    expect(points.length).toBeGreaterThanOrEqual(60);
    expect(points.length).toBeLessThanOrEqual(61);
    const sum = (k: 'detected' | 'uploaded' | 'failed') =>
      points.reduce((n: number, p: Record<string, number>) => n + p[k]!, 0);
    expect([sum('detected'), sum('uploaded'), sum('failed')]).toEqual([5, 3, 2]);
    const minuteOf = (minutesAgo: number) =>
      new Date(Math.floor((now - minutesAgo * MIN) / MIN) * MIN).toISOString();
    expect(points.find((p: { at: string }) => p.at === minuteOf(9))).toMatchObject({ failed: 1 });
    expect(points.find((p: { at: string }) => p.at === minuteOf(50))).toMatchObject({ uploaded: 1 });
    // A wider window takes the older failure in.
    expect((await t.api('GET', '/api/v1/files/stats?window=2h')).body.global.files.failed).toBe(3);
    expect((await t.api('GET', '/api/v1/files/stats?window=30s')).status).toBe(400);
    expect((await t.api('GET', '/api/v1/files/stats?window=soon')).status).toBe(400);

    const sources = await t.api('GET', '/api/v1/files/sources');
    expect(sources.status).toBe(200);
    expect(
      sources.body.items.map((s: { agentName: string; source: string; files: object }) => [
        s.agentName,
        s.source,
        s.files,
      ]),
    ).toEqual([
      ['web-1', 'dumps', { detected: 1, uploading: 1, uploaded: 2, failed: 1 }],
      ['web-1', 'logs', { detected: 0, uploading: 0, uploaded: 1, failed: 2 }],
    ]);
  });
});
