import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@opsfleet/core';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { createServer, type Server } from '../src/server.ts';
import { backends } from './backends.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Client {
  server: Server;
  /** Sends as the admin (Bearer access token) unless the request sets its own authorization. */
  inject: (opts: InjectOptions) => Promise<LightMyRequestResponse>;
  /** Headers of an `ingest` API key, as Alertmanager sends it (Basic api_key:<key>). */
  ingest: Record<string, string>;
}

async function server(backend: (typeof all)[number]): Promise<Client> {
  const target = await backend.fresh();
  cleanups.push(target.drop);
  const s = await createServer({
    database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
    log: silentLogger(),
    adminPassword: 'admin-password-1',
  });
  cleanups.push(() => s.close());
  const { accessToken } = await s.identity.login('admin', 'admin-password-1');
  const { key } = await s.identity.createApiKey('admin', 'alertmanager', 'ingest');
  return {
    server: s,
    inject: (opts) =>
      s.app.inject({ ...opts, headers: { authorization: `Bearer ${accessToken}`, ...(opts.headers ?? {}) } }),
    ingest: { authorization: `Basic ${Buffer.from(`api_key:${key}`).toString('base64')}` },
  };
}

const amMessage = {
  version: '4',
  groupKey: '{}:{alertname="DiskFull"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'opsfleet',
  groupLabels: { alertname: 'DiskFull' },
  commonLabels: { alertname: 'DiskFull' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  routeLabels: { receiver: 'opsfleet' },
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'DiskFull', instance: 'db-1', severity: 'critical' },
      annotations: { summary: 'disk full' },
      startsAt: '2026-11-25T09:59:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      // What Alertmanager sends for these labels: the server computes the same.
      fingerprint: '9556f853bb27ef8b',
    },
  ],
};

describe.each(all)('server HTTP API on $name', (backend) => {
  it('accepts an Alertmanager webhook with 202 and serves the alert, its actions and its history', async () => {
    const { inject: app, ingest } = await server(backend);
    const posted = await app({
      method: 'POST',
      url: '/api/v1/webhooks/alertmanager',
      payload: amMessage,
      headers: ingest,
    });
    expect(posted.statusCode).toBe(202);
    expect(posted.json()).toMatchObject({ received: 1, created: 1 });
    const list = await app({ url: '/api/v1/alerts?status=firing&severity=critical&label=instance=db-1' });
    expect(list.json().items.map((a: { fingerprint: string }) => a.fingerprint)).toEqual([
      '9556f853bb27ef8b',
    ]);
    const ack = await app({
      method: 'POST',
      url: '/api/v1/alerts/9556f853bb27ef8b/acknowledge',
      payload: { note: 'on it' },
    });
    expect(ack.statusCode).toBe(200);
    expect(ack.json().state).toBe('acknowledged');
    const close = await app({ method: 'POST', url: '/api/v1/alerts/9556f853bb27ef8b/close' });
    expect(close.statusCode).toBe(409);
    expect(close.headers['content-type']).toContain('application/problem+json');
    const stats = await app({ url: '/api/v1/alerts/stats?bucket=3600' });
    expect(stats.json().now.byState).toEqual({ acknowledged: 1 });
    const tooFine = await app({ url: '/api/v1/alerts/stats?bucket=60&from=2026-01-01T00:00:00Z' });
    expect(tooFine.statusCode).toBe(400);
    expect(tooFine.json().errors[0].path).toBe('query.bucket');
    const detail = (await app({ url: '/api/v1/alerts/9556f853bb27ef8b' })).json();
    expect(detail.history.map((h: { event: string; actor: string }) => `${h.event} by ${h.actor}`)).toEqual([
      'acknowledge by admin',
      'fire by apikey:alertmanager',
    ]);
  });

  it('takes vmalert posting to /api/v2/alerts', async () => {
    const { inject: app, ingest } = await server(backend);
    const now = Date.now();
    const res = await app({
      method: 'POST',
      url: '/api/v2/alerts',
      headers: ingest,
      payload: [
        {
          labels: { alertname: 'HighLatency', job: 'api' },
          annotations: {},
          startsAt: new Date(now - 60_000).toISOString(),
          endsAt: new Date(now + 240_000).toISOString(),
          generatorURL: 'http://vmalert/rule',
        },
      ],
    });
    expect(res.statusCode).toBe(202);
    expect((await app({ url: '/api/v1/alerts?source=vmalert' })).json().items).toHaveLength(1);
  });
});

describe('server HTTP errors', () => {
  it('answers bad input with problem+json naming each field, and accepts nothing of it', async () => {
    const { inject: app } = await server(all[0]!);
    const bad = {
      ...amMessage,
      alerts: [
        { ...amMessage.alerts[0], startsAt: 'yesterday' },
        { ...amMessage.alerts[0], labels: { a: 1 } },
      ],
    };
    const res = await app({ method: 'POST', url: '/api/v1/webhooks/alertmanager', payload: bad });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['alerts[0].startsAt', 'alerts[1].labels.a']),
    );
    expect((await app({ url: '/api/v1/alerts' })).json().items).toEqual([]);
    const query = await app({ url: '/api/v1/alerts?status=burning&limit=0' });
    expect(query.statusCode).toBe(400);
    expect(query.json().detail).toMatch(/status/);
    const missing = await app({ url: '/api/v1/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('previews notification templates with sample data and rejects one that does not parse', async () => {
    const { inject: app } = await server(all[0]!);
    const ok = await app({ method: 'POST', url: '/api/v1/notify/preview', payload: { event: 'firing' } });
    expect(ok.json()).toMatchObject({ title: '[FIRING:1] DiskFull' });
    expect(ok.json().markdown).toContain('Disk /var on db-1 is 97% full');
    const custom = await app({
      method: 'POST',
      url: '/api/v1/notify/preview',
      payload: {
        event: 'resolved',
        template: { title: '{{ count }} ok', body: '{% for alert in alerts %}{{ alert.name }}{% endfor %}' },
      },
    });
    expect(custom.json()).toMatchObject({ title: '1 ok', markdown: 'DiskFull' });
    const bad = await app({
      method: 'POST',
      url: '/api/v1/notify/preview',
      payload: { event: 'firing', template: { title: 'x', body: '{% for alert in alerts %} never closed' } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('body.template.body');
  });

  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    const { app } = (await server(all[0]!)).server;
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).body).toContain('process_cpu_user_seconds_total');
    const doc = (await app.inject({ url: '/api/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/webhooks/alertmanager', '/api/v2/alerts', '/api/v1/alerts']),
    );
  });
});

describe('console files', () => {
  it('serves the built console at / and its index.html for page paths, never for /api', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>opsfleet console</title>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    const target = await all[0]!.fresh();
    cleanups.push(target.drop);
    const s = await createServer({
      database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
      log: silentLogger(),
      consoleDir: dir,
      housekeepingMs: 0,
    });
    cleanups.push(() => s.close());
    expect((await s.app.inject({ url: '/' })).body).toContain('opsfleet console');
    expect((await s.app.inject({ url: '/app.js' })).body).toBe('console.log(1)');
    const page = await s.app.inject({ url: '/alerts/abc' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('opsfleet console');
    const api = await s.app.inject({ url: '/api/v1/nothing' });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toContain('application/problem+json');
  });
});
