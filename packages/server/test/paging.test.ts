import { type SQL, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { purgeClosedAlerts } from '../src/alerts/retention.ts';
import { silenceQuery } from '../src/alerts/silences.ts';
import { type Database, type Db, openDatabase } from '../src/db/database.ts';
import { rowsOf } from '../src/db/rows.ts';
import { encodeCursor } from '../src/http/list-query.ts';
import { auditQuery, purgeAudit } from '../src/identity/audit.ts';
import { purgeOutbox } from '../src/notify/outbox-retention.ts';
import { outboxQueries } from '../src/notify/outbox-store.ts';
import { purgeFinishedCommands } from '../src/retention/commands.ts';
import { backends } from './backends.ts';
import { unindexedScans } from './query-plan.ts';
import { seedAudit, seedChannel, seedOutbox, seedSilence } from './seed.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(backend: (typeof all)[number]): Promise<TestServer & { token: string }> {
  const t = await testServer(backend);
  cleanups.push(t.close);
  const { accessToken } = await t.s.identity.login('admin', 'admin-password-1');
  return { ...t, token: accessToken };
}

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Item = any;

/** Every item of a list with a `nextCursor`, following it page by page. */
async function walk(t: TestServer, url: string): Promise<{ pages: Item[][]; items: Item[] }> {
  const pages: Item[][] = [];
  let cursor: string | null = null;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res = await t.api('GET', `${url}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    pages.push(res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor && pages.length < 50);
  return { pages, items: pages.flat() };
}

/** Every item of a list answered as an array, following its `Link: <…>; rel="next"` header. */
async function follow(t: TestServer & { token: string }, url: string): Promise<Item[][]> {
  const pages: Item[][] = [];
  let next: string | undefined = url;
  while (next && pages.length < 50) {
    const res: { statusCode: number; body: string; headers: Record<string, unknown>; json(): Item[] } =
      await t.s.app.inject({ url: next, headers: { authorization: `Bearer ${t.token}` } });
    expect(res.statusCode, res.body).toBe(200);
    pages.push(res.json());
    next = /^<([^>]+)>; rel="next"$/.exec(String(res.headers.link ?? ''))?.[1];
  }
  return pages;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

/**
 * What `unindexedScans` cannot see, with sequential scans ruled out as it does: an index scan
 * that filters without an index condition walks the whole index to find a page of matches; and,
 * for a list whose order an index must give (sorts ruled out too), a sort that remains means
 * none does, so every match is read to return one page.
 */
async function slowPaging(db: Db, query: SQL, orderFromIndex: boolean) {
  const plan = await db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL enable_seqscan = off`);
    if (orderFromIndex) await tx.execute(sql`SET LOCAL enable_sort = off`);
    return rowsOf<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      await tx.execute(sql`EXPLAIN (FORMAT JSON) ${query}`),
    )[0]!['QUERY PLAN'][0].Plan;
  });
  const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];
  return {
    sorts: nodes(plan).some((n) => n['Node Type'] === 'Sort'),
    walks: nodes(plan)
      .filter((n) => n['Node Type'].startsWith('Index') && n.Filter && !n['Index Cond'])
      .map((n) => `${n['Relation Name']}: ${n.Filter}`),
  };
}

/** The server's order: time descending, then id descending. */
const newestFirst = (rows: { at: string; id: string }[]) =>
  [...rows].sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1)).map((r) => r.id);

// The first test on PGlite starts it (WebAssembly) and migrates: seconds on a busy machine.
describe.each(all)('cursor paging on $name', { timeout: 60_000 }, (backend) => {
  it('pages the outbox, the dead letters and the delivery log newest first, each entry once, even within one microsecond', async () => {
    const t = await start(backend);
    const db = t.database.db;
    const channelId = await seedChannel(db);
    const same = '2026-12-01T10:00:00.123456Z';
    const seeded: { at: string; id: string; state: string }[] = [];
    for (const [state, at] of [
      ['delivered', same],
      ['delivered', same],
      ['delivered', same],
      ['dead', '2026-12-01T10:00:00.123457Z'],
      ['delivered', same],
      ['dead', '2026-12-01T10:00:00.123455Z'],
      ['pending', '2026-12-01T09:00:00.000001Z'],
    ] as const)
      seeded.push({ at, state, id: await seedOutbox(db, channelId, state, at, 2) });

    const outbox = await walk(t, '/api/v1/notify/outbox?limit=2');
    expect(outbox.pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    expect(outbox.items.map((i) => i.id)).toEqual(newestFirst(seeded));
    expect(outbox.items[0]).toMatchObject({
      state: 'dead',
      channelName: 'hook',
      attempts: 2,
      maxAttempts: 8,
    });

    const delivered = await walk(t, '/api/v1/notify/outbox?state=delivered&limit=3');
    expect(delivered.items.map((i) => i.id)).toEqual(
      newestFirst(seeded.filter((s) => s.state === 'delivered')),
    );

    const dead = await walk(t, '/api/v1/notify/dead-letters?limit=1');
    expect(dead.items.map((i) => i.id)).toEqual(newestFirst(seeded.filter((s) => s.state === 'dead')));

    const attempts = await walk(t, '/api/v1/notify/deliveries?limit=4');
    expect(attempts.items).toHaveLength(14);
    expect(new Set(attempts.items.map((a) => a.id)).size).toBe(14);
    expect(attempts.items[0]).toMatchObject({ outboxId: newestFirst(seeded)[0], channelName: 'hook' });
    const ok = await walk(t, '/api/v1/notify/deliveries?status=ok&limit=2');
    expect(ok.items.map((a) => a.outboxId).sort()).toEqual(
      seeded
        .filter((s) => s.state === 'delivered')
        .map((s) => s.id)
        .sort(),
    );
    const one = await walk(t, `/api/v1/notify/deliveries?outboxId=${seeded[3]!.id}&limit=1`);
    expect(one.items.map((a) => a.attempt).sort()).toEqual([1, 2]);
  });

  it('pages silences by state, what matters first, the next page named in a Link header', async () => {
    const t = await start(backend);
    const db = t.database.db;
    const h = (hours: number) => new Date(Date.now() + hours * 3_600_000);
    const id: Record<string, string> = {};
    for (const [name, starts, ends] of [
      ['active, ends in 3h', -1, 3],
      ['active, ends in 1h', -2, 1],
      ['pending, starts in 2h', 2, 5],
      ['pending, starts in 1h', 1, 6],
      ['expired 3h ago', -5, -3],
      ['expired 1h ago', -4, -1],
      ['expired 2h ago', -6, -2],
    ] as const)
      id[name] = await seedSilence(db, h(starts), h(ends), name);
    const comments = (pages: Item[][]) => pages.map((p) => p.map((s: Item) => s.comment));

    expect(comments(await follow(t, '/api/v1/silences?state=active&limit=1'))).toEqual([
      ['active, ends in 1h'],
      ['active, ends in 3h'],
    ]);
    expect(comments(await follow(t, '/api/v1/silences?state=pending&limit=5'))).toEqual([
      ['pending, starts in 1h', 'pending, starts in 2h'],
    ]);
    expect(comments(await follow(t, '/api/v1/silences?state=expired&limit=2'))).toEqual([
      ['expired 1h ago', 'expired 2h ago'],
      ['expired 3h ago'],
    ]);
    const everything = (await follow(t, '/api/v1/silences?limit=3')).flat();
    expect(everything.map((s) => s.comment)).toEqual([
      'pending, starts in 1h',
      'pending, starts in 2h',
      'active, ends in 3h',
      'active, ends in 1h',
      'expired 1h ago',
      'expired 2h ago',
      'expired 3h ago',
    ]);
    expect(everything.find((s) => s.id === id['active, ends in 1h'])).toMatchObject({
      state: 'active',
      createdBy: 'test',
      matchers: [{ name: 'team', value: 'db', type: '=' }],
    });
    // A client that reads the whole answer as the list still gets one.
    expect((await t.api('GET', '/api/v1/silences?state=expired')).body).toHaveLength(3);
  });

  it('filters the audit log by actor, action, resource prefix and time, and pages it', async () => {
    const t = await start(backend);
    const db = t.database.db;
    const entries = [
      { at: '2026-03-01T00:00:01.000001Z', actor: 'admin', action: 'user.update', resource: 'user:alice' },
      { at: '2026-03-01T00:00:02Z', actor: 'admin', action: 'user.create', resource: 'user:a_b' },
      { at: '2026-03-01T00:00:03Z', actor: 'alice', action: 'silence.create', resource: 'silence:1234' },
      { at: '2026-03-01T00:00:03Z', actor: 'apikey:ci', action: 'apikey.create', resource: 'apikey:ci' },
      { at: '2026-03-02T00:00:00Z', actor: 'alice', action: 'silence.expire', resource: 'silence:1234' },
    ];
    for (const e of entries) await seedAudit(db, e);
    const march = 'from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z';
    const actions = async (query: string) =>
      (await follow(t, `/api/v1/audit?${march}&${query}`)).flat().map((e) => e.action);

    expect(await actions('actor=alice')).toEqual(['silence.expire', 'silence.create']);
    expect(await actions('action=user.update')).toEqual(['user.update']);
    expect(await actions('resource=user:')).toEqual(['user.create', 'user.update']);
    // `_` is a character here, not LIKE's wildcard: user:alice does not start with user:a_.
    expect(await actions('resource=user:a_')).toEqual(['user.create']);
    expect(
      (await follow(t, '/api/v1/audit?resource=silence:&from=2026-03-01T00:00:03Z&to=2026-03-02T00:00:00Z'))
        .flat()
        .map((e) => e.action),
    ).toEqual(['silence.create']);

    const pages = await follow(t, `/api/v1/audit?${march}&limit=2`);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    // The two entries of the same second fall either side of a page break: the later written first.
    expect(pages.flat().map((e) => e.action)).toEqual([
      'silence.expire',
      'apikey.create',
      'silence.create',
      'user.create',
      'user.update',
    ]);
    expect(pages[0]![0]).toMatchObject({
      at: '2026-03-02T00:00:00.000Z',
      actor: 'alice',
      action: 'silence.expire',
      resource: 'silence:1234',
      before: null,
      after: null,
    });
    expect(new Set(pages.flat().map((e) => e.id)).size).toBe(5);
  });

  it('refuses a limit above the maximum and a cursor it did not issue, naming the parameter', async () => {
    const t = await start(backend);
    const tooMany = await t.api('GET', '/api/v1/notify/deliveries?limit=501');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors).toEqual([expect.objectContaining({ path: 'querystring.limit' })]);
    expect((await t.api('GET', '/api/v1/audit?limit=1001')).status).toBe(400);
    expect((await t.api('GET', '/api/v1/silences?limit=0')).status).toBe(400);
    // An audit cursor (a number for its id) given to the outbox, whose ids are UUIDs.
    const foreign = encodeCursor('2026-03-01T00:00:00.000000Z', '42');
    for (const url of [
      '/api/v1/notify/outbox?cursor=nope',
      `/api/v1/notify/dead-letters?cursor=${foreign}`,
      `/api/v1/silences?cursor=${encodeCursor('yesterday', '42')}`,
      `/api/v1/audit?cursor=${encodeCursor('2026-03-01T00:00:00.000000Z', 'x')}`,
    ]) {
      const res = await t.api('GET', url);
      expect(res.status, url).toBe(400);
      expect(res.body.errors, url).toEqual([expect.objectContaining({ path: 'querystring.cursor' })]);
    }
  });
});

describe.runIf(all.some((b) => b.name === 'postgres'))('list and retention query plans', () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const target = await all.find((b) => b.name === 'postgres')!.fresh();
    drop = target.drop;
    database = await openDatabase({ url: target.url, dataDir: '' });
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  const uuid = '6f1c2a8e-8d3b-4c1e-9a7f-0b6d5e4c3a21';
  const later = (kind: 'uuid' | 'bigint') =>
    encodeCursor('2026-03-01T00:00:00.000000Z', kind === 'uuid' ? uuid : '42');
  const now = new Date();
  const page = { limit: 100 };
  // `sorted`: the rows come from the index in the list's order, so a page reads a page of rows;
  // the others sort a set the filter keeps small (one notification's attempts, the silences not
  // yet ended, the entries of one resource prefix).
  const lists: [string, SQL, boolean][] = [
    ['delivery log', outboxQueries.deliveries(page), true],
    ['delivery log, next page', outboxQueries.deliveries({ ...page, cursor: later('bigint') }), true],
    [
      'delivery log by status',
      outboxQueries.deliveries({ ...page, status: 'failed', cursor: later('bigint') }),
      true,
    ],
    [
      'delivery log by channel',
      outboxQueries.deliveries({ ...page, channelId: uuid, cursor: later('bigint') }),
      true,
    ],
    ['attempts of one notification', outboxQueries.deliveries({ ...page, outboxId: uuid }), false],
    ['outbox', outboxQueries.items(page), true],
    ['outbox, next page', outboxQueries.items({ ...page, cursor: later('uuid') }), true],
    ['dead letters', outboxQueries.items({ ...page, state: 'dead', cursor: later('uuid') }), true],
    ['silences', silenceQuery({ ...page, cursor: later('uuid') }, now), true],
    ['active silences', silenceQuery({ ...page, state: 'active', cursor: later('uuid') }, now), true],
    ['pending silences', silenceQuery({ ...page, state: 'pending', cursor: later('uuid') }, now), false],
    ['expired silences', silenceQuery({ ...page, state: 'expired', cursor: later('uuid') }, now), true],
    ['audit log', auditQuery({ ...page, cursor: later('bigint') }), true],
    ['audit log by time', auditQuery({ ...page, from: now, to: now }), true],
    ['audit log by actor', auditQuery({ ...page, actor: 'alice', cursor: later('bigint') }), true],
    ['audit log by action', auditQuery({ ...page, action: 'user.update' }), true],
    ['audit log by resource', auditQuery({ ...page, resource: 'silence:' }), false],
  ];
  const purges: [string, SQL][] = [
    ['retention of closed alerts', purgeClosedAlerts(now, 5000)],
    ['retention of the outbox', purgeOutbox(now, 5000)],
    ['retention of the audit log', purgeAudit(now, 5000)],
    ['retention of finished commands', purgeFinishedCommands(now, 5000)],
  ];

  // Channels and rules are configuration: tens of rows, read whole whatever the plan.
  const small = ['notify_channels', 'notify_rules'];

  it.each(lists)('%s reads every large table through an index', async (_, query, sorted) => {
    expect(await unindexedScans(database.db, query, small)).toEqual([]);
    const slow = await slowPaging(database.db, query, sorted);
    expect(slow.walks).toEqual([]);
    if (sorted) expect(slow.sorts).toBe(false);
  });

  it.each(purges)('%s reads every large table through an index', async (_, query) => {
    expect(await unindexedScans(database.db, query, small)).toEqual([]);
  });
});
