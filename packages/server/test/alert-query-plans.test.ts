import type { SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertQueries } from '../src/alerts/queries.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { encodeCursor } from '../src/http/list-query.ts';
import { backends } from './backends.ts';
import { unindexedScans, wholeIndexScans } from './query-plan.ts';

/**
 * Every statement behind the alert API and housekeeping, as the service builds it, must be
 * servable by an index, and must not read an index end to end either: at 500k alerts a
 * sequential scan is seconds per page. PostgreSQL only (PGlite runs the same schema and indexes).
 */
const postgres = (await backends()).filter((b) => b.name === 'postgres');

const NOW = new Date('2026-11-25T10:00:00Z');
const DAY_AGO = new Date(NOW.getTime() - 86_400_000);
const cursor = encodeCursor(NOW.toISOString(), 'f0');

const QUERIES: [string, SQL][] = [
  ['list, unfiltered', alertQueries.list({ limit: 50 })],
  ['list, second page', alertQueries.list({ limit: 50, cursor })],
  ['list by state', alertQueries.list({ limit: 50, states: ['firing', 'acknowledged'] })],
  ['list by severity', alertQueries.list({ limit: 50, severities: ['critical'] })],
  ['list by source', alertQueries.list({ limit: 50, source: 'vmalert' })],
  ['list by label', alertQueries.list({ limit: 50, labels: { instance: 'db-1' } })],
  [
    'list of open alerts by severity and label',
    alertQueries.list({
      limit: 50,
      states: ['firing', 'acknowledged'],
      severities: ['critical'],
      labels: { cluster: 'c1' },
    }),
  ],
  ['list by time', alertQueries.list({ limit: 50, from: DAY_AGO, to: NOW })],
  ['text search', alertQueries.list({ limit: 50, text: 'disk full' })],
  ['text search with a state', alertQueries.list({ limit: 50, text: 'disk', states: ['firing'] })],
  ['text search, newest window', alertQueries.list({ limit: 50, text: 'disk' }, 2000)],
  ['detail', alertQueries.summary('f0')],
  ['detail instances', alertQueries.instances('f0', 50)],
  ['detail instances, next page', alertQueries.instances('f0', 50, cursor)],
  ['detail history', alertQueries.history('f0', 100)],
  ['detail history, next page', alertQueries.history('f0', 100, encodeCursor(NOW.toISOString(), '42'))],
  ['stats by state', alertQueries.byState()],
  ['stats open by severity', alertQueries.openBySeverity()],
  ['stats started', alertQueries.buckets('starts_at', DAY_AGO, NOW, 3600)],
  ['stats resolved', alertQueries.buckets('resolved_at', DAY_AGO, NOW, 3600)],
  ['stats MTTA', alertQueries.meanSince('acknowledged_at', DAY_AGO, NOW)],
  ['stats MTTR', alertQueries.meanSince('resolved_at', DAY_AGO, NOW)],
  [
    'housekeeping, no silence',
    alertQueries.openCandidates({
      now: NOW,
      timeoutMs: 3_600_000,
      anySilence: false,
      after: '',
      limit: 1000,
    }),
  ],
  [
    'housekeeping, a silence active',
    alertQueries.openCandidates({ now: NOW, timeoutMs: 3_600_000, anySilence: true, after: '', limit: 1000 }),
  ],
  ['closing resolved alerts', alertQueries.dueToClose(DAY_AGO, 1000)],
];

describe.each(postgres)('alert query plans on $name', (backend) => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const target = await backend.fresh();
    drop = target.drop;
    database = await openDatabase({ url: target.url, dataDir: target.dataDir });
  });
  afterAll(async () => {
    await database.close();
    await drop();
  });

  it.each(QUERIES)('%s reads no large table whole', async (name, query) => {
    expect(await unindexedScans(database.db, query)).toEqual([]);
    // The open-by-severity count reads a partial index that holds only the open alerts.
    const small = name === 'stats open by severity' ? ['alerts_open_list_idx'] : [];
    expect((await wholeIndexScans(database.db, query)).filter((i) => !small.includes(i))).toEqual([]);
  });
});
