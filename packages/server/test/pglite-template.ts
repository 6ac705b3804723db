import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';

/**
 * Vitest global setup: one empty PGlite folder, initialised before any test runs, that every
 * server test copies for a fresh database (backends.ts). initdb takes seconds (15 s on a loaded
 * 2-core machine); paying it once keeps the tests inside their timeouts under load. It is not
 * migrated, so a fresh database is as empty as a fresh PostgreSQL one.
 */
export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-pglite-template-'));
  await (await openDatabase({ dataDir: dir, migrate: false })).close();
  process.env.OPSFLEET_PGLITE_TEMPLATE = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
