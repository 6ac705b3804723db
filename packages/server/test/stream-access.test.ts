import { eventually } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_PRINCIPAL } from '../src/alerts/stream-route.ts';
import { backends } from './backends.ts';
import { testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An open alert stream: whether the server has ended it yet. */
interface OpenStream {
  status: number;
  ended(): boolean;
  close(): void;
}

async function openStream(url: string, headers: Record<string, string>): Promise<OpenStream> {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/v1/alerts/stream`, { headers, signal: ac.signal });
  let ended = false;
  if (res.ok)
    void (async () => {
      const reader = res.body!.getReader();
      try {
        while (!(await reader.read()).done);
      } catch {
        // aborted by close()
      }
      ended = true;
    })();
  else await res.body?.cancel();
  cleanups.push(async () => ac.abort());
  return { status: res.status, ended: () => ended, close: () => ac.abort() };
}

describe.each(all)('live streams on $name', (backend) => {
  async function serve() {
    const t = await testServer(backend);
    cleanups.push(t.close);
    return { t, url: await t.s.listen(0, '127.0.0.1') };
  }

  it('ends a stream when its login is logged out, its user disabled or its key revoked', async () => {
    const { t, url } = await serve();
    await t.s.identity.createUser('admin', 'lena', 'lena-password', 'viewer');
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    const loggedOut = await t.s.identity.login('lena', 'lena-password');
    const kept = await t.s.identity.login('lena', 'lena-password');
    const a = await openStream(url, bearer(loggedOut.accessToken));
    const b = await openStream(url, bearer(kept.accessToken));
    expect([a.status, b.status]).toEqual([200, 200]);
    await t.s.identity.logout(loggedOut.refreshToken);
    await eventually('the logged-out stream ended', () => a.ended());
    expect(b.ended()).toBe(false);

    const lena = (await t.api('GET', '/api/v1/users')).body.find(
      (u: { username: string }) => u.username === 'lena',
    );
    await t.api('PATCH', `/api/v1/users/${lena.id}`, { disabled: true });
    await eventually('the disabled user stream ended', () => b.ended());

    const key = (await t.api('POST', '/api/v1/api-keys', { name: 'wallboard', role: 'viewer' })).body;
    const c = await openStream(url, { 'x-api-key': key.key });
    expect(c.status).toBe(200);
    await t.api('DELETE', `/api/v1/api-keys/${key.id}`);
    await eventually('the revoked key stream ended', () => c.ended());
  });

  it('ends a stream when its user is demoted to a role that may not read alerts', async () => {
    const { t, url } = await serve();
    const user = await t.s.identity.createUser('admin', 'ivan', 'ivan-password', 'viewer');
    const { accessToken } = await t.s.identity.login('ivan', 'ivan-password');
    const s = await openStream(url, { authorization: `Bearer ${accessToken}` });
    await t.api('PATCH', `/api/v1/users/${user.id}`, { role: 'operator' });
    expect(s.ended()).toBe(false);
    await t.api('PATCH', `/api/v1/users/${user.id}`, { role: 'ingest' });
    await eventually('the demoted user stream ended', () => s.ended());
  });

  it(`allows ${MAX_STREAMS_PER_PRINCIPAL} streams per user, then answers 429 until one closes`, async () => {
    const { t, url } = await serve();
    await t.s.identity.createUser('admin', 'tabby', 'tabby-password', 'viewer');
    const { accessToken } = await t.s.identity.login('tabby', 'tabby-password');
    const headers = { authorization: `Bearer ${accessToken}` };
    const open: OpenStream[] = [];
    for (let i = 0; i < MAX_STREAMS_PER_PRINCIPAL; i++) open.push(await openStream(url, headers));
    expect(open.every((s) => s.status === 200)).toBe(true);
    const refused = await fetch(`${url}/api/v1/alerts/stream`, { headers });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(
      /^tabby has 10 live streams open on this server, the most one user or API key may have: close one/,
    );
    // Another user has slots of their own.
    const admin = await t.s.identity.login('admin', 'admin-password-1');
    expect((await openStream(url, { authorization: `Bearer ${admin.accessToken}` })).status).toBe(200);
    open[0]!.close();
    await eventually(
      'a slot freed by the closed stream',
      async () => {
        const s = await openStream(url, headers);
        if (s.status !== 200) s.close();
        return s.status === 200;
      },
      { everyMs: 100 },
    );
  });
});
