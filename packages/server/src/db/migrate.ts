import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** What migrations need from a connection: run one SQL text (many statements) and a query. */
export interface SqlRunner {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Found through the package, not this module's location, so the bundled build finds them too.
const DIR = join(
  dirname(createRequire(import.meta.url).resolve('@opsfleet/server/package.json')),
  'src/db/migrations',
);
// Any constant shared by every replica: two servers starting together apply migrations once.
const LOCK_KEY = 7_200_417;

/** The migrations shipped with this build, `NNNN_name.sql`, in version order. */
export function shippedMigrations(dir = DIR): Migration[] {
  return readdirSync(dir)
    .map((file) => /^(\d{4})_(.+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, m[0]), 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

/**
 * Applies the migrations not yet recorded in `opsfleet_migrations`, each in its own
 * transaction, under an advisory lock. Returns the versions applied now. A database that is
 * newer than this build (an unknown recorded version) is refused rather than run against.
 */
export async function migrate(db: SqlRunner, migrations = shippedMigrations()): Promise<number[]> {
  await db.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
  try {
    await db.exec(
      'CREATE TABLE IF NOT EXISTS opsfleet_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await db.query<{ version: number }>('SELECT version FROM opsfleet_migrations')).map((r) => r.version),
    );
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...done].filter((v) => !known.has(v));
    if (unknown.length)
      throw new Error(
        `the database has migration ${unknown.join(', ')}, which this build does not know: run a newer opsfleet against it`,
      );
    const applied: number[] = [];
    for (const m of migrations.filter((x) => !done.has(x.version))) {
      try {
        await db.exec(
          `BEGIN;\n${m.sql}\nINSERT INTO opsfleet_migrations (version, name) VALUES (${m.version}, '${m.name.replace(/'/g, "''")}');\nCOMMIT;`,
        );
      } catch (err) {
        await db.exec('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
  }
}
