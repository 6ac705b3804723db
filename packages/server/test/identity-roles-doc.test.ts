import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedRoutes } from '../src/identity/auth.ts';
import { rolesMarkdown } from '../src/identity/roles-doc.ts';
import { backends } from './backends.ts';
import { testServer } from './test-server.ts';

const [backend] = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('docs/security/roles.md', () => {
  it('is what the permission table and the registered routes say today', async () => {
    const t = await testServer(backend!);
    cleanups.push(t.close);
    const committed = readFileSync(join(import.meta.dirname, '../../../docs/security/roles.md'), 'utf8');
    expect(committed, 'docs/security/roles.md is stale: run `npx tsx scripts/gen-security-roles.ts`').toBe(
      rolesMarkdown(guardedRoutes(t.s.app)),
    );
  });

  it('lists every route that needs a permission under it, with the roles that have it', async () => {
    const t = await testServer(backend!);
    cleanups.push(t.close);
    const doc = rolesMarkdown(guardedRoutes(t.s.app));
    expect(doc).toContain('### `user:write`\n\nRoles: admin.\n');
    expect(doc).toMatch(
      /### `alert:read`\n\nRoles: admin, operator, viewer\.\n\n(- `[A-Z]+ \/api\/[^`]+`\n)*- `GET \/api\/v1\/alerts\/stream`/,
    );
    expect(doc).toContain('| `alert:ingest` | ✓ | ✓ |  | ✓ | ✓ |');
  });
});
