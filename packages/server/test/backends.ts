import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The two storage backends every server integration test runs on: embedded PGlite in a
 * temporary folder, and the PostgreSQL on this machine (`TEST_DATABASE_URL`, default
 * postgres://postgres@127.0.0.1:5432/test) in a fresh database per test. PostgreSQL missing
 * fails the suite under CI=true and is reported and skipped otherwise.
 */
export interface Backend {
  name: 'pglite' | 'postgres';
  /** A fresh, empty database: its URL (PostgreSQL) or data folder (PGlite), and a cleanup. */
  fresh(): Promise<{ url?: string; dataDir: string; drop(): Promise<void> }>;
}

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * The empty PGlite folder the global setup made (pglite-template.ts), or one made here when
 * a test runs without it; each fresh database is a copy, as initdb alone takes seconds.
 */
let template: Promise<string> | undefined;
function pgliteTemplate(): Promise<string> {
  const made = process.env.OPSFLEET_PGLITE_TEMPLATE;
  if (made) return Promise.resolve(made);
  template ??= (async () => {
    const { default: setup } = await import('./pglite-template.ts');
    process.once('exit', await setup());
    return process.env.OPSFLEET_PGLITE_TEMPLATE!;
  })();
  return template;
}

const pglite: Backend = {
  name: 'pglite',
  fresh: async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'opsfleet-pglite-'));
    cpSync(await pgliteTemplate(), dataDir, { recursive: true });
    return { dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

const postgres: Backend = {
  name: 'postgres',
  fresh: async () => {
    const name = `opsfleet_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      dataDir: '',
      drop: async () => {
        const c = new pg.Client({ connectionString: ADMIN_URL });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  },
};

export async function backends(): Promise<Backend[]> {
  if (await postgresReachable()) return [pglite, postgres];
  if (process.env.CI === 'true')
    throw new Error(`PostgreSQL is required under CI and is not reachable at ${ADMIN_URL}`);
  process.stderr.write(`PostgreSQL not reachable at ${ADMIN_URL}: server tests run on PGlite only\n`);
  return [pglite];
}
