import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { silentLogger } from '@opsfleet/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { createServer } from '../src/server.ts';
import { backends } from './backends.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let robot: HttpServer;
let robotUrl = '';
const hits: URL[] = [];
beforeAll(async () => {
  robot = createHttp((req, res) => {
    hits.push(new URL(req.url ?? '/', 'http://x'));
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((r) => robot.listen(0, '127.0.0.1', r));
  robotUrl = `http://127.0.0.1:${(robot.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => robot.close(() => r())));

describe.each(all)('notification channels API on $name', (backend) => {
  it('keeps secrets out of every answer and the audit log, keeps them on a masked update, and sends a test', async () => {
    const target = await backend.fresh();
    cleanups.push(target.drop);
    const s = await createServer({
      database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
      log: silentLogger(),
      adminPassword: 'admin-password-1',
      housekeepingMs: 0,
      // The robot stands in on loopback, which the outbound policy refuses unless allowed.
      outboundAllow: ['127.0.0.1/32'],
    });
    cleanups.push(() => s.close());
    const { accessToken } = await s.identity.login('admin', 'admin-password-1');
    const headers = { authorization: `Bearer ${accessToken}` };
    const url = `${robotUrl}/robot/send?access_token=TOKEN123`;
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/v1/notify/channels',
      headers,
      payload: { name: 'db-robot', kind: 'dingtalk', config: { url, secret: 'SECsecret42' } },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    for (const body of [
      created.body,
      (await s.app.inject({ url: '/api/v1/notify/channels', headers })).body,
    ]) {
      expect(body).not.toContain('TOKEN123');
      expect(body).not.toContain('SECsecret42');
    }
    // The console sends the masked configuration back with one change: the secrets stay.
    const masked = created.json().config;
    const updated = await s.app.inject({
      method: 'PATCH',
      url: `/api/v1/notify/channels/${id}`,
      headers,
      payload: { config: { ...masked, atMobiles: ['13800000000'] } },
    });
    expect(updated.statusCode).toBe(200);
    const test = await s.app.inject({ method: 'POST', url: `/api/v1/notify/channels/${id}/test`, headers });
    expect(test.json()).toMatchObject({ delivered: true });
    const hit = hits.at(-1)!;
    expect(hit.searchParams.get('access_token')).toBe('TOKEN123');
    expect(hit.searchParams.get('sign')).toBeTruthy();
    const audit = (await s.app.inject({ url: '/api/v1/audit', headers })).body;
    expect(audit).toContain('channel.update');
    expect(audit).not.toContain('TOKEN123');
    expect(audit).not.toContain('SECsecret42');
  });

  it('rejects an unknown kind and an unusable configuration, naming the field', async () => {
    const target = await backend.fresh();
    cleanups.push(target.drop);
    const s = await createServer({
      database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
      log: silentLogger(),
      adminPassword: 'admin-password-1',
      housekeepingMs: 0,
    });
    cleanups.push(() => s.close());
    const { accessToken } = await s.identity.login('admin', 'admin-password-1');
    const headers = { authorization: `Bearer ${accessToken}` };
    const kind = await s.app.inject({
      method: 'POST',
      url: '/api/v1/notify/channels',
      headers,
      payload: { name: 'x', kind: 'pager', config: {} },
    });
    expect(kind.statusCode).toBe(400);
    expect(kind.json().errors[0]).toMatchObject({ path: 'body.kind' });
    const config = await s.app.inject({
      method: 'POST',
      url: '/api/v1/notify/channels',
      headers,
      payload: { name: 'x', kind: 'webhook', config: { url: 'not a url' } },
    });
    expect(config.statusCode).toBe(400);
    expect(config.json().errors[0]).toMatchObject({ path: 'body.config.url' });
  });
});
