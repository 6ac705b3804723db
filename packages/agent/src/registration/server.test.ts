import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { summarize, wireService } from './report.ts';
import { ServerRegistration } from './server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A stand-in server answering each call with the next scripted status (then 200). */
async function scripted(statuses: number[]) {
  const calls: { path: string; auth: string; body: Record<string, unknown>; status: number }[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const status = statuses.shift() ?? 200;
    calls.push({
      path: req.url ?? '',
      auth: req.headers.authorization ?? '',
      body: JSON.parse(text),
      status,
    });
    if (status === 200) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ serverTime: new Date().toISOString(), heartbeatMs: 15_000, offlineAfterMs: 45_000 }),
      );
    } else {
      res.writeHead(status, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ status, title: 'x', detail: `scripted ${status}` }));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

function link(url: string) {
  const r = new ServerRegistration({
    url,
    token: 'ofk_abc_secret',
    heartbeatMs: 60,
    hostname: 'h1',
    version: '1.2.3',
    labels: { a: 'b' },
    services: () => [{ name: 's', state: 'running', backend: 'direct', restarts: 0 }],
    retry: { initialMs: 10, maxMs: 40 },
  });
  cleanups.push(() => r.close());
  return r;
}

describe('ServerRegistration', () => {
  it('sends the key as a bearer token and never an id of its own', async () => {
    const srv = await scripted([]);
    const r = link(srv.url).start();
    await eventually('the registration and a heartbeat', () => srv.calls.length >= 2, { timeoutMs: 5000 });
    expect(srv.calls[0]).toMatchObject({
      path: '/api/v1/agents/register',
      auth: 'Bearer ofk_abc_secret',
      body: { hostname: 'h1', version: '1.2.3', labels: { a: 'b' }, services: [{ name: 's' }] },
    });
    expect(srv.calls[1]?.path).toBe('/api/v1/agents/heartbeat');
    for (const c of srv.calls) expect(c.body).not.toHaveProperty('id');
    // The server expects 15 s; the configured 60 ms is more often, and stays.
    expect(r.status.heartbeatMs).toBe(60);
  });

  it('retries a failed heartbeat as a heartbeat, and registers again on 404 or 410', async () => {
    // register ok, heartbeat 503, heartbeat ok, heartbeat 410, register 500, register ok, heartbeat 404, register ok
    const srv = await scripted([200, 503, 200, 410, 500, 200, 404, 200]);
    const r = link(srv.url).start();
    await eventually('nine calls', () => srv.calls.length >= 9, { timeoutMs: 5000 });
    await r.close();
    expect(srv.calls.slice(0, 9).map((c) => `${c.path.split('/').at(-1)} ${c.status}`)).toEqual([
      'register 200',
      'heartbeat 503',
      'heartbeat 200',
      'heartbeat 410',
      'register 500',
      'register 200',
      'heartbeat 404',
      'register 200',
      'heartbeat 200',
    ]);
    expect(r.status.registrations).toBe(3);
  });

  it('reports the last known services when the source fails', async () => {
    const srv = await scripted([]);
    let fail = false;
    const r = new ServerRegistration({
      url: srv.url,
      token: 't',
      heartbeatMs: 30,
      hostname: 'h',
      version: '1',
      labels: {},
      services: () => {
        if (fail) throw new Error('supervisor busy');
        return [{ name: 'x', state: 'running', backend: 'direct', restarts: 4 }];
      },
    }).start();
    cleanups.push(() => r.close());
    await eventually('the first call', () => srv.calls.length >= 1, { timeoutMs: 5000 });
    fail = true;
    await eventually('three calls', () => srv.calls.length >= 3, { timeoutMs: 5000 });
    expect(srv.calls[2]?.body.services).toEqual([
      { name: 'x', state: 'running', backend: 'direct', restarts: 4 },
    ]);
  });
});

describe('service reports', () => {
  it('keep only the fields the server stores', () => {
    expect(
      wireService({
        name: 'a',
        state: 'fatal',
        backend: 'systemd',
        restarts: 6,
        reason: '6 restarts in 60s',
        nextStartAt: '2025-01-01T00:00:00.000Z',
        lastExit: { code: 1, signal: null, at: '2025-01-01T00:00:00.000Z' },
      }),
    ).toEqual({ name: 'a', state: 'fatal', backend: 'systemd', restarts: 6, reason: '6 restarts in 60s' });
  });

  it('summarize by state and health', () => {
    expect(
      summarize([
        { name: 'a', state: 'running', backend: 'direct', restarts: 0, health: 'passing' },
        { name: 'b', state: 'running', backend: 'direct', restarts: 0, health: 'critical' },
        { name: 'c', state: 'backoff', backend: 'direct', restarts: 2 },
      ]),
    ).toEqual({ total: 3, byState: { running: 2, backoff: 1 }, unhealthy: 1 });
  });
});
