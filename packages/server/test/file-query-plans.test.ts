import type { SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.ts';
import { fileStore, timelineCursor } from '../src/files/file-store.ts';
import { encodeCursor } from '../src/http/list-query.ts';
import { backends } from './backends.ts';
import { unindexedScans, wholeIndexScans } from './query-plan.ts';

/**
 * Every statement behind the file list, a file's detail, its sources and the statistics must be
 * served by an index: agents report millions of files, and a page or a statistic that reads them
 * all is seconds. PostgreSQL only (PGlite runs the same schema and indexes).
 */
const postgres = (await backends()).filter((b) => b.name === 'postgres');

const NOW = new Date('2026-12-07T10:00:00Z');
const HOUR_AGO = new Date(NOW.getTime() - 3_600_000);
const FILE = '00000000-0000-4000-8000-000000000001';
const AGENT = '00000000-0000-4000-8000-000000000002';
const cursor = encodeCursor('2026-12-07T09:00:00.000000Z', FILE);

const QUERIES: [string, SQL][] = [
  ['list, unfiltered', fileStore.list({ limit: 100 })],
  ['list, second page', fileStore.list({ limit: 100, cursor })],
  ['list by state', fileStore.list({ limit: 100, states: ['failed', 'uploading'] })],
  ['list by agent', fileStore.list({ limit: 100, agentId: AGENT })],
  ['list by agent and source', fileStore.list({ limit: 100, agentId: AGENT, source: 'dumps' })],
  ['list by path', fileStore.list({ limit: 100, path: 'heap-' })],
  ['list by time', fileStore.list({ limit: 100, since: HOUR_AGO, until: NOW })],
  ['detail', fileStore.file(FILE)],
  ['timeline', fileStore.timeline(FILE, 100)],
  ['timeline, next page', fileStore.timeline(FILE, 100, timelineCursor(FILE, 100))],
  ['tasks of a file', fileStore.tasks(FILE, 200)],
  ['stats detected', fileStore.detected(HOUR_AGO, NOW)],
  ['stats failed', fileStore.failed(HOUR_AGO, NOW)],
  ['stats queued files', fileStore.queuedFiles()],
  ['stats queued tasks', fileStore.queuedTasks()],
  ['stats task failures', fileStore.taskFailures(HOUR_AGO, NOW)],
  ['stats uploads', fileStore.uploads(HOUR_AGO, NOW)],
  ['stats task runs', fileStore.taskRuns(HOUR_AGO, NOW)],
  ['stats series', fileStore.buckets(HOUR_AGO, NOW, 60)],
  ['agent names', fileStore.agentNames([AGENT])],
];

describe.each(postgres)('file query plans on $name', (backend) => {
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

  it.each(QUERIES)('%s reads no large table whole', async (_name, query) => {
    expect(await unindexedScans(database.db, query)).toEqual([]);
    expect(await wholeIndexScans(database.db, query)).toEqual([]);
  });

  it('sources read the small table of watched folders whole, and each folder’s files by index', async () => {
    const query = fileStore.sources(HOUR_AGO, 2000);
    expect(await unindexedScans(database.db, query, ['file_sources'])).toEqual([]);
    expect(await wholeIndexScans(database.db, query)).toEqual([]);
  });
});
