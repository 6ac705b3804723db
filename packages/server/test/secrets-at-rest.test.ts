import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { eventually } from '@opsfleet/core/testing';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../src/alerts/ingest.ts';
import { openDatabase } from '../src/db/database.ts';
import { rowsOf } from '../src/db/rows.ts';
import { SecretBox } from '../src/identity/secret-box.ts';
import { startReceiver } from '../src/notify/receiver.ts';
import { MASK } from '../src/notify/secrets.ts';
import { createServer } from '../src/server.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Every value here must stay out of the database in clear, out of answers and out of logs. */
const SECRETS = ['whsec-SIGNING-1', 'Bearer HDR-TOKEN-2', 'URL-TOKEN-3', 'SMTP-PASSWORD-4', 'SECdingtalk-5'];

/** A logger whose lines the test reads: what an operator's log collector would keep. */
function capturedLog() {
  const lines: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { log, text: () => lines.join('') };
}

async function rawChannels(t: Pick<TestServer, 'database'>) {
  return rowsOf<{ name: string; config: unknown; secrets: string | null }>(
    await t.database.db.execute(sql`SELECT name, config, secrets FROM notify_channels ORDER BY name`),
  );
}

describe.each(all)('channel secrets on $name', (backend) => {
  it('are sealed in the database and write-only in the API, and still deliver', async () => {
    const t = await testServer(backend);
    cleanups.push(t.close);
    const r = await startReceiver({ secret: 'whsec-SIGNING-1' });
    cleanups.push(r.close);
    const hook = await t.api('POST', '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config: {
        url: `${r.url}?token=URL-TOKEN-3`,
        secret: 'whsec-SIGNING-1',
        headers: { Authorization: 'Bearer HDR-TOKEN-2' },
      },
    });
    expect(hook.status).toBe(201);
    const mail = await t.api('POST', '/api/v1/notify/channels', {
      name: 'mail',
      kind: 'email',
      config: {
        host: 'smtp.example.com',
        port: 587,
        user: 'ops',
        password: 'SMTP-PASSWORD-4',
        from: 'a@b.c',
        to: ['d@e.f'],
      },
    });
    expect(mail.status).toBe(201);
    const robot = await t.api('POST', '/api/v1/notify/channels', {
      name: 'robot',
      kind: 'dingtalk',
      config: {
        url: 'https://oapi.dingtalk.com/robot/send?access_token=URL-TOKEN-3',
        secret: 'SECdingtalk-5',
      },
    });
    expect(robot.status).toBe(201);

    const rows = await rawChannels(t);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.secrets).toMatch(/^v1\.[0-9a-f]+\./);
    for (const secret of SECRETS) expect(JSON.stringify(rows)).not.toContain(secret);

    const answers = [
      (await t.api('GET', '/api/v1/notify/channels')).body,
      ...(
        await Promise.all(
          [hook, mail, robot].map((c) => t.api('GET', `/api/v1/notify/channels/${c.body.id}`)),
        )
      ).map((a) => a.body),
    ];
    for (const secret of SECRETS) expect(JSON.stringify(answers)).not.toContain(secret);
    // Write-only: the answer says that a secret is set, not what it is.
    expect(answers[1].config).toEqual({
      url: `${r.url}?token=${MASK}`,
      secret: MASK,
      headers: { Authorization: MASK },
    });
    expect(answers[2].config.password).toBe(MASK);

    // The receiver checks the signature: the secret came out of the database intact.
    const test = await t.api('POST', `/api/v1/notify/channels/${hook.body.id}/test`);
    expect(test.body).toMatchObject({ delivered: true, status: 200 });
    expect(r.accepted).toHaveLength(1);
  });

  it('must be entered again when the channel is pointed somewhere else', async () => {
    const t = await testServer(backend);
    cleanups.push(t.close);
    const a = await startReceiver({ secret: 'whsec-SIGNING-1' });
    const b = await startReceiver({ secret: 'whsec-other' });
    cleanups.push(a.close, b.close);
    const hook = await t.api('POST', '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config: { url: a.url, secret: 'whsec-SIGNING-1', headers: { Authorization: 'Bearer HDR-TOKEN-2' } },
    });
    const masked = hook.body.config;
    const moved = await t.api('PATCH', `/api/v1/notify/channels/${hook.body.id}`, {
      config: { ...masked, url: b.url },
    });
    expect(moved.status).toBe(400);
    expect(moved.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'body.config.secret',
      'body.config.headers.Authorization',
    ]);
    expect((await t.api('POST', `/api/v1/notify/channels/${hook.body.id}/test`)).status).toBe(200);
    expect(b.requests).toBe(0);

    const reentered = await t.api('PATCH', `/api/v1/notify/channels/${hook.body.id}`, {
      config: { url: b.url, secret: 'whsec-other', headers: { Authorization: 'Bearer new' } },
    });
    expect(reentered.status).toBe(200);
    expect((await t.api('POST', `/api/v1/notify/channels/${hook.body.id}/test`)).status).toBe(200);
    expect(b.accepted).toHaveLength(1);

    const robot = await t.api('POST', '/api/v1/notify/channels', {
      name: 'robot',
      kind: 'dingtalk',
      config: { url: 'https://oapi.dingtalk.com/robot/send?access_token=URL-TOKEN-3' },
    });
    const elsewhere = await t.api('PATCH', `/api/v1/notify/channels/${robot.body.id}`, {
      config: { url: robot.body.config.url.replace('oapi.dingtalk.com', 'collector.example') },
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.errors).toEqual([
      { path: 'body.config.url', message: expect.stringContaining('token') },
    ]);

    const mail = await t.api('POST', '/api/v1/notify/channels', {
      name: 'mail',
      kind: 'email',
      config: {
        host: 'smtp.example.com',
        port: 587,
        user: 'ops',
        password: 'SMTP-PASSWORD-4',
        from: 'a@b.c',
        to: ['d@e.f'],
      },
    });
    const newHost = await t.api('PATCH', `/api/v1/notify/channels/${mail.body.id}`, {
      config: { ...mail.body.config, host: 'smtp.collector.example' },
    });
    expect(newHost.status).toBe(400);
    expect(newHost.body.errors[0].path).toBe('body.config.password');
    const sameHost = await t.api('PATCH', `/api/v1/notify/channels/${mail.body.id}`, {
      config: { ...mail.body.config, to: ['x@y.z'] },
    });
    expect(sameHost.status).toBe(200);
    expect(JSON.stringify(await rawChannels(t))).not.toContain('SMTP-PASSWORD-4');
  });

  it('never reach the log, from failed queries or failed deliveries', async () => {
    const { log, text } = capturedLog();
    const t = await testServer(backend, {
      log,
      housekeepingMs: 60_000,
      notifyRetry: { baseMs: 50, capMs: 100, maxAttempts: 1 },
    });
    cleanups.push(t.close);
    const r = await startReceiver({ status: () => 400 });
    cleanups.push(r.close);
    // A constraint the insert breaks: the statement fails with the secrets among its values.
    await t.database.db.execute(
      sql`ALTER TABLE notify_channels ADD CONSTRAINT not_this_name CHECK (name <> 'explodes')`,
    );
    const failed = await t.api('POST', '/api/v1/notify/channels', {
      name: 'explodes',
      kind: 'webhook',
      config: {
        url: `${r.url}?token=URL-TOKEN-3`,
        secret: 'whsec-SIGNING-1',
        headers: { Authorization: 'Bearer HDR-TOKEN-2' },
      },
    });
    expect(failed.status).toBe(500);
    const hook = await t.api('POST', '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config: {
        url: `${r.url}?token=URL-TOKEN-3`,
        secret: 'whsec-SIGNING-1',
        headers: { Authorization: 'Bearer HDR-TOKEN-2' },
      },
    });
    await t.api('POST', '/api/v1/notify/rules', {
      name: 'all',
      groupBy: ['alertname'],
      groupWaitSeconds: 0,
      steps: [{ afterMinutes: 0, channelIds: [hook.body.id] }],
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
    await eventually('the dead letter in the log', text, {
      ok: (l) => l.includes('dead letters'),
      timeoutMs: 15_000,
    });
    for (const secret of SECRETS) expect(text()).not.toContain(secret);
  });

  it('written in clear before are sealed at start, and a key rotation reseals them', async () => {
    const target = await backend.fresh();
    cleanups.push(target.drop);
    const r = await startReceiver({ secret: 'whsec-SIGNING-1' });
    cleanups.push(r.close);
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const start = async (box: SecretBox) => {
      const database = await openDatabase({ url: target.url, dataDir: target.dataDir });
      try {
        const s = await createServer({
          database,
          log: pino({ level: 'silent' }),
          adminPassword: 'admin-password-1',
          housekeepingMs: 0,
          outboundAllow: ['127.0.0.1/32'],
          // Given, so the token signing secret is not sealed too: the refusal below is the channels'.
          authSecret: 'a-token-signing-secret-of-at-least-32-bytes',
          secretBox: box,
        });
        return { s, database };
      } catch (err) {
        await database.close();
        throw err;
      }
    };
    const first = await start(new SecretBox(k1));
    // As a server before migration 0011 wrote it: the configuration whole, in clear.
    await first.database.db.execute(sql`
      INSERT INTO notify_channels (name, kind, config, created_by)
      VALUES ('legacy', 'webhook', ${JSON.stringify({ url: r.url, secret: 'whsec-SIGNING-1' })}::jsonb, 'admin')`);
    await first.s.close();

    const rotated = new SecretBox(k2, [k1]);
    const second = await start(rotated);
    const rows = await rawChannels(second);
    expect(rows[0]!.secrets!.startsWith(`v1.${rotated.keyId}.`)).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('whsec-SIGNING-1');
    const { accessToken } = await second.s.identity.login('admin', 'admin-password-1');
    const [legacy] = (
      await second.s.app.inject({
        url: '/api/v1/notify/channels',
        headers: { authorization: `Bearer ${accessToken}` },
      })
    ).json();
    const test = await second.s.app.inject({
      method: 'POST',
      url: `/api/v1/notify/channels/${legacy.id}/test`,
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(test.json()).toMatchObject({ delivered: true });
    expect(r.accepted).toHaveLength(1);
    await second.s.close();

    // Resealed with the new key, the old one is no longer needed; a wrong key stops the start.
    await (await start(new SecretBox(k2))).s.close();
    await expect(start(new SecretBox(k1))).rejects.toThrow(
      /channel secrets cannot be opened.*ENCRYPTION_KEY_PREVIOUS/,
    );
  });
});
