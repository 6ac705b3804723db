import { type Receiver, startReceiver } from '@opsfleet/server';
import { afterAll, describe, expect, it } from 'vitest';
import { backends } from '../packages/server/test/backends.ts';
import { freePort, waitFor } from './peers.ts';
import { adminToken, type ServerProcess, startServerProcess } from './server-process.ts';

/**
 * At-least-once delivery across a crash: the server process is killed with SIGKILL while
 * notifications are in flight to a slow receiver, started again on the same PostgreSQL, and
 * every notification arrives; the receiver, which drops repeats by idempotency key, takes each
 * one exactly once. The attempts cut off by the kill show as `interrupted` in the delivery log.
 */

const ALERTS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const postgres = (await backends()).find((b) => b.name === 'postgres');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function startServer(databaseUrl: string, port: number): ServerProcess {
  const server = startServerProcess({ databaseUrl }, port, {
    NOTIFY_LEASE: '3s',
    OUTBOUND_ALLOW: '127.0.0.1/32',
  });
  cleanups.push(server.stop);
  return server;
}

async function post(base: string, token: string, path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string };
}

const instanceOf = (n: Receiver['accepted'][number]) =>
  (n.body.alerts as { labels: { instance: string } }[])[0]!.labels.instance;

describe.runIf(postgres)('notifications survive a SIGKILL', () => {
  it('delivers every notification after a restart, none twice to the receiver', async () => {
    const db = await postgres!.fresh();
    cleanups.push(db.drop);
    // Slow answers keep many sends in flight when the kill comes.
    const receiver = await startReceiver({
      secret: 'hook-secret',
      status: async () => {
        await sleep(250);
        return 200;
      },
    });
    cleanups.push(receiver.close);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let server = startServer(db.url!, port);
    await server.ready();
    const token = await adminToken(base);
    const channel = await post(base, token, '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config: { url: receiver.url, secret: 'hook-secret' },
    });
    await post(base, token, '/api/v1/notify/rules', {
      name: 'per-instance',
      groupBy: ['instance'],
      groupWaitSeconds: 0,
      steps: [{ afterMinutes: 0, channelIds: [channel.id] }],
    });
    const alerts = Array.from({ length: ALERTS }, (_, i) => ({
      status: 'firing',
      labels: { alertname: 'Down', instance: `host-${i}` },
      annotations: {},
      startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: '',
    }));
    for (let i = 0; i < ALERTS; i += 100)
      await post(base, token, '/api/v1/webhooks/alertmanager', {
        version: '4',
        status: 'firing',
        alerts: alerts.slice(i, i + 100),
      });

    await waitFor(
      'the first notifications',
      async () => (receiver.accepted.length >= 40 ? true : undefined),
      30_000,
    );
    await server.kill();
    const atKill = receiver.accepted.length;
    expect(atKill).toBeLessThan(ALERTS);

    server = startServer(db.url!, port);
    await server.ready();
    const again = await adminToken(base);
    await waitFor(
      'every notification',
      async () => (receiver.accepted.length >= ALERTS ? true : undefined),
      90_000,
    );
    await sleep(1000);

    const instances = receiver.accepted.map(instanceOf);
    expect(new Set(instances).size).toBe(ALERTS);
    expect(instances).toHaveLength(ALERTS);
    // Repeats are only the sends the kill cut off: up to 16 in flight and up to 16 answered but
    // not yet recorded (outcomes are written in batches); the receiver dropped them by key.
    expect(receiver.duplicates).toBeLessThanOrEqual(32);

    const get = async (path: string) =>
      (await (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${again}` } })).json()) as {
        items: { state?: string; status?: string }[];
      };
    expect((await get('/api/v1/notify/outbox?state=delivered&limit=500')).items).toHaveLength(ALERTS);
    expect((await get('/api/v1/notify/outbox?state=pending')).items).toHaveLength(0);
    expect(
      (await get('/api/v1/notify/deliveries?status=interrupted&limit=500')).items.length,
    ).toBeGreaterThan(0);
    process.stderr.write(
      `SIGKILL with ${atKill}/${ALERTS} accepted; after restart all ${ALERTS} accepted once, ${receiver.duplicates} repeat(s) dropped by idempotency key\n`,
    );
  }, 180_000);
});
