import { silentLogger } from '@opsfleet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { createServer } from '../src/server.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(backend: (typeof all)[number], opts: Parameters<typeof testServer>[1] = {}) {
  const t = await testServer(backend, opts);
  cleanups.push(t.close);
  return t;
}

/** A call with someone's access token. */
async function as(
  t: TestServer,
  token: string,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  payload?: object,
) {
  const res = await t.s.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}

async function userSession(t: TestServer, username: string, role: 'admin' | 'operator' | 'viewer') {
  const user = await t.s.identity.createUser('admin', username, `${username}-password`, role);
  return { user, session: await t.s.identity.login(username, `${username}-password`) };
}

describe.each(all)('sessions on $name', (backend) => {
  it('a logout ends the access token of that login at once, and only of that login', async () => {
    const t = await start(backend);
    const { session: here } = await userSession(t, 'olga', 'operator');
    const elsewhere = await t.s.identity.login('olga', 'olga-password');
    expect((await as(t, here.accessToken, 'GET', '/api/v1/alerts')).status).toBe(200);
    const out = await t.s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      payload: { refreshToken: here.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    const after = await as(t, here.accessToken, 'GET', '/api/v1/alerts');
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/invalid, expired or revoked/);
    expect((await as(t, elsewhere.accessToken, 'GET', '/api/v1/alerts')).status).toBe(200);
  });

  it('disabling a user or changing their password ends every access token of theirs at once', async () => {
    const t = await start(backend);
    const { user, session } = await userSession(t, 'dora', 'viewer');
    expect((await as(t, session.accessToken, 'GET', '/api/v1/alerts')).status).toBe(200);
    expect((await t.api('PATCH', `/api/v1/users/${user.id}`, { disabled: true })).status).toBe(200);
    expect((await as(t, session.accessToken, 'GET', '/api/v1/alerts')).status).toBe(401);

    const { session: p } = await userSession(t, 'pete', 'viewer');
    const changed = await as(t, p.accessToken, 'POST', '/api/v1/auth/password', {
      current: 'pete-password',
      password: 'a-new-password',
    });
    expect(changed.status).toBe(204);
    expect((await as(t, p.accessToken, 'GET', '/api/v1/alerts')).status).toBe(401);
  });

  it('a demoted user loses the permission with the next request, not when the token lapses', async () => {
    const t = await start(backend);
    const { user, session } = await userSession(t, 'ada', 'admin');
    expect((await as(t, session.accessToken, 'GET', '/api/v1/users')).status).toBe(200);
    expect((await t.api('PATCH', `/api/v1/users/${user.id}`, { role: 'viewer' })).status).toBe(200);
    const refused = await as(t, session.accessToken, 'GET', '/api/v1/users');
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toBe('ada (viewer) lacks the permission user:read');
  });

  it('of five concurrent refreshes or password resets with one token exactly one succeeds', async () => {
    const t = await start(backend);
    const url = await t.s.listen(0, '127.0.0.1');
    const { user } = await userSession(t, 'rita', 'viewer');
    // Five requests on five connections at once, three rounds: a check-then-update race shows.
    const race = (path: string, body: (i: number) => object) =>
      Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          fetch(`${url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body(i)),
          }).then((r) => r.status),
        ),
      );
    for (let round = 0; round < 3; round++) {
      const { refreshToken } = await t.s.identity.login('rita', 'rita-password');
      expect((await race('/api/v1/auth/refresh', () => ({ refreshToken }))).sort()).toEqual([
        200, 401, 401, 401, 401,
      ]);
    }
    for (let round = 0; round < 3; round++) {
      const { token } = (await t.api('POST', `/api/v1/users/${user.id}/reset`)).body;
      expect(
        (await race('/api/v1/auth/reset', (i) => ({ token, password: `reset-password-${i}` }))).sort(),
      ).toEqual([204, 401, 401, 401, 401]);
    }
  });

  it('a user who must change the password can only change it, read who they are, or log out', async () => {
    // No configured password: the first admin gets a random one, to be changed.
    const target = await backend.fresh();
    cleanups.push(target.drop);
    const s = await createServer({
      database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
      log: silentLogger(),
      housekeepingMs: 0,
    });
    cleanups.push(() => s.close());
    const t = { s } as TestServer;
    const password = s.firstAdmin!.password;
    const session = await s.identity.login('admin', password);
    expect(session.user.mustChangePassword).toBe(true);
    const refused = await as(t, session.accessToken, 'GET', '/api/v1/alerts');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ title: 'Password Change Required' });
    expect(refused.body.detail).toContain('POST /api/v1/auth/password');
    expect((await as(t, session.accessToken, 'POST', '/api/v1/users', {})).status).toBe(403);
    const me = await as(t, session.accessToken, 'GET', '/api/v1/auth/me');
    expect(me).toMatchObject({ status: 200, body: { name: 'admin', mustChangePassword: true } });
    const changed = await as(t, session.accessToken, 'POST', '/api/v1/auth/password', {
      current: password,
      password: 'a-chosen-password',
    });
    expect(changed.status).toBe(204);
    const fresh = await t.s.identity.login('admin', 'a-chosen-password');
    expect(fresh.user.mustChangePassword).toBe(false);
    expect((await as(t, fresh.accessToken, 'GET', '/api/v1/alerts')).status).toBe(200);
  });

  it('refuses to demote or disable the last active admin, naming why', async () => {
    const t = await start(backend);
    const [admin] = (await t.api('GET', '/api/v1/users')).body;
    for (const change of [{ role: 'operator' }, { disabled: true }]) {
      const refused = await t.api('PATCH', `/api/v1/users/${admin.id}`, change);
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toMatch(/^admin is the last active admin; make another user admin first/);
    }
    // A disabled admin does not count: it cannot manage anything.
    const { user: other } = await userSession(t, 'otto', 'admin');
    expect((await t.api('PATCH', `/api/v1/users/${other.id}`, { disabled: true })).status).toBe(200);
    expect((await t.api('PATCH', `/api/v1/users/${admin.id}`, { role: 'viewer' })).status).toBe(409);
    expect((await t.api('PATCH', `/api/v1/users/${other.id}`, { disabled: false })).status).toBe(200);
    expect((await t.api('PATCH', `/api/v1/users/${admin.id}`, { role: 'viewer' })).status).toBe(200);
  });

  it('two admins demoting each other at once leave one admin', async () => {
    const t = await start(backend);
    const a = await userSession(t, 'anna', 'admin');
    const b = await userSession(t, 'bert', 'admin');
    const [first] = (await t.api('GET', '/api/v1/users')).body.filter(
      (u: { username: string }) => u.username === 'admin',
    );
    expect((await t.api('PATCH', `/api/v1/users/${first.id}`, { role: 'viewer' })).status).toBe(200);
    const answers = await Promise.all([
      as(t, a.session.accessToken, 'PATCH', `/api/v1/users/${b.user.id}`, { role: 'viewer' }),
      as(t, b.session.accessToken, 'PATCH', `/api/v1/users/${a.user.id}`, { role: 'viewer' }),
    ]);
    // The loser is refused by the lock (409), or, when the winner finished first, by its new role (403).
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409 || r.status === 403)).toHaveLength(1);
    const admins = (await t.s.identity.listUsers()).filter((u) => u.role === 'admin' && !u.disabled);
    expect(admins).toHaveLength(1);
  });
});
