import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrate, shippedMigrations } from '../src/db/migrate.ts';
import { backends } from './backends.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(backend: (typeof all)[number], opts: { migrate?: boolean } = {}) {
  const target = await backend.fresh();
  cleanups.push(target.drop);
  const database = await openDatabase({ url: target.url, dataDir: target.dataDir, ...opts });
  cleanups.push(() => database.close());
  return { database, target };
}

async function tables(database: Database): Promise<string[]> {
  const conn = await database.connect();
  try {
    const rows = await conn.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    return rows.map((r) => r.table_name);
  } finally {
    conn.release();
  }
}

describe.each(all)('storage on $name', (backend) => {
  it('creates the schema at start and records each migration once', async () => {
    const { database } = await open(backend);
    expect(await tables(database)).toEqual(
      expect.arrayContaining(['alert_history', 'alert_instances', 'alerts', 'opsfleet_migrations']),
    );
    const conn = await database.connect();
    try {
      expect(await migrate(conn)).toEqual([]);
      const rows = await conn.query<{ version: number }>('SELECT version FROM opsfleet_migrations');
      expect(rows.map((r) => r.version)).toEqual(shippedMigrations().map((m) => m.version));
    } finally {
      conn.release();
    }
  });

  it('rolls a failing migration back, names it, and keeps what was applied before', async () => {
    const { database } = await open(backend, { migrate: false });
    const conn = await database.connect();
    try {
      const good = { version: 1, name: 'one', sql: 'CREATE TABLE kept (id int);' };
      const bad = {
        version: 2,
        name: 'broken',
        sql: 'CREATE TABLE half (id int);\nSELECT no_such_column FROM kept;',
      };
      await expect(migrate(conn, [good, bad])).rejects.toThrow(/migration 2 \(broken\) failed/);
      expect(await tables(database)).toContain('kept');
      expect(await tables(database)).not.toContain('half');
      expect((await conn.query<{ version: number }>('SELECT version FROM opsfleet_migrations')).length).toBe(
        1,
      );
    } finally {
      conn.release();
    }
  });

  it('refuses a database migrated by a newer build', async () => {
    const { database } = await open(backend);
    const conn = await database.connect();
    try {
      await conn.exec("INSERT INTO opsfleet_migrations (version, name) VALUES (9999, 'future')");
      await expect(migrate(conn)).rejects.toThrow(/migration 9999, which this build does not know/);
    } finally {
      conn.release();
    }
  });
});

describe.runIf(all.some((b) => b.name === 'postgres'))('two servers starting on one PostgreSQL', () => {
  it('apply the migrations once between them', async () => {
    const backend = all.find((b) => b.name === 'postgres')!;
    const target = await backend.fresh();
    cleanups.push(target.drop);
    const [a, b] = await Promise.all([
      openDatabase({ url: target.url, dataDir: '' }),
      openDatabase({ url: target.url, dataDir: '' }),
    ]);
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const conn = await a.connect();
    try {
      const rows = await conn.query<{ n: string }>('SELECT count(*) AS n FROM opsfleet_migrations');
      expect(Number(rows[0]!.n)).toBe(shippedMigrations().length);
    } finally {
      conn.release();
    }
  });
});
