import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupQueries } from '../src/notify/group-queries.ts';
import { backends } from './backends.ts';
import { unindexedScans, wholeIndexScans } from './query-plan.ts';
import { type TestServer, testServer } from './test-server.ts';

const postgres = (await backends()).find((b) => b.name === 'postgres');

const GROUP = '00000000-0000-4000-8000-000000000001';
const RULE = '00000000-0000-4000-8000-000000000002';
const now = new Date('2026-11-25T10:00:00Z');
const member = { group_id: GROUP, fp: 'fp-1' };

/**
 * Every statement the router runs on groups and members reaches them through an index, so a
 * change costs the same in a group of ten alerts as in a group of a hundred thousand.
 */
const QUERIES: [string, SQL][] = [
  ['due groups', groupQueries.due(now, 500)],
  ['changed members and firing counts', groupQueries.changes([GROUP])],
  ['a reminder sample', groupQueries.sample([GROUP], 20)],
  [
    'new members joining groups',
    groupQueries.join([{ rule_id: RULE, group_key: 'k', labels: {}, fp: 'fp-1' }], now),
  ],
  [
    'waking the groups of changed alerts',
    groupQueries.wake(['fp-1'], [{ rule_id: RULE, wait_ms: 0, interval_ms: 1000 }], now),
  ],
  ['marking members changed', groupQueries.touch(['fp-1'])],
  [
    'what members were told',
    groupQueries.tell([{ ...member, instance_id: null, notified: 'firing', recheck: false }]),
  ],
  ['members dropped', groupQueries.drop([member])],
  [
    'group timers',
    groupQueries.schedule([
      { id: GROUP, last_sent_at: null, next_check_at: null, escalate_at: null, step: 0, seq: 1 },
    ]),
  ],
  ['finished groups', groupQueries.finish([GROUP])],
  ['the next due group', groupQueries.nextCheck(now)],
];

describe.skipIf(!postgres)('notification router query plans on PostgreSQL', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(postgres!);
    // Plans are chosen from statistics: on empty tables every index is as small as can be, and
    // reading one whole (the open alerts' list index, say) looks as cheap as a key lookup.
    await t.database.db.execute(sql`
      INSERT INTO alerts (fingerprint, name, labels, annotations, severity, source, state, first_seen, last_seen)
      SELECT 'fill-' || n, 'Fill', jsonb_build_object('n', n::text), '{}', 'warning', 'test',
             CASE WHEN n % 10 = 0 THEN 'firing' ELSE 'closed' END, now(), now() - n * interval '1 second'
      FROM generate_series(1, 20000) n`);
    await t.database.db.execute(sql`ANALYZE alerts`);
  }, 60_000);
  afterAll(() => t?.close());

  it.each(QUERIES)('%s: no table or index read whole', async (_, query) => {
    expect(await unindexedScans(t.database.db, query)).toEqual([]);
    expect(await wholeIndexScans(t.database.db, query)).toEqual([]);
  });
});
