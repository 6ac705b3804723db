import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { migrate, type SqlRunner } from './migrate.ts';
import * as schema from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** One dedicated connection (migrations, LISTEN); released when done. */
export interface Connection extends SqlRunner {
  release(): void;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  connect(): Promise<Connection>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `DATABASE_URL`: PostgreSQL; without it an embedded PGlite database lives in `dataDir`. */
  url?: string;
  dataDir: string;
  /** Apply pending migrations (the server does at start; `opsfleet migrate` does only that). */
  migrate?: boolean;
}

async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const lite = await PGlite.create(dataDir);
  // PGlite is one connection; "connecting" hands out the same one.
  const conn: Connection = {
    exec: async (sql) => {
      await lite.exec(sql);
    },
    query: async <T>(sql: string, params?: unknown[]) => (await lite.query<T>(sql, params)).rows,
    release: () => undefined,
  };
  return {
    kind: 'pglite',
    db: drizzlePglite(lite, { schema }) as unknown as Db,
    connect: async () => conn,
    close: () => lite.close(),
  };
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return {
    kind: 'postgres',
    db: drizzlePg(pool, { schema }) as unknown as Db,
    connect: async () => {
      const client = await pool.connect();
      return {
        exec: async (sql) => {
          await client.query(sql);
        },
        query: async <T>(sql: string, params?: unknown[]) =>
          (await client.query(sql, params as unknown[])).rows as T[],
        release: () => client.release(),
      };
    },
    close: () => pool.end(),
  };
}

/** Opens the configured database and, unless told not to, brings its schema up to date. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const database = opts.url ? await openPostgres(opts.url) : await openPglite(opts.dataDir);
  if (opts.migrate !== false) {
    const conn = await database.connect();
    try {
      await migrate(conn);
      conn.release();
    } catch (err) {
      conn.release();
      await database.close();
      throw err;
    }
  }
  return database;
}
