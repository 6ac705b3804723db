/** Writes docs/security/roles.md from the permission table and the server's routes: `npx tsx scripts/gen-security-roles.ts`. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@opsfleet/core';
import { openDatabase } from '../packages/server/src/db/database.ts';
import { guardedRoutes } from '../packages/server/src/identity/auth.ts';
import { rolesMarkdown } from '../packages/server/src/identity/roles-doc.ts';
import { createServer } from '../packages/server/src/server.ts';

// The routes exist only in a running server: one on a throwaway embedded database.
const dir = mkdtempSync(join(tmpdir(), 'opsfleet-roles-'));
try {
  const server = await createServer({
    database: await openDatabase({ dataDir: dir }),
    log: silentLogger(),
    housekeepingMs: 0,
  });
  const routes = guardedRoutes(server.app);
  await server.close();
  writeFileSync(join(import.meta.dirname, '../docs/security/roles.md'), rolesMarkdown(routes));
  process.stdout.write(`docs/security/roles.md: ${routes.length} routes\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
