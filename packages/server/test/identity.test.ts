import { silentLogger } from '@opsfleet/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { createServer, type Server } from '../src/server.ts';
import { backends } from './backends.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(backend: (typeof all)[number], adminPassword?: string): Promise<Server> {
  const target = await backend.fresh();
  cleanups.push(target.drop);
  const s = await createServer({
    database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
    log: silentLogger(),
    adminPassword,
  });
  cleanups.push(() => s.close());
  return s;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(all)('identity on $name', (backend) => {
  it('creates the first admin once, with a random password to show when none is configured', async () => {
    const s = await start(backend);
    expect(s.firstAdmin?.username).toBe('admin');
    expect(s.firstAdmin!.password.length).toBeGreaterThanOrEqual(12);
    const login = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: s.firstAdmin!.password },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json().user).toMatchObject({ role: 'admin', mustChangePassword: true });
    expect(await s.identity.ensureFirstAdmin()).toBeUndefined();
  });

  it('logs in, rotates refresh tokens, detects a reused one, and logs out', async () => {
    const s = await start(backend, 'admin-password-1');
    const bad = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: 'nope' },
    });
    expect(bad.statusCode).toBe(401);
    const first = await s.identity.login('admin', 'admin-password-1');
    const me = await s.app.inject({ url: '/api/v1/auth/me', headers: bearer(first.accessToken) });
    expect(me.json()).toMatchObject({ kind: 'user', name: 'admin', role: 'admin' });
    const second = await s.identity.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    // The first token was already exchanged. Again at once, it is a racing duplicate: refused, and
    // the session that won lives on.
    await expect(s.identity.refresh(first.refreshToken)).rejects.toMatchObject({ status: 401 });
    const still = await s.app.inject({ url: '/api/v1/auth/me', headers: bearer(second.accessToken) });
    expect(still.statusCode).toBe(200);
    // Again later, it leaked: that revokes the whole family.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 11_000 });
    try {
      await expect(s.identity.refresh(first.refreshToken)).rejects.toMatchObject({ status: 401 });
      await expect(s.identity.refresh(second.refreshToken)).rejects.toMatchObject({ status: 401 });
    } finally {
      vi.useRealTimers();
    }
    const third = await s.identity.login('admin', 'admin-password-1');
    const out = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      payload: { refreshToken: third.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    await expect(s.identity.refresh(third.refreshToken)).rejects.toMatchObject({ status: 401 });
  });

  it('enforces roles on every route: 401 without a credential, 403 without the permission', async () => {
    const s = await start(backend, 'admin-password-1');
    const admin = await s.identity.login('admin', 'admin-password-1');
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin.accessToken),
      payload: { username: 'victor', password: 'viewer-password', role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);
    const viewer = await s.identity.login('victor', 'viewer-password');
    expect((await s.app.inject({ url: '/api/v1/alerts' })).statusCode).toBe(401);
    expect((await s.app.inject({ url: '/api/v1/alerts', headers: bearer('garbage') })).statusCode).toBe(401);
    expect(
      (await s.app.inject({ url: '/api/v1/alerts', headers: bearer(viewer.accessToken) })).statusCode,
    ).toBe(200);
    const forbidden = await s.app.inject({ url: '/api/v1/users', headers: bearer(viewer.accessToken) });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().detail).toContain('user:read');
    const dup = await s.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin.accessToken),
      payload: { username: 'victor', password: 'another-password', role: 'viewer' },
    });
    expect(dup.statusCode).toBe(409);
    const weak = await s.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin.accessToken),
      payload: { username: 'Bad Name', password: 'short', role: 'boss' },
    });
    expect(weak.statusCode).toBe(400);
    expect(
      weak
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['body.password', 'body.role', 'body.username']);
  });

  it('accepts an API key in all three forms, shows it once, stores only its hash, and honours revocation', async () => {
    const s = await start(backend, 'admin-password-1');
    const admin = await s.identity.login('admin', 'admin-password-1');
    const made = (
      await s.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: bearer(admin.accessToken),
        payload: { name: 'alertmanager' },
      })
    ).json();
    expect(made).toMatchObject({ role: 'ingest', key: expect.stringMatching(/^ofk_[0-9a-f]{12}_/) });
    const listed = (await s.app.inject({ url: '/api/v1/api-keys', headers: bearer(admin.accessToken) })).body;
    expect(listed).toContain(made.prefix);
    expect(listed).not.toContain(made.key);
    const forms = [
      { 'x-api-key': made.key },
      bearer(made.key),
      { authorization: `Basic ${Buffer.from(`api_key:${made.key}`).toString('base64')}` },
    ];
    for (const headers of forms) {
      const res = await s.app.inject({ method: 'POST', url: '/api/v2/alerts', headers, payload: [] });
      expect(res.statusCode).toBe(202);
    }
    // An ingest key pushes alerts and can do nothing else.
    expect((await s.app.inject({ url: '/api/v1/alerts', headers: forms[0] })).statusCode).toBe(403);
    const del = await s.app.inject({
      method: 'DELETE',
      url: `/api/v1/api-keys/${made.id}`,
      headers: bearer(admin.accessToken),
    });
    expect(del.statusCode).toBe(204);
    const revoked = await s.app.inject({
      method: 'POST',
      url: '/api/v2/alerts',
      headers: forms[0],
      payload: [],
    });
    expect(revoked.statusCode).toBe(401);
  });

  it('changes and resets passwords, ending existing sessions, and audits every change', async () => {
    const s = await start(backend, 'admin-password-1');
    const admin = await s.identity.login('admin', 'admin-password-1');
    const user = await s.identity.createUser('admin', 'olga', 'operator-password', 'operator');
    const olga = await s.identity.login('olga', 'operator-password');
    const wrong = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: bearer(olga.accessToken),
      payload: { current: 'not-my-password', password: 'a-new-password' },
    });
    // The session stays valid: a wrong current password is a field error, not a lost login.
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors).toEqual([
      { path: 'body.current', message: 'type the password you logged in with' },
    ]);
    const changed = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: bearer(olga.accessToken),
      payload: { current: 'operator-password', password: 'a-new-password' },
    });
    expect(changed.statusCode).toBe(204);
    await expect(s.identity.refresh(olga.refreshToken)).rejects.toMatchObject({ status: 401 });
    await expect(s.identity.login('olga', 'operator-password')).rejects.toMatchObject({ status: 401 });
    const { token } = (
      await s.app.inject({
        method: 'POST',
        url: `/api/v1/users/${user.id}/reset`,
        headers: bearer(admin.accessToken),
      })
    ).json();
    const reset = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/reset',
      payload: { token, password: 'reset-password-9' },
    });
    expect(reset.statusCode).toBe(204);
    expect((await s.identity.login('olga', 'reset-password-9')).user.username).toBe('olga');
    const again = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/reset',
      payload: { token, password: 'reset-password-0' },
    });
    expect(again.statusCode).toBe(401);
    await s.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: bearer(admin.accessToken),
      payload: { disabled: true },
    });
    await expect(s.identity.login('olga', 'reset-password-9')).rejects.toMatchObject({ status: 401 });
    const audit = (await s.app.inject({ url: '/api/v1/audit', headers: bearer(admin.accessToken) })).json();
    expect(audit.map((a: { action: string; actor: string }) => `${a.actor} ${a.action}`)).toEqual([
      'admin user.update',
      'reset-token user.password',
      'admin user.reset',
      'olga user.password',
      'admin user.create',
      'system user.create',
    ]);
    const update = audit[0];
    expect(update.before).toMatchObject({ disabled: false });
    expect(update.after).toMatchObject({ disabled: true });
    expect(JSON.stringify(audit)).not.toContain('password_hash');
  });
});

describe('route guard', () => {
  it('refuses to register an API route that declares no permission', async () => {
    const s = await start(all[0]!, 'admin-password-1');
    expect(() => s.app.get('/api/v1/forgotten', async () => ({ open: true }))).toThrow(
      /GET \/api\/v1\/forgotten declares no permission/,
    );
  });
});
