import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const D = '/api/v1/datasources';

/** A listener that answers like Prometheus's API and remembers what it was sent. */
async function peer() {
  const seen: IncomingMessage[] = [];
  const srv = createServer((req, res) => {
    seen.push(req);
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/prom/api/v1/status/buildinfo'))
      return res.end(JSON.stringify({ status: 'success', data: { version: '2.42.0' } }));
    if (req.url?.startsWith('/prom/api/v1/query'))
      return res
        .writeHead(400)
        .end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }));
    res.writeHead(404).end('{}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => srv.close(() => r())));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/prom`, seen };
}

describe.each(all)('data sources on $name', { timeout: 60_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend);
    cleanups.push(t.close);
    return t;
  }

  it('keeps the credential sealed and write-only, sends it to the peer, and asks for it again when the URL moves', async () => {
    const t = await start();
    const p = await peer();
    const created = await t.api('POST', D, {
      name: 'prom-main',
      kind: 'prometheus',
      url: p.url,
      auth: { type: 'basic', username: 'grafana', password: 'hunter2-secret' },
      labels: { team: 'sre' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: 'prom-main',
      authType: 'basic',
      username: 'grafana',
      hasSecret: true,
    });
    const id = created.body.id;
    for (const res of [created, await t.api('GET', D), await t.api('GET', `${D}/${id}`)])
      expect(JSON.stringify(res.body)).not.toContain('hunter2');
    const [row] = await t.database.connect().then(async (c) => {
      const rows = await c.query<{ sealed_secret: string }>('SELECT sealed_secret FROM datasources');
      c.release();
      return rows;
    });
    expect(row!.sealed_secret).toMatch(/^v1\./);
    expect(row!.sealed_secret).not.toContain('hunter2');

    const test = await t.api('POST', `${D}/${id}/test`);
    expect(test.body).toMatchObject({ ok: true, version: '2.42.0' });
    expect(p.seen.at(-1)!.headers.authorization).toBe(
      `Basic ${Buffer.from('grafana:hunter2-secret').toString('base64')}`,
    );

    // An update without the password keeps it; a new URL needs it entered again.
    const body = {
      name: 'prom-main',
      kind: 'prometheus',
      url: p.url,
      auth: { type: 'basic', username: 'grafana' },
    };
    expect((await t.api('PUT', `${D}/${id}`, body)).status).toBe(200);
    expect((await t.api('POST', `${D}/${id}/test`)).body.ok).toBe(true);
    expect(p.seen.at(-1)!.headers.authorization).toContain('Basic ');
    const moved = await t.api('PUT', `${D}/${id}`, { ...body, url: `${p.url}/elsewhere` });
    expect(moved.status).toBe(400);
    expect(moved.body.errors).toEqual([
      { path: 'body.password', message: 'enter it again: a stored credential is not sent to a new URL' },
    ]);

    // The peer's refusal is a 502 that says what it said.
    const bad = await t.api('POST', `${D}/${id}/query`, { query: 'up{' });
    expect(bad.status).toBe(502);
    expect(bad.body.detail).toBe('query: HTTP 400: bad_data: parse error');
    const audit = (await t.api('GET', `/api/v1/audit?resource=datasource:${id}`)).body;
    expect(audit.map((e: { action: string }) => e.action)).toEqual([
      'datasource.update',
      'datasource.create',
    ]);
    expect(JSON.stringify(audit)).not.toContain('hunter2');
  });

  it('refuses bad settings with a 400 naming the field, and internal addresses the admin did not allow', async () => {
    const t = await start();
    const cases: [unknown, string][] = [
      [{ name: 'a', kind: 'prometheus', url: 'ftp://x' }, 'body.url'],
      [{ name: 'a', kind: 'prometheus', url: 'http://u:p@prom:9090' }, 'body.url'],
      [{ name: 'a', kind: 'prometheus', url: 'http://10.1.2.3:9090' }, 'body.url'],
      [{ name: 'a', kind: 'prometheus', url: 'http://169.254.169.254/' }, 'body.url'],
      [{ name: 'a', kind: 'prometheus', url: 'http://prom:9090', auth: { type: 'bearer' } }, 'body.token'],
      [{ name: 'a', kind: 'graphite', url: 'http://prom:9090' }, 'body.kind'],
      [{ name: 'a', kind: 'prometheus', url: 'http://prom:9090', tls: { ca: 'not a pem' } }, 'body.tls.ca'],
    ];
    for (const [body, path] of cases) {
      const res = await t.api('POST', D, body);
      expect([res.status, res.body.errors?.[0]?.path], JSON.stringify(res.body)).toEqual([400, path]);
    }
    expect((await t.api('POST', D, { name: 'a', kind: 'alertmanager', url: 'http://am:9093' })).status).toBe(
      201,
    );
    expect((await t.api('POST', D, { name: 'a', kind: 'prometheus', url: 'http://prom:9090' })).status).toBe(
      409,
    );
    const am = (await t.api('GET', D)).body.items[0];
    const wrongKind = await t.api('GET', `${D}/${am.id}/labels`);
    expect([wrongKind.status, wrongKind.body.detail]).toEqual([
      400,
      'data source a is alertmanager: this needs prometheus or victoriametrics',
    ]);
  });
});
