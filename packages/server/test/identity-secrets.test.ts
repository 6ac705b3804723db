import { randomBytes } from 'node:crypto';
import { silentLogger } from '@opsfleet/core';
import { sql } from 'drizzle-orm';
import { decodeJwt, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { rowsOf } from '../src/db/rows.ts';
import { SecretBox } from '../src/identity/secret-box.ts';
import { createServer, type ServerOptions } from '../src/server.ts';
import { backends } from './backends.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(all)('the token signing secret on $name', (backend) => {
  async function on(target: { url?: string; dataDir: string }, opts: Partial<ServerOptions> = {}) {
    const database = await openDatabase({ url: target.url, dataDir: target.dataDir });
    const s = await createServer({
      database,
      log: silentLogger(),
      adminPassword: 'admin-password-1',
      housekeepingMs: 0,
      ...opts,
    }).catch(async (err) => {
      await database.close();
      throw err;
    });
    cleanups.push(() => s.close());
    return Object.assign(s, { database });
  }
  async function fresh() {
    const target = await backend.fresh();
    cleanups.push(target.drop);
    return target;
  }

  it('refuses an AUTH_SECRET shorter than 32 bytes, saying how to make one', async () => {
    const target = await fresh();
    await expect(on(target, { authSecret: 'short-secret' })).rejects.toThrow(
      /AUTH_SECRET must be at least 32 bytes, and it has 12: generate one with `openssl rand -base64 48`/,
    );
    const s = await on(target, { authSecret: randomBytes(32).toString('base64') });
    expect((await s.identity.login('admin', 'admin-password-1')).accessToken).toBeTruthy();
  });

  it('keeps nothing in the database that signs a token the server accepts', async () => {
    const s = await on(await fresh());
    const { accessToken } = await s.identity.login('admin', 'admin-password-1');
    const claims = decodeJwt(accessToken);
    const settings = rowsOf<{ key: string; value: string }>(
      await s.database.db.execute(sql`SELECT key, value FROM settings`),
    );
    expect(settings.length).toBeGreaterThan(0);
    for (const { value } of settings) {
      // What a reader of the table could forge with a value as the key, in the claims of today and of before.
      const forged = await new SignJWT({ ...claims, username: 'admin', role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(value));
      const res = await s.app.inject({
        url: '/api/v1/users',
        headers: { authorization: `Bearer ${forged}` },
      });
      expect(res.statusCode).toBe(401);
    }
    expect(
      (await s.app.inject({ url: '/api/v1/users', headers: { authorization: `Bearer ${accessToken}` } }))
        .statusCode,
    ).toBe(200);
  });

  it('needs the same encryption key on every replica, and rotates to a new one with the previous key set', async () => {
    const target = await fresh();
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const first = await on(target, { secretBox: new SecretBox(oldKey) });
    const { accessToken } = await first.identity.login('admin', 'admin-password-1');
    await first.close();
    const other = new SecretBox(newKey);
    await expect(on(target, { secretBox: other })).rejects.toThrow(
      new RegExp(
        `cannot read the token signing secret: the value was sealed with encryption key [0-9a-f]{12}, and this server has key ${other.keyId}: give every replica the same ENCRYPTION_KEY`,
      ),
    );
    const rotating = await on(target, { secretBox: new SecretBox(newKey, [oldKey]) });
    const me = { url: '/api/v1/auth/me', headers: { authorization: `Bearer ${accessToken}` } };
    expect((await rotating.app.inject(me)).statusCode).toBe(200);
    await rotating.close();
    // Sealed again with the new key: the old one is no longer needed, and tokens stay valid.
    const rotated = await on(target, { secretBox: new SecretBox(newKey) });
    expect((await rotated.app.inject(me)).statusCode).toBe(200);
  });
});
