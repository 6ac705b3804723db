import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
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
  /**
   * PostgreSQL LISTEN on a dedicated connection (re-established if it drops); every process on
   * the database hears every NOTIFY. Resolves to a function that stops listening.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  /** How pg-boss reaches this database: its own pool on PostgreSQL, an adapter on PGlite. */
  jobsConnection(): { connectionString: string } | { db: SqlExecutor };
  close(): Promise<void>;
}

/** pg-boss's custom database interface. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

const CHANNEL = /^[a-z_][a-z0-9_]*$/;
function checkChannel(channel: string): string {
  if (!CHANNEL.test(channel)) throw new Error(`invalid channel name ${channel}`);
  return channel;
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
  // pg_trgm serves the alert list's text search (migration 0007), as on PostgreSQL.
  const lite = await PGlite.create(dataDir, { extensions: { pg_trgm } });
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
    listen: async (channel, onPayload) => {
      const stop = await lite.listen(checkChannel(channel), onPayload);
      return () => stop();
    },
    notify: async (channel, payload) => {
      await lite.query('SELECT pg_notify($1, $2)', [checkChannel(channel), payload]);
    },
    jobsConnection: () => ({
      db: {
        // Statements without parameters can be several (pg-boss's schema); they need the
        // simple protocol, and pg-boss wants the rows of every statement.
        executeSql: async (text, values) => {
          if (!values?.length) {
            const results = await lite.exec(text);
            const out = results.map((r) => ({ rows: r.rows, rowCount: r.affectedRows ?? r.rows.length }));
            return (out.length === 1 ? out[0] : out) as unknown as { rows: unknown[] };
          }
          const r = await lite.query(text, values);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length } as { rows: unknown[] };
        },
      },
    }),
    close: () => lite.close(),
  };
}

/**
 * Marks a statement to prepare once per connection: PostgreSQL then parses it once and, when a
 * plan for any parameters costs no more than plans for each, stops planning it. For the
 * statements every ingested webhook runs, parsing and planning were a third of the database's
 * time. Only statements whose text does not vary with their input should carry it: each distinct
 * text stays prepared on every connection. Ignored by PGlite, where there is no round trip or
 * separate server to save work in.
 */
export const PREPARED = '/* prepared */ ';

const statementName = (text: string) =>
  `opsfleet_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;

/** A pg client that names the statements marked PREPARED, so the driver prepares them once. */
class PreparingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() overloads cannot be restated one by one.
  override query(...args: any[]): any {
    const config = args[0];
    if (config && typeof config === 'object' && !config.name && config.text?.startsWith(PREPARED))
      args[0] = { ...config, name: statementName(config.text) };
    return (super.query as (...a: unknown[]) => unknown)(...args);
  }
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10, Client: PreparingClient });
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
    listen: (channel, onPayload) => listenPostgres(url, checkChannel(channel), onPayload),
    jobsConnection: () => ({ connectionString: url }),
    notify: async (channel, payload) => {
      await pool.query('SELECT pg_notify($1, $2)', [checkChannel(channel), payload]);
    },
    close: () => pool.end(),
  };
}

/** A client of its own for LISTEN, reconnecting after a dropped connection until stopped. */
async function listenPostgres(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  const retry = () => {
    if (!stopped) setTimeout(() => connect().catch(retry), 1000);
  };
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload !== undefined) onPayload(n.payload);
    });
    c.on('error', retry);
    await c.connect();
    await c.query(`LISTEN ${channel}`);
    client = c;
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
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
