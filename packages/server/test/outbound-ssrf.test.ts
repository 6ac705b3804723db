import { createServer as createHttp, type Server as HttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcp } from 'node:net';
import { eventually } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../src/alerts/ingest.ts';
import { backends } from './backends.ts';
import { testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A local HTTP peer: counts requests, keeps their headers, answers what the test says. */
async function peer(
  host: string,
  answer: (url: string) => { status: number; headers?: Record<string, string>; body?: string },
) {
  const seen: IncomingHttpHeaders[] = [];
  const server: HttpServer = createHttp((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      const a = answer(req.url ?? '/');
      res.writeHead(a.status, a.headers).end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as { port: number }).port;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://${host}:${port}`, port, seen };
}

describe.each(all)('outbound address policy on $name', (backend) => {
  it('refuses internal destinations by default: as written, after DNS, and for SMTP', async () => {
    const t = await testServer(backend, { outboundAllow: [] });
    cleanups.push(t.close);
    const receiver = await peer('127.0.0.1', () => ({ status: 200 }));
    let smtpConnections = 0;
    const smtp = createTcp((socket) => {
      smtpConnections += 1;
      socket.end('220 smtp ready\r\n');
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => smtp.close(() => r())));
    const smtpPort = (smtp.address() as { port: number }).port;

    for (const url of [
      `${receiver.url}/hook`,
      `http://[::ffff:127.0.0.1]:${receiver.port}/hook`,
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      const literal = await t.api('POST', '/api/v1/notify/channels', {
        name: 'x',
        kind: 'webhook',
        config: { url },
      });
      expect(literal.status, url).toBe(400);
      expect(literal.body.errors).toEqual([
        { path: 'body.config.url', message: expect.stringContaining('OUTBOUND_ALLOW') },
      ]);
    }

    // A name is judged by what it resolves to, at each send.
    const named = await t.api('POST', '/api/v1/notify/channels', {
      name: 'named',
      kind: 'webhook',
      config: { url: `http://localhost:${receiver.port}/hook` },
    });
    expect(named.status).toBe(201);
    const test = await t.api('POST', `/api/v1/notify/channels/${named.body.id}/test`);
    expect(test.status).toBe(502);
    expect(test.body.detail).toMatch(/refused to connect to localhost.*OUTBOUND_ALLOW/);
    expect(receiver.seen).toHaveLength(0);

    const mail = await t.api('POST', '/api/v1/notify/channels', {
      name: 'mail',
      kind: 'email',
      config: { host: 'localhost', port: smtpPort, starttls: 'off', from: 'a@b.c', to: ['d@e.f'] },
    });
    expect(mail.status).toBe(201);
    const mailTest = await t.api('POST', `/api/v1/notify/channels/${mail.body.id}/test`);
    expect(mailTest.status).toBe(502);
    expect(mailTest.body.detail).toMatch(/refused to connect to localhost/);
    expect(smtpConnections).toBe(0);
  });

  it('checks every redirect again and carries the channel headers to the first origin only', async () => {
    const second = await peer('127.0.0.2', () => ({ status: 200 }));
    const first = await peer('127.0.0.1', () => ({
      status: 307,
      headers: { location: `${second.url}/elsewhere` },
    }));
    const config = { url: `${first.url}/hook`, headers: { Authorization: 'Bearer channel-token' } };

    const narrow = await testServer(backend, { outboundAllow: ['127.0.0.1/32'] });
    cleanups.push(narrow.close);
    const channel = await narrow.api('POST', '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config,
    });
    const refused = await narrow.api('POST', `/api/v1/notify/channels/${channel.body.id}/test`);
    expect(refused.status).toBe(502);
    expect(refused.body.detail).toMatch(/refused to connect to 127\.0\.0\.2: loopback/);
    expect(first.seen).toHaveLength(1);
    expect(second.seen).toHaveLength(0);

    const wide = await testServer(backend, { outboundAllow: ['127.0.0.0/8'] });
    cleanups.push(wide.close);
    const again = await wide.api('POST', '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config,
    });
    expect((await wide.api('POST', `/api/v1/notify/channels/${again.body.id}/test`)).status).toBe(200);
    expect(first.seen.at(-1)!.authorization).toBe('Bearer channel-token');
    expect(second.seen).toHaveLength(1);
    expect(second.seen[0]!.authorization).toBeUndefined();
  });

  it("answers a send test with the receiver's status, never its body", async () => {
    const t = await testServer(backend);
    cleanups.push(t.close);
    let status = 500;
    const receiver = await peer('127.0.0.1', () => ({ status, body: 'INTERNAL-PAGE root:x:0:0' }));
    const channels = await Promise.all(
      ['webhook', 'slack', 'dingtalk', 'feishu'].map((kind) =>
        t.api('POST', '/api/v1/notify/channels', {
          name: kind,
          kind,
          config: { url: `${receiver.url}/services/hook/${kind}` },
        }),
      ),
    );
    for (const c of channels) {
      status = 500;
      const failed = await t.api('POST', `/api/v1/notify/channels/${c.body.id}/test`);
      expect(failed.status, c.body.kind).toBe(502);
      expect(failed.body.detail).toContain('HTTP 500');
      status = 200;
      const answered = await t.api('POST', `/api/v1/notify/channels/${c.body.id}/test`);
      expect(JSON.stringify([failed.body, answered.body])).not.toContain('INTERNAL-PAGE');
    }
  });

  it('holds for notifications too: a refused destination is a dead letter at its first attempt', async () => {
    const t = await testServer(backend, {
      outboundAllow: [],
      housekeepingMs: 60_000,
      notifyRetry: { baseMs: 50, capMs: 100, maxAttempts: 8 },
    });
    cleanups.push(t.close);
    const receiver = await peer('127.0.0.1', () => ({ status: 200 }));
    const channel = await t.api('POST', '/api/v1/notify/channels', {
      name: 'named',
      kind: 'webhook',
      config: { url: `http://localhost:${receiver.port}/hook` },
    });
    await t.api('POST', '/api/v1/notify/rules', {
      name: 'all',
      groupBy: ['alertname'],
      groupWaitSeconds: 0,
      steps: [{ afterMinutes: 0, channelIds: [channel.body.id] }],
    });
    await t.s.alerts.ingest(
      parseAlertmanager({
        version: '4',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'X' },
            annotations: {},
            startsAt: new Date().toISOString(),
          },
        ],
      }),
      'alertmanager',
    );
    const [dead] = await eventually(
      'the dead letter',
      async () => (await t.api('GET', '/api/v1/notify/dead-letters')).body.items,
      { ok: (items) => items.length === 1, timeoutMs: 15_000 },
    );
    expect(dead).toMatchObject({
      attempts: 1,
      lastError: expect.stringMatching(/refused to connect to localhost/),
    });
    expect(receiver.seen).toHaveLength(0);
  });
});
