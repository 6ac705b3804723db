import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { adminAuth, collectAuthPairs } from './admin-auth.ts';

const basic = (u: string, p: string) => ({
  authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
});

async function app(pairs: ReturnType<typeof collectAuthPairs>) {
  const a = Fastify();
  a.get('/open', async () => 'open');
  a.register(async (s) => {
    s.addHook('onRequest', adminAuth(pairs));
    s.get('/admin', async () => 'secret');
  });
  await a.ready();
  return a;
}

describe('collectAuthPairs (AC-05)', () => {
  it.each([
    [
      { ADMIN_AUTH_ENABLED: 'true', ADMIN_AUTH: 'admin:s3cret,ops:pw2' },
      undefined,
      ['admin:s3cret', 'ops:pw2'],
    ],
    [
      { ADMIN_AUTH_ENABLED: 'YES', ADMIN_AUTH: '[{"username":"admin","password":"s3cret"}]' },
      undefined,
      ['admin:s3cret'],
    ],
    [
      { ADMIN_AUTH_ENABLED: '1', ADMIN_USERNAME: 'u', ADMIN_PASSWORD: 'p:with:colons' },
      undefined,
      ['u:p:with:colons'],
    ],
    [{ ADMIN_AUTH: 'admin:x' }, undefined, []],
    [{}, { admin_auth_enabled: true, admin_auth: [{ username: 'a', password: 'b' }] }, ['a:b']],
    [{}, { admin_auth_enabled: false, admin_auth: [{ username: 'a', password: 'b' }] }, []],
    [
      { ADMIN_AUTH_ENABLED: 'true', ADMIN_AUTH: 'x:y' },
      { admin_auth_enabled: true, admin_auth: [{ username: 'a', password: 'b' }] },
      ['x:y'],
    ],
  ])('%j + %j → %j', (env, conf, want) => {
    expect(collectAuthPairs(env, conf).map((p) => `${p.username}:${p.password}`)).toEqual(want);
  });
});

describe('adminAuth', () => {
  it('answers 401 with a challenge without credentials, 403 for wrong ones, 200 for any right pair', async () => {
    const a = await app(collectAuthPairs({ ADMIN_AUTH_ENABLED: 'true', ADMIN_AUTH: 'admin:s3cret,ops:pw2' }));
    const none = await a.inject({ url: '/admin' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="restricted"');
    expect(none.body).toBe('unauthorized');
    const bad = await a.inject({ url: '/admin', headers: basic('admin', 'bad') });
    expect([bad.statusCode, bad.body]).toEqual([403, 'forbidden']);
    expect((await a.inject({ url: '/admin', headers: basic('ops', 'pw2') })).statusCode).toBe(200);
    expect((await a.inject({ url: '/admin', headers: { authorization: 'Bearer x' } })).statusCode).toBe(401);
    expect((await a.inject({ url: '/open' })).statusCode).toBe(200);
  });

  it('lets everything through when no credentials are configured', async () => {
    const a = await app([]);
    expect((await a.inject({ url: '/admin' })).statusCode).toBe(200);
  });
});
