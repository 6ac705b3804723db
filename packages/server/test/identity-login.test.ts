import { afterEach, describe, expect, it } from 'vitest';
import { processSecretBox } from '../src/identity/secret-box.ts';
import { IdentityService } from '../src/identity/service.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(backend: (typeof all)[number]) {
  const t = await testServer(backend);
  cleanups.push(t.close);
  return t;
}

async function login(t: TestServer, username: string, password: string, from: string) {
  const res = await t.s.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
    remoteAddress: from,
  });
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe.each(all)('login protection on $name', (backend) => {
  it('backs off an account after 5 failures, known or not, with the same 429 and Retry-After', async () => {
    const t = await start(backend);
    for (const name of ['admin', 'ghost']) {
      const answers = [];
      // Each attempt from another address: only the account's count can be what stops the sixth.
      for (let i = 0; i < 6; i++) answers.push(await login(t, name, 'wrong-password', `10.1.0.${i}`));
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 429]);
      expect(answers[0]!.body.detail).toBe('wrong username or password');
      const refused = answers[5]!;
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(refused.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
      expect(refused.body.detail).toMatch(/too many failed logins .*: wait \d+ s and try again/);
    }
    // While the account backs off, even the right password waits.
    expect((await login(t, 'admin', 'admin-password-1', '10.1.1.1')).status).toBe(429);
  });

  it('backs off an address after 20 failures over any accounts; other addresses still log in', async () => {
    const t = await start(backend);
    const statuses = [];
    for (let i = 0; i < 21; i++) statuses.push((await login(t, `user${i}`, 'guess', '10.2.0.1')).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect((await login(t, 'admin', 'admin-password-1', '10.2.0.1')).status).toBe(429);
    expect((await login(t, 'admin', 'admin-password-1', '10.2.0.2')).status).toBe(200);
  });

  it('doubles the wait with each further failure, and a success clears the account', async () => {
    const t = await start(backend);
    let clock = new Date('2030-01-01T00:00:00Z');
    const identity = await IdentityService.open(t.database, { box: processSecretBox(), now: () => clock });
    cleanups.push(() => identity.close());
    const attempt = (password: string) =>
      identity.login('admin', password, '10.3.0.1').then(
        () => 'ok',
        (err: { status: number; retryAfterSeconds?: number }) =>
          err.status === 429 ? `wait ${err.retryAfterSeconds}` : String(err.status),
      );
    const tick = (s: number) => {
      clock = new Date(clock.getTime() + s * 1000);
    };
    for (let i = 0; i < 5; i++) expect(await attempt('wrong')).toBe('401');
    expect(await attempt('wrong')).toBe('wait 1');
    tick(1);
    expect(await attempt('wrong')).toBe('401');
    expect(await attempt('wrong')).toBe('wait 2');
    tick(2);
    expect(await attempt('wrong')).toBe('401');
    expect(await attempt('admin-password-1')).toBe('wait 4');
    tick(4);
    expect(await attempt('admin-password-1')).toBe('ok');
    expect(await attempt('wrong')).toBe('401');
    expect(await attempt('wrong')).toBe('401');
    for (let i = 0; i < 3; i++) expect(await attempt('wrong')).toBe('401');
    // Failures 15 minutes old are forgotten: the count starts again instead of going on at 6.
    tick(16 * 60);
    expect(await attempt('wrong')).toBe('401');
    expect(await attempt('wrong')).toBe('401');
  });

  it('answers an unknown user as slowly as a wrong password for a known one', async () => {
    const t = await start(backend);
    const names = ['kara', 'kurt', 'kyle', 'kemal', 'kira'];
    for (const name of names) await t.s.identity.createUser('admin', name, `${name}-password`, 'viewer');
    const known: number[] = [];
    const unknown: number[] = [];
    // Alternating, so that load on the machine falls on both kinds alike; 4 failures per known
    // user and one address per attempt stay under the back-off.
    for (let i = 0; i < 20; i++) {
      for (const [times, name] of [
        [known, names[i % names.length]!],
        [unknown, `nobody${i}`],
      ] as const) {
        const started = performance.now();
        const answer = await login(t, name, 'not-the-password', `10.4.${i}.${times === known ? 1 : 2}`);
        times.push(performance.now() - started);
        expect(answer.status).toBe(401);
      }
    }
    // Before the dummy hash, an unknown user answered ~10 times faster.
    const ratio = median(unknown) / median(known);
    expect(
      ratio,
      `unknown ${median(unknown).toFixed(1)} ms, known ${median(known).toFixed(1)} ms`,
    ).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1.7);
  });
});
