import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../src/alerts/ingest.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// A backtracking engine takes 2^30 steps to refuse this value against `(a+)+$` (tens of seconds);
// RE2 reads it once.
const EVIL_VALUE = `${'a'.repeat(30)}b`;
const RE2_SYNTAX = /RE2 syntax is required/;

const firing = (labels: Record<string, string>) =>
  parseAlertmanager({
    version: '4',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { severity: 'critical', ...labels },
        annotations: {},
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: '',
      },
    ],
  });

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe.each(all)('user regexes run in linear time on $name', (backend) => {
  let t: TestServer;
  const start = async () => {
    t = await testServer(backend);
    cleanups.push(t.close);
  };

  it('a silence with a catastrophic pattern neither stalls ingestion nor the answers beside it', async () => {
    await start();
    const silence = await t.api('POST', '/api/v1/silences', {
      matchers: ['alertname="Evil"', 'instance=~"(a+)+$"'],
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      comment: 'hostile pattern',
    });
    expect(silence.status, JSON.stringify(silence.body)).toBe(201);
    const ingest = timed(() => t.s.alerts.ingest(firing({ alertname: 'Evil', instance: EVIL_VALUE }), 'am'));
    const beside = await timed(() => t.api('GET', '/api/v1/silences'));
    const { ms } = await ingest;
    expect(beside.value.status).toBe(200);
    expect(beside.ms).toBeLessThan(3_000);
    expect(ms).toBeLessThan(3_000);
    const { body } = await t.api('GET', '/api/v1/alerts?q=Evil');
    expect(body.items.map((a: { state: string }) => a.state)).toEqual(['firing']);
  }, 120_000);

  it('a notification rule with a catastrophic pattern routes promptly', async () => {
    await start();
    const channel = await t.api('POST', '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config: { url: 'http://127.0.0.1:9/hook' },
    });
    const rule = await t.api('POST', '/api/v1/notify/rules', {
      name: 'evil',
      matchers: ['instance=~"(a+)+$"'],
      groupWaitSeconds: 0,
      steps: [{ afterMinutes: 0, channelIds: [channel.body.id] }],
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    await t.s.alerts.ingest(firing({ alertname: 'Evil', instance: EVIL_VALUE }), 'am');
    const { ms } = await timed(() => t.s.notifier.routeNow());
    expect(ms).toBeLessThan(3_000);
  }, 120_000);

  it('refuses backreferences and lookaround with a 400 naming the matcher and asking for RE2 syntax', async () => {
    await start();
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const lookahead = await t.api('POST', '/api/v1/silences', {
      matchers: ['alertname="A"', 'instance=~"db-(?!prod)"'],
      endsAt,
      comment: 'x',
    });
    expect(lookahead.status).toBe(400);
    expect(lookahead.body.errors).toEqual([
      { path: 'matchers[1]', message: expect.stringMatching(RE2_SYNTAX) },
    ]);
    const backreference = await t.api('POST', '/api/v1/silences', {
      matchers: [{ name: 'instance', type: '=~', value: '(a)\\1' }],
      endsAt,
      comment: 'x',
    });
    expect(backreference.status).toBe(400);
    expect(backreference.body.errors).toEqual([
      { path: 'matchers.[0].value', message: expect.stringMatching(RE2_SYNTAX) },
    ]);
    const rule = await t.api('POST', '/api/v1/notify/rules', {
      name: 'lookbehind',
      matchers: ['instance=~"(?<=db-)1"'],
      steps: [{ afterMinutes: 0, channelIds: [randomUUID()] }],
    });
    expect(rule.status).toBe(400);
    expect(rule.body.errors).toContainEqual({
      path: 'body.matchers[0]',
      message: expect.stringMatching(RE2_SYNTAX),
    });
  });
});
