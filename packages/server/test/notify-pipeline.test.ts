import { eventually } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../src/alerts/ingest.ts';
import { type Receiver, startReceiver } from '../src/notify/receiver.ts';
import { Router } from '../src/notify/router.ts';
import { RuleStore } from '../src/notify/rule-store.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alert = (labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing') => ({
  status,
  labels: { severity: 'critical', ...labels },
  annotations: { summary: `${labels.alertname} on ${labels.instance ?? '?'}` },
  startsAt: '2026-11-25T10:00:00Z',
  endsAt: status === 'resolved' ? '2026-11-25T10:05:00Z' : '0001-01-01T00:00:00Z',
  generatorURL: '',
  fingerprint: '',
});

const ingest = (t: TestServer, alerts: ReturnType<typeof alert>[]) =>
  t.s.alerts.ingest(parseAlertmanager({ version: '4', status: 'firing', alerts }), 'alertmanager');

async function setup(
  backend: (typeof all)[number],
  rule: Record<string, unknown> = {},
  receiver: Parameters<typeof startReceiver>[0] = {},
) {
  const t = await testServer(backend, {
    notifyRetry: { baseMs: 50, capMs: 200, maxAttempts: 3 },
    housekeepingMs: 60_000,
    notifyTickMs: 1000,
  });
  cleanups.push(t.close);
  const r = await startReceiver(receiver);
  cleanups.push(r.close);
  const channel = await t.api('POST', '/api/v1/notify/channels', {
    name: 'hook',
    kind: 'webhook',
    config: { url: r.url },
  });
  expect(channel.status).toBe(201);
  const created = await t.api('POST', '/api/v1/notify/rules', {
    name: 'everything',
    groupBy: ['alertname'],
    groupWaitSeconds: 0,
    groupIntervalSeconds: 1,
    steps: [{ afterMinutes: 0, channelIds: [channel.body.id] }],
    ...rule,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { t, r, channelId: channel.body.id as string, rule: created.body };
}

const titles = (r: Receiver) =>
  r.accepted.map((n) => `${n.body.event}:${(n.body.alerts as unknown[]).length}`);

describe.each(all)('notification pipeline on $name', (backend) => {
  it('turns a storm of 200 alerts into one message, then one resolution', async () => {
    const { t, r } = await setup(backend, { groupWaitSeconds: 1 });
    for (let batch = 0; batch < 4; batch++)
      await ingest(
        t,
        Array.from({ length: 50 }, (_, i) =>
          alert({ alertname: 'DiskFull', instance: `db-${batch * 50 + i}` }),
        ),
      );
    await sleep(1200);
    await t.s.notifier.routeNow();
    await t.s.notifier.deliverNow();
    await eventually('the firing message', () => titles(r), { ok: (v) => v.length === 1, timeoutMs: 10_000 });
    expect(titles(r)).toEqual(['firing:200']);
    expect(r.accepted[0]!.body.rule).toBe('everything');
    await ingest(
      t,
      Array.from({ length: 200 }, (_, i) =>
        alert({ alertname: 'DiskFull', instance: `db-${i}` }, 'resolved'),
      ),
    );
    await sleep(1100);
    await t.s.notifier.routeNow();
    await eventually('the resolution', () => titles(r), { ok: (v) => v.length === 2, timeoutMs: 10_000 });
    expect(titles(r)).toEqual(['firing:200', 'resolved:200']);
    expect(r.requests).toBe(2);
  }, 60_000);

  it('tells a group of 300 that gains one alert about that one, with a count of the rest', async () => {
    const { t, r } = await setup(backend, { groupBy: ['alertname'] });
    const big = (i: number) => alert({ alertname: 'Big', instance: `b-${i}` });
    await ingest(
      t,
      Array.from({ length: 300 }, (_, i) => big(i)),
    );
    await eventually('the first message', () => r.accepted.length, { ok: (n) => n === 1, timeoutMs: 20_000 });
    await ingest(t, [big(300)]);
    const [, next] = await eventually('the second message', () => r.accepted, {
      ok: (a) => a.length === 2,
      timeoutMs: 20_000,
    });
    expect(next!.body).toMatchObject({ event: 'firing', firingCount: 301, othersFiring: 300 });
    expect((next!.body.alerts as { labels: { instance: string } }[]).map((a) => a.labels.instance)).toEqual([
      'b-300',
    ]);
    const log = (await t.api('GET', '/api/v1/notify/deliveries')).body.items as { title: string }[];
    expect(log.map((d) => d.title).sort()).toEqual(['[FIRING:300] Big', '[FIRING:301] Big']);
  }, 120_000);

  it('loses no change of a group changing while it waits: each alert told once firing, once resolved', async () => {
    const { t, r } = await setup(backend, { groupBy: ['alertname'] });
    const flap = (i: number, status: 'firing' | 'resolved' = 'firing') =>
      alert({ alertname: 'Flap', instance: `f-${i}` }, status);
    const told = (event: string) =>
      r.accepted
        .filter((n) => n.body.event === event)
        .flatMap((n) => (n.body.alerts as { labels: { instance: string } }[]).map((a) => a.labels.instance));
    const resolved = (wave: number) => Array.from({ length: 10 }, (_, i) => wave * 40 + i);
    // New alerts and resolutions land while earlier messages are sent and while the group waits
    // its interval; an alert is resolved only once it was told firing (else it goes quietly).
    for (let wave = 0; wave < 6; wave++) {
      await ingest(
        t,
        Array.from({ length: 40 }, (_, i) => flap(wave * 40 + i)),
      );
      if (wave >= 2) {
        const due = resolved(wave - 2).map((i) => `f-${i}`);
        await eventually('told firing first', () => told('firing'), {
          ok: (list) => due.every((d) => list.includes(d)),
          timeoutMs: 20_000,
        });
        await ingest(
          t,
          resolved(wave - 2).map((i) => flap(i, 'resolved')),
        );
      }
      await sleep(300);
    }
    // A last alert: once it is told, the group has sent everything it had to say before it.
    await ingest(t, [flap(999)]);
    await eventually('the last alert and every resolution told', () => [told('firing'), told('resolved')], {
      ok: ([firing, gone]) => firing!.includes('f-999') && gone!.length >= 40,
      timeoutMs: 30_000,
    });
    expect(told('firing')).toHaveLength(241);
    expect(new Set(told('firing')).size).toBe(241);
    expect(told('resolved').sort()).toEqual(
      [0, 1, 2, 3]
        .flatMap(resolved)
        .map((i) => `f-${i}`)
        .sort(),
    );
    expect(r.accepted.at(-1)!.body.firingCount).toBe(201);
  }, 120_000);

  it('sends a change the group interval held back when the interval ends, with no tick to wake it', async () => {
    // No job runner: only alert changes and the notifier's own timer drive routing.
    const t = await testServer(backend);
    cleanups.push(t.close);
    const r = await startReceiver({});
    cleanups.push(r.close);
    const channel = await t.api('POST', '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config: { url: r.url },
    });
    await t.api('POST', '/api/v1/notify/rules', {
      name: 'interval',
      groupWaitSeconds: 0,
      groupIntervalSeconds: 1,
      steps: [{ afterMinutes: 0, channelIds: [channel.body.id] }],
    });
    await ingest(t, [alert({ alertname: 'Slow', instance: 'a' })]);
    await eventually('the first message', () => r.accepted.length, { ok: (n) => n === 1, timeoutMs: 20_000 });
    await ingest(t, [alert({ alertname: 'Slow', instance: 'b' })]);
    const [first, second] = await eventually('the held change', () => r.accepted, {
      ok: (a) => a.length === 2,
      timeoutMs: 20_000,
    });
    expect((second!.body.alerts as { labels: { instance: string } }[])[0]!.labels.instance).toBe('b');
    expect(first!.body.alerts).toHaveLength(1);
    // The interval is kept between the router's decisions (the messages' creation), which is what
    // it controls; arrival times also carry each delivery's own delay, which a busy machine stretches.
    const outbox = await t.api('GET', '/api/v1/notify/outbox');
    const created = (outbox.body.items as { createdAt: string }[]).map((m) => Date.parse(m.createdAt)).sort();
    expect(created).toHaveLength(2);
    expect(created[1]! - created[0]!).toBeGreaterThanOrEqual(950);
  }, 120_000);

  it('mutes alerts a silence covers and sends the rest', async () => {
    const { t, r } = await setup(backend, { groupBy: ['alertname', 'team'] });
    const silence = await t.api('POST', '/api/v1/silences', {
      matchers: ['team="db"'],
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      comment: 'maintenance',
    });
    expect(silence.status).toBe(201);
    await ingest(t, [
      alert({ alertname: 'Down', team: 'db', instance: 'a' }),
      alert({ alertname: 'Down', team: 'web', instance: 'b' }),
    ]);
    await eventually('the web alert', () => r.accepted.length, { ok: (n) => n === 1, timeoutMs: 10_000 });
    await sleep(300);
    await t.s.notifier.routeNow();
    expect(r.accepted.map((n) => (n.body.alerts as { labels: { team: string } }[])[0]!.labels.team)).toEqual([
      'web',
    ]);
  });

  it('retries failures with backoff, records every attempt, and keeps what cannot be sent as a dead letter', async () => {
    let refuse = true;
    const { t, r } = await setup(
      backend,
      { groupBy: ['instance'] },
      {
        status: ({ body, attempt }) => {
          const instance = (body.alerts as { labels: { instance: string } }[])[0]!.labels.instance;
          if (instance === 'flaky') return attempt <= 2 ? 503 : 200;
          if (instance === 'broken') return refuse ? 400 : 200;
          return 200;
        },
      },
    );
    await ingest(t, [
      alert({ alertname: 'X', instance: 'flaky' }),
      alert({ alertname: 'X', instance: 'broken' }),
    ]);
    const dead = await eventually(
      'the dead letter',
      async () => (await t.api('GET', '/api/v1/notify/dead-letters')).body.items,
      { ok: (items) => items.length === 1, timeoutMs: 10_000 },
    );
    await eventually('the flaky delivery', () => r.accepted.length, {
      ok: (n) => n === 1,
      timeoutMs: 10_000,
    });
    const log = (await t.api('GET', '/api/v1/notify/deliveries')).body.items as {
      status: string;
      responseCode: number;
      title: string;
    }[];
    expect(log.map((a) => `${a.status}:${a.responseCode}`).sort()).toEqual([
      'failed:400',
      'failed:503',
      'failed:503',
      'ok:200',
    ]);
    expect(dead[0].lastError).toContain('HTTP 400');
    expect(dead[0].attempts).toBe(1);

    const inspected = await t.api('GET', `/api/v1/notify/outbox/${dead[0].id}`);
    expect(inspected.body.history).toHaveLength(1);
    expect(inspected.body.payload.alerts[0].labels.instance).toBe('broken');
    expect((await t.api('DELETE', `/api/v1/notify/outbox/${dead[0].id}`)).status).toBe(404);

    refuse = false;
    const retried = await t.api('POST', `/api/v1/notify/dead-letters/${dead[0].id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.state).toBe('pending');
    await eventually('the retried delivery', () => r.accepted.length, {
      ok: (n) => n === 2,
      timeoutMs: 10_000,
    });
    expect((await t.api('POST', `/api/v1/notify/dead-letters/${dead[0].id}/retry`)).status).toBe(409);
    expect(
      (await t.api('GET', `/api/v1/notify/outbox/${dead[0].id}`)).body.history.map(
        (a: { status: string }) => a.status,
      ),
    ).toEqual(['failed', 'ok']);
  });

  it('gives up after the last attempt, and discards a dead letter, keeping it for the record', async () => {
    const { t } = await setup(backend, {}, { status: () => 503 });
    await ingest(t, [alert({ alertname: 'Gone' })]);
    const [item] = await eventually(
      'the dead letter',
      async () => (await t.api('GET', '/api/v1/notify/dead-letters')).body.items,
      { ok: (items) => items.length === 1, timeoutMs: 10_000 },
    );
    expect(item.attempts).toBe(3);
    expect(item.lastError).toContain('HTTP 503');
    const metrics = (await t.s.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('opsfleet_notify_attempts_total{kind="webhook",outcome="failed"} 3');
    expect(metrics).toContain('opsfleet_notify_outbox{state="dead"} 1');
    expect((await t.api('DELETE', `/api/v1/notify/dead-letters/${item.id}`)).status).toBe(204);
    expect((await t.api('GET', '/api/v1/notify/dead-letters')).body.items).toEqual([]);
    expect(
      (await t.api('GET', '/api/v1/notify/outbox?state=discarded')).body.items.map(
        (i: { id: string }) => i.id,
      ),
    ).toEqual([item.id]);
  });

  it('keeps a DingTalk robot within 20 messages a minute', async () => {
    const t = await testServer(backend);
    cleanups.push(t.close);
    const robot = await startReceiver({});
    cleanups.push(robot.close);
    const channel = await t.api('POST', '/api/v1/notify/channels', {
      name: 'robot',
      kind: 'dingtalk',
      config: { url: `${robot.url}?access_token=T` },
    });
    await t.api('POST', '/api/v1/notify/rules', {
      name: 'each',
      groupBy: ['instance'],
      groupWaitSeconds: 0,
      steps: [{ afterMinutes: 0, channelIds: [channel.body.id] }],
    });
    await ingest(
      t,
      Array.from({ length: 25 }, (_, i) => alert({ alertname: 'Busy', instance: `h${i}` })),
    );
    await eventually('20 messages', () => robot.requests, { ok: (n) => n === 20, timeoutMs: 10_000 });
    await sleep(500);
    await t.s.notifier.deliverNow();
    expect(robot.requests).toBe(20);
    const pending = (await t.api('GET', '/api/v1/notify/outbox?state=pending')).body.items as {
      nextAttemptAt: string;
      attempts: number;
    }[];
    expect(pending).toHaveLength(5);
    for (const p of pending) {
      expect(p.attempts).toBe(0);
      expect(new Date(p.nextAttemptAt).getTime()).toBeGreaterThan(Date.now() + 50_000);
    }
  });

  it('escalates an unacknowledged group to the next step, and tells both steps when it resolves', async () => {
    const t = await testServer(backend);
    cleanups.push(t.close);
    const first = await startReceiver({});
    const second = await startReceiver({});
    cleanups.push(first.close, second.close);
    const ids: string[] = [];
    for (const [name, r] of [
      ['oncall', first],
      ['manager', second],
    ] as const)
      ids.push(
        (await t.api('POST', '/api/v1/notify/channels', { name, kind: 'webhook', config: { url: r.url } }))
          .body.id,
      );
    await t.api('POST', '/api/v1/notify/rules', {
      name: 'escalating',
      groupWaitSeconds: 0,
      steps: [
        { afterMinutes: 0, channelIds: [ids[0]] },
        { afterMinutes: 15, channelIds: [ids[1]] },
      ],
    });
    // A second router on the same database, with a clock the test moves forward.
    let clock = Date.now();
    const router = new Router({
      db: t.database.db,
      rules: new RuleStore(t.database.db),
      silences: async () => [],
      consoleUrl: () => 'http://console',
      now: () => new Date(clock),
    });
    await ingest(t, [
      alert({ alertname: 'Down', instance: 'a' }),
      alert({ alertname: 'Down', instance: 'b' }),
    ]);
    await eventually('the first message', () => first.accepted.length, {
      ok: (n) => n === 1,
      timeoutMs: 10_000,
    });
    expect(second.accepted).toHaveLength(0);

    clock = Date.now() + 16 * 60_000;
    expect((await router.flush()).written).toBe(1);
    await t.s.notifier.deliverNow();
    await eventually('the escalation', () => second.accepted.length, {
      ok: (n) => n === 1,
      timeoutMs: 10_000,
    });
    expect(second.accepted[0]!.body.event).toBe('escalated');
    expect(second.accepted[0]!.body.alerts).toHaveLength(2);

    await ingest(t, [
      alert({ alertname: 'Down', instance: 'a' }, 'resolved'),
      alert({ alertname: 'Down', instance: 'b' }, 'resolved'),
    ]);
    await t.s.notifier.routeNow();
    clock += 6 * 60_000;
    expect((await router.flush()).written).toBe(2);
    await t.s.notifier.deliverNow();
    await eventually('both resolutions', () => first.accepted.length + second.accepted.length, {
      ok: (n) => n === 4,
      timeoutMs: 10_000,
    });
    expect([first, second].map((r) => r.accepted.map((n) => n.body.event))).toEqual([
      ['firing', 'resolved'],
      ['escalated', 'resolved'],
    ]);
  });
});

describe.each(all)('notification rules API on $name', (backend) => {
  it('names each unusable field of a rule', async () => {
    const t = await testServer(backend);
    cleanups.push(t.close);
    const bad = await t.api('POST', '/api/v1/notify/rules', {
      name: 'bad',
      matchers: ['team=="db"'],
      windows: [{ days: [1], from: '25:00', to: '18:00', timeZone: 'Mars/Olympus' }],
      steps: [{ afterMinutes: 5, channelIds: ['00000000-0000-4000-8000-000000000000'] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.matchers[0]',
      'body.steps[0].afterMinutes',
      'body.steps[0].channelIds[0]',
      'body.windows[0].from',
      'body.windows[0].timeZone',
    ]);
    expect((await t.api('GET', '/api/v1/notify/rules')).body).toEqual([]);
  });
});
