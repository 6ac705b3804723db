import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { processSecretBox } from '../src/identity/secret-box.ts';
import { IdentityService } from '../src/identity/service.ts';
import { backends } from './backends.ts';
import { testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// The first test on PGlite starts it (WebAssembly) and migrates: seconds on a busy machine.
describe.each(all)('API key use on $name', { timeout: 60_000 }, (backend) => {
  it("records a key's last use at most once a minute, however often it is used", async () => {
    const t = await testServer(backend);
    cleanups.push(t.close);
    const created = await t.api('POST', '/api/v1/api-keys', { name: 'dashboard', role: 'viewer' });
    // Every use asks the database, as a replica whose cache has expired does.
    const identity = await IdentityService.open(t.database, { box: processSecretBox(), keyCacheMs: 0 });
    cleanups.push(() => identity.close());
    const use = async () =>
      expect(await identity.authenticate(created.body.key)).toMatchObject({ kind: 'apikey' });
    const lastUsed = async (): Promise<string | null> =>
      (await t.api('GET', '/api/v1/api-keys')).body.find((k: { id: string }) => k.id === created.body.id)
        .lastUsedAt;

    expect(await lastUsed()).toBeNull();
    await use();
    const first = await lastUsed();
    expect(first).not.toBeNull();
    for (let i = 0; i < 5; i++) await use();
    // Unchanged to the millisecond: the later uses wrote nothing.
    expect(await lastUsed()).toBe(first);

    const minuteAgo = new Date(Date.now() - 61_000).toISOString();
    await t.database.db.execute(
      sql`UPDATE api_keys SET last_used_at = ${minuteAgo}::timestamptz WHERE id = ${created.body.id}::uuid`,
    );
    await use();
    expect(Date.parse((await lastUsed())!)).toBeGreaterThan(Date.parse(minuteAgo) + 60_000);
  });

  it('refuses a revoked key at the next request, though checked keys are remembered', async () => {
    const t = await testServer(backend);
    cleanups.push(t.close);
    const created = await t.api('POST', '/api/v1/api-keys', { name: 'sender', role: 'viewer' });
    const me = async () =>
      (await t.s.app.inject({ url: '/api/v1/auth/me', headers: { 'x-api-key': created.body.key } }))
        .statusCode;
    expect(await me()).toBe(200);
    // Remembered: the key's row can change under it without the server asking again...
    await t.database.db.execute(sql`UPDATE api_keys SET role = 'ingest' WHERE id = ${created.body.id}::uuid`);
    expect(await me()).toBe(200);
    // ...but a revocation through the API applies at once.
    expect((await t.api('DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect(await me()).toBe(401);
  });
});
