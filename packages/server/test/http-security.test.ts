import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@opsfleet/core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const [backend] = await backends();

function consoleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-console-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>opsfleet console</title>');
  return dir;
}

describe('security headers and CORS', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend!, { consoleDir: consoleDir() });
  }, 60_000);
  afterAll(() => t.close());

  it.each([
    ['the console', '/'],
    ['a console page the browser routes', '/alerts/abc'],
    ['an API answer', '/api/v1/alerts'],
    ['an API error', '/api/v1/nope'],
    ['the API docs', '/api/docs/static/index.html'],
  ])('%s carries CSP, frame-ancestors, nosniff and no referrer', async (_what, url) => {
    const res = await t.s.app.inject({ url });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('grants no other origin access: no CORS headers on a preflight or a credentialed read', async () => {
    const origin = 'https://evil.example';
    const preflight = await t.s.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/alerts',
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    const read = await t.s.app.inject({ url: '/api/v1/alerts', headers: { origin } });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('/metrics credentials', () => {
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('is open when METRICS_AUTH is not set', async () => {
    const t = await testServer(backend!);
    try {
      expect((await t.s.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it.each([
    [
      'basic',
      { basic: { username: 'prometheus', password: 'scrape-secret-1' } },
      basic('prometheus', 'scrape-secret-1'),
      [basic('prometheus', 'wrong'), basic('other', 'scrape-secret-1'), 'Bearer scrape-secret-1'],
    ],
    [
      'bearer',
      { bearer: 'scrape-token-1' },
      'Bearer scrape-token-1',
      ['Bearer scrape-token-2', 'Bearer scrape-token-1x', basic('prometheus', 'scrape-token-1')],
    ],
  ] as const)(
    'with %s, answers 401 to no or wrong credentials and 200 to the right ones',
    async (_kind, metricsAuth, right, wrong) => {
      const t = await testServer(backend!, { metricsAuth });
      try {
        const none = await t.s.app.inject({ url: '/metrics' });
        expect(none.statusCode).toBe(401);
        expect(none.headers['www-authenticate']).toBeTruthy();
        expect(none.headers['content-type']).toContain('application/problem+json');
        expect(none.body).not.toContain('process_cpu');
        for (const authorization of wrong)
          expect((await t.s.app.inject({ url: '/metrics', headers: { authorization } })).statusCode).toBe(
            401,
          );
        const ok = await t.s.app.inject({ url: '/metrics', headers: { authorization: right } });
        expect(ok.statusCode).toBe(200);
        expect(ok.body).toContain('process_cpu');
      } finally {
        await t.close();
      }
    },
  );
});

describe('request timeout', () => {
  it('answers 408 and drops a client that drips its body', async () => {
    const t = await testServer(backend!, { requestTimeoutMs: 1000 });
    try {
      const { key } = await t.s.identity.createApiKey('admin', 'dripper', 'ingest');
      const address = new URL(await t.s.listen(0, '127.0.0.1'));
      const socket = connect(Number(address.port), '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now())));
      await new Promise((done) => socket.once('connect', done));
      const started = Date.now();
      socket.write(
        `POST /api/v1/webhooks/generic HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{`,
      );
      // One byte every 100 ms would take over 16 minutes to send the body.
      const drip = setInterval(() => socket.writable && socket.write(' '), 100);
      const at = await Promise.race([
        closed,
        new Promise<number>((done) => setTimeout(() => done(-1), 15_000)),
      ]);
      clearInterval(drip);
      socket.destroy();
      expect(at, 'the server still held the connection after 15 s').toBeGreaterThan(0);
      expect(at - started).toBeLessThan(10_000);
      expect(answer).toMatch(/^HTTP\/1.1 408/);
    } finally {
      await t.close();
    }
  });
});

describe('request timeout and live streams', () => {
  it('leaves a live stream open past the request timeout: it limits receiving a request, not answering', async () => {
    const t = await testServer(backend!, { requestTimeoutMs: 1000 });
    const abort = new AbortController();
    try {
      const base = await t.s.listen(0, '127.0.0.1');
      const { accessToken } = await t.s.identity.login('admin', 'admin-password-1');
      const res = await fetch(`${base}/api/v1/alerts/stream`, {
        headers: { authorization: `Bearer ${accessToken}` },
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      // A hijacked answer, and still the security headers of every other one.
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const reader = res.body!.getReader();
      let seen = '';
      const until = async (text: string) => {
        while (!seen.includes(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the stream ended before "${text}"; it had: ${seen}`);
          seen += Buffer.from(value).toString();
        }
      };
      await until(': connected');
      // Three request timeouts, each followed by Node's check for overdue requests.
      const opened = Date.now();
      while (Date.now() - opened < 3000) await new Promise((r) => setTimeout(r, 250));
      const { key } = await t.s.identity.createApiKey('admin', 'late-sender', 'ingest');
      const posted = await fetch(`${base}/api/v1/webhooks/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ name: 'LateAlert' }),
      });
      expect(posted.status).toBe(202);
      await until('LateAlert');
    } finally {
      abort.abort();
      await t.close();
    }
  }, 30_000);
});

describe('failed-query logging', () => {
  it('logs the statement and the SQLSTATE but neither the values nor the request’s query string', async () => {
    const lines: string[] = [];
    const stdout = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const t = await testServer(backend!, { log: createLogger({ stdout, level: 'info' }) });
    try {
      const secret = `s3cr3t-${'X'.repeat(1024 * 1024)}`;
      // A route that fails in the database as a bug would, with the request's value as a parameter.
      t.s.app.get('/fail', { schema: { hide: true } }, async (req) =>
        t.database.db.execute(sql`SELECT ${(req.query as { v: string }).v}::int AS n`),
      );
      const res = await t.s.app.inject({ url: `/fail?v=${secret}&token=query-secret-2` });
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain('s3cr3t');
      const logged = lines.join('');
      expect(logged).toContain('request failed');
      expect(logged).toContain('::int');
      expect(logged).toContain('22P02');
      expect(logged).not.toContain('s3cr3t');
      expect(logged).not.toContain('query-secret-2');
      expect(logged.length).toBeLessThan(20_000);
    } finally {
      await t.close();
    }
  });
});
