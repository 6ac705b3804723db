import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { adminAuth, collectAuthPairs, credentialsMatch, parseAdminAuth } from './admin-auth.ts';

const basic = (u: string, p: string) => ({
  authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
});

/** The exporter's layout: /metrics and /healthz open, the admin routes behind the hook. */
async function app(pairs: ReturnType<typeof collectAuthPairs>) {
  const a = Fastify();
  a.get('/metrics', async () => 'metrics');
  a.get('/healthz', async () => ({ status: 'healthy' }));
  a.register(async (s) => {
    s.addHook('onRequest', adminAuth(pairs));
    s.get('/api/discovery/config', async () => ({ version: 1 }));
    s.post('/collect', async () => ({ status: 'triggered' }));
  });
  await a.ready();
  return a;
}

describe('collectAuthPairs (research §1.2)', () => {
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
    [
      { ADMIN_AUTH_ENABLED: 'True', ADMIN_AUTH: 'a:1', ADMIN_USERNAME: 'u', ADMIN_PASSWORD: 'p' },
      undefined,
      ['a:1', 'u:p'],
    ],
    [{ ADMIN_AUTH_ENABLED: 'true', ADMIN_USERNAME: 'u' }, undefined, []],
    [{ ADMIN_AUTH_ENABLED: 'on', ADMIN_AUTH: 'admin:x' }, undefined, []],
    [{ ADMIN_AUTH_ENABLED: '0', ADMIN_AUTH: 'admin:x' }, undefined, []],
    [{ ADMIN_AUTH: 'admin:x' }, undefined, []],
    [{}, { admin_auth_enabled: true, admin_auth: [{ username: 'a', password: 'b' }] }, ['a:b']],
    [{}, { admin_auth_enabled: 'yes', admin_auth: [{ username: 'a', password: 'b' }] }, ['a:b']],
    [{}, { admin_auth_enabled: false, admin_auth: [{ username: 'a', password: 'b' }] }, []],
    [{}, { admin_auth_enabled: true, admin_auth: null }, []],
    [{}, undefined, []],
    [
      { ADMIN_AUTH_ENABLED: 'true', ADMIN_AUTH: 'x:y' },
      { admin_auth_enabled: true, admin_auth: [{ username: 'a', password: 'b' }] },
      ['x:y'],
    ],
    [
      // Enabled in the env but nothing usable there: the server file's pairs apply.
      { ADMIN_AUTH_ENABLED: 'true', ADMIN_AUTH: 'garbage' },
      { admin_auth_enabled: true, admin_auth: [{ username: 'a', password: 'b' }] },
      ['a:b'],
    ],
  ])('%j + %j → %j', (env, conf, want) => {
    expect(collectAuthPairs(env, conf).map((p) => `${p.username}:${p.password}`)).toEqual(want);
  });
});

describe('parseAdminAuth', () => {
  it.each([
    ['admin:s3cret,ops:pw2', ['admin:s3cret', 'ops:pw2']],
    [' admin : s3cret , ops:pw2 ,', ['admin:s3cret', 'ops:pw2']],
    ['u:p:q', ['u:p:q']],
    ['u:', ['u:']],
    [':p,noColon,u:p', ['u:p']],
    ['[{"username":"a","password":"b"},{"username":"c","password":"d"}]', ['a:b', 'c:d']],
    ['[{"Username":"a","PASSWORD":"b"}]', ['a:b']],
    ['[{"username":"a"}]', ['a:']],
    // JSON without a usable pair falls back to the u:p reading, as the anchor does: the odd
    // pairs that come out keep auth on (nobody gets in) rather than silently switching it off.
    ['[{"password":"x"}]', ['[{"password":"x"}]']],
    ['{"username":"a","password":"b"}', ['{"username":"a"', '"password":"b"}']],
    ['[]', []],
    ['"a:b"', ['"a:b"']],
    ['[1,2]', []],
  ])('%s → %j', (raw, want) => {
    expect(parseAdminAuth(raw).map((p) => `${p.username}:${p.password}`)).toEqual(want);
  });
});

describe('credentialsMatch', () => {
  const pairs = [
    { username: 'admin', password: 's3cret' },
    { username: 'ops', password: 'pw2' },
  ];
  it.each([
    ['admin', 's3cret', true],
    ['ops', 'pw2', true],
    ['admin', 'pw2', false],
    ['ops', 's3cret', false],
    ['admin', 's3cret ', false],
    ['admin', '', false],
    ['', '', false],
    ['adminadminadminadmin', 's3cret', false],
  ])('%s:%s → %s', (u, p, ok) => expect(credentialsMatch(pairs, u, p)).toBe(ok));

  it('matches nothing without pairs', () => expect(credentialsMatch([], '', '')).toBe(false));
});

describe('adminAuth hook (AC-05)', () => {
  const sources: [string, Record<string, string>, Parameters<typeof collectAuthPairs>[1], string, string][] =
    [
      [
        'ADMIN_AUTH as u:p list',
        { ADMIN_AUTH_ENABLED: 'true', ADMIN_AUTH: 'admin:s3cret,ops:pw2' },
        undefined,
        'ops',
        'pw2',
      ],
      [
        'ADMIN_AUTH as JSON',
        { ADMIN_AUTH_ENABLED: 'true', ADMIN_AUTH: '[{"username":"admin","password":"s3cret"}]' },
        undefined,
        'admin',
        's3cret',
      ],
      [
        'server.yaml fallback',
        {},
        { admin_auth_enabled: true, admin_auth: [{ username: 'a', password: 'b' }] },
        'a',
        'b',
      ],
    ];

  it.each(sources)(
    '%s: 401 with a challenge, 403 for wrong credentials, 200 for the right ones',
    async (_n, env, conf, user, pass) => {
      const a = await app(collectAuthPairs(env, conf));
      const none = await a.inject({ url: '/api/discovery/config' });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Basic realm="restricted"');
      expect(none.headers['content-type']).toMatch(/^text\/plain/);
      expect(none.body).toBe('unauthorized');

      const bad = await a.inject({ url: '/api/discovery/config', headers: basic('admin', 'bad') });
      expect([bad.statusCode, bad.body]).toEqual([403, 'forbidden']);
      expect(bad.headers['content-type']).toMatch(/^text\/plain/);
      expect(bad.headers['www-authenticate']).toBeUndefined();

      const good = await a.inject({ url: '/api/discovery/config', headers: basic(user, pass) });
      expect([good.statusCode, good.json()]).toEqual([200, { version: 1 }]);
      const post = await a.inject({ method: 'POST', url: '/collect', headers: basic(user, pass) });
      expect(post.statusCode).toBe(200);
      expect((await a.inject({ method: 'POST', url: '/collect' })).statusCode).toBe(401);

      for (const url of ['/metrics', '/healthz']) expect((await a.inject({ url })).statusCode).toBe(200);
      await a.close();
    },
  );

  it('treats a malformed Authorization header as missing (401) and accepts any case of "Basic"', async () => {
    const a = await app(collectAuthPairs({ ADMIN_AUTH_ENABLED: 'true', ADMIN_AUTH: 'admin:s3cret' }));
    for (const authorization of [
      'Bearer x',
      'Basic',
      'Basic a b',
      `Basic ${Buffer.from('nocolon').toString('base64')}`,
    ]) {
      const res = await a.inject({ url: '/api/discovery/config', headers: { authorization } });
      expect([authorization, res.statusCode]).toEqual([authorization, 401]);
    }
    const lower = `basic ${Buffer.from('admin:s3cret').toString('base64')}`;
    expect(
      (await a.inject({ url: '/api/discovery/config', headers: { authorization: lower } })).statusCode,
    ).toBe(200);
    // A password may itself contain ':'; only the first one separates it from the user.
    const b = await app([{ username: 'u', password: 'p:q' }]);
    expect((await b.inject({ url: '/api/discovery/config', headers: basic('u', 'p:q') })).statusCode).toBe(
      200,
    );
    await Promise.all([a.close(), b.close()]);
  });

  it('lets everything through when no credentials are configured', async () => {
    const a = await app(collectAuthPairs({ ADMIN_AUTH: 'admin:s3cret' }));
    expect((await a.inject({ url: '/api/discovery/config' })).statusCode).toBe(200);
    expect((await a.inject({ url: '/api/discovery/config', headers: basic('x', 'y') })).statusCode).toBe(200);
    await a.close();
  });

  it('is not affected by later changes to the array it was given', async () => {
    const pairs = [{ username: 'a', password: 'b' }];
    const a = await app(pairs);
    pairs.length = 0;
    expect((await a.inject({ url: '/api/discovery/config' })).statusCode).toBe(401);
    await a.close();
  });
});
