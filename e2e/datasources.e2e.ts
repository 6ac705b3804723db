import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type Peer,
  type Prometheus,
  peerAvailable,
  READER,
  startAlertmanager,
  startAuthedPrometheus,
  waitFor,
} from './peers.ts';
import { adminToken, type ServerProcess, startServerProcess } from './server-process.ts';

/**
 * Data sources against the real peers: a Prometheus that demands basic auth (its own
 * `--web.config.file`, bcrypt hash of the password below) and scrapes itself, and an
 * Alertmanager. The server process reaches them only because OUTBOUND_ALLOW names loopback.
 */
// biome-ignore lint/suspicious/noExplicitAny: answers are JSON of many shapes, read field by field.
type Answer = any;

describe.runIf(
  peerAvailable('prometheus', 'prometheus') &&
    peerAvailable('prometheus-alertmanager', 'prometheus-alertmanager'),
)('data sources on a real Prometheus and Alertmanager', { timeout: 120_000 }, () => {
  let dir = '';
  let prom: Prometheus;
  let am: Peer;
  let server: ServerProcess;
  let base = '';
  let token = '';

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Answer };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'e2e-datasources-'));
    prom = await startAuthedPrometheus([]);
    writeFileSync(join(dir, 'am.yml'), 'route: {receiver: none}\nreceivers: [{name: none}]\n');
    am = await startAlertmanager(join(dir, 'am.yml'));
    const port = await freePort();
    server = startServerProcess({ dataDir: join(dir, 'server') }, port, { OUTBOUND_ALLOW: '127.0.0.1/32' });
    await server.ready();
    base = `http://127.0.0.1:${port}`;
    token = await adminToken(base);
  });

  afterAll(async () => {
    await server?.stop();
    await prom?.stop();
    await am?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reaches Prometheus with its basic auth, browses its metrics and labels, and queries it', async () => {
    const created = await api('POST', '/api/v1/datasources', {
      name: 'prom',
      kind: 'prometheus',
      url: prom.url,
      auth: { type: 'basic', username: 'reader', password: READER.password },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    const test = await api('POST', `/api/v1/datasources/${id}/test`);
    expect(test.body).toMatchObject({ ok: true, version: expect.stringMatching(/^2\./) });

    // Nothing is scraped here, so the label list may be empty; it must still come through auth.
    const labels = await api('GET', `/api/v1/datasources/${id}/labels`);
    expect(labels.status).toBe(200);
    expect(Array.isArray(labels.body.items)).toBe(true);
    const now = Math.floor(Date.now() / 1000);
    const q = await api('POST', `/api/v1/datasources/${id}/query`, { query: 'vector(42)' });
    expect(q.body).toMatchObject({ resultType: 'vector', result: [{ value: [expect.any(Number), '42'] }] });
    const r = await api('POST', `/api/v1/datasources/${id}/query_range`, {
      query: 'vector(1)',
      start: String(now - 60),
      end: String(now),
      step: '15s',
    });
    expect(r.body.resultType).toBe('matrix');
    expect(r.body.result[0].values.length).toBeGreaterThanOrEqual(4);
    const bad = await api('POST', `/api/v1/datasources/${id}/query`, { query: 'sum(' });
    expect(bad.status).toBe(502);
    expect(bad.body.detail).toMatch(/^query: HTTP 400: bad_data: /);

    // With a wrong password Prometheus says 401, and the test says so without the password.
    const wrong = await api('PUT', `/api/v1/datasources/${id}`, {
      name: 'prom',
      kind: 'prometheus',
      url: prom.url,
      auth: { type: 'basic', username: 'reader', password: 'not-it' },
    });
    expect(wrong.status).toBe(200);
    const refused = await api('POST', `/api/v1/datasources/${id}/test`);
    expect(refused.body.ok).toBe(false);
    expect(refused.body.error).toMatch(/401/);
    expect(JSON.stringify(refused.body)).not.toContain('not-it');
  });

  it('tests a rule on the data source: which series would be pending and firing, and when', async () => {
    const id = (await api('GET', '/api/v1/datasources')).body.items.find(
      (d: { name: string }) => d.name === 'prom',
    ).id;
    await api('PUT', `/api/v1/datasources/${id}`, {
      name: 'prom',
      kind: 'prometheus',
      url: prom.url,
      auth: { type: 'basic', username: 'reader', password: READER.password },
    });
    // True for the first 10 minutes of every 20: Prometheus computes it for any past time.
    const res = await api('POST', '/api/v1/rule-groups/test-rule', {
      datasource_id: id,
      expr: 'vector(1) and on() (vector(time()) % 1200 < 600)',
      for: '5m',
      hours: 3,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.step).toBe(45);
    const [series] = res.body.series;
    expect(series.episodes.length).toBeGreaterThanOrEqual(8);
    // Whole episodes (not cut by the range's edges) last 10 min and fire 5 min in, to a step.
    const whole = series.episodes.filter(
      (e: { start: number; end: number }) => e.start > res.body.start && e.end < res.body.end - 60,
    );
    expect(whole.length).toBeGreaterThanOrEqual(7);
    for (const e of whole) {
      expect(e.end - e.start).toBeGreaterThan(600 - 2 * 45);
      expect(e.firingAt - e.start).toBeGreaterThanOrEqual(300);
      expect(e.firingAt - e.start).toBeLessThan(300 + 45);
    }
    const scalar = await api('POST', '/api/v1/rule-groups/test-rule', { datasource_id: id, expr: '1 + 1' });
    expect([scalar.status, scalar.body.errors?.[0]?.path]).toEqual([400, 'body.expr']);
  });

  it('reaches Alertmanager and reports its version', async () => {
    const created = await api('POST', '/api/v1/datasources', {
      name: 'am',
      kind: 'alertmanager',
      url: am.url,
    });
    expect(created.status).toBe(201);
    const test = await waitFor('alertmanager status', async () => {
      const t = await api('POST', `/api/v1/datasources/${created.body.id}/test`);
      return t.body.ok ? t.body : undefined;
    });
    expect(test.version).toMatch(/^0\./);
  });

  it('is refused by the address policy where the admin allowed nothing', async () => {
    // The server above allows loopback; a Prometheus on 127.0.0.2 is outside that allow-list.
    const res = await api('POST', '/api/v1/datasources', {
      name: 'other',
      kind: 'prometheus',
      url: 'http://127.0.0.2:9090',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({
      path: 'body.url',
      message: expect.stringMatching(/OUTBOUND_ALLOW/),
    });
  });
});
