import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { eventually } from '@opsfleet/core/testing';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../src/alerts/ingest.ts';
import { startReceiver } from '../src/notify/receiver.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const storm = (n: number) =>
  parseAlertmanager({
    version: '4',
    status: 'firing',
    alerts: Array.from({ length: n }, (_, i) => ({
      status: 'firing',
      labels: { alertname: 'Storm', severity: 'critical', instance: `host-${i}` },
      annotations: { summary: `host-${i} is down` },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: '',
    })),
  });

const nested = (open: string, close: string, depth: number, inner: string) =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/**
 * Runs `hostile` while asking `beside` one request after another, and returns the slowest of
 * those: an engine that blocks the event loop holds one of them for as long as it blocks.
 */
async function whileRunning<T>(hostile: Promise<T>, beside: () => Promise<unknown>) {
  let done = false;
  const result = hostile.finally(() => {
    done = true;
  });
  let slowest = 0;
  let answered = 0;
  while (!done) {
    const started = performance.now();
    await beside();
    slowest = Math.max(slowest, performance.now() - started);
    answered++;
  }
  return { result: await result, slowest, answered };
}

describe.each(all)('notification templates are untrusted input on $name', (backend) => {
  let t: TestServer;
  const start = async (opts: Parameters<typeof testServer>[1] = {}) => {
    t = await testServer(backend, opts);
    cleanups.push(t.close);
  };

  it('a preview nesting loops exponentially answers 400 promptly, and the server keeps answering', async () => {
    await start();
    // The sample alert has 3 labels: each level multiplies the work by 3.
    const hostile = [
      nested('{{#labelList}}', '{{/labelList}}', 16, '{{name}}'),
      nested('{% for l in alerts[0].labelList %}', '{% endfor %}', 16, '{{ l.name }}'),
    ];
    for (const body of hostile) {
      const started = performance.now();
      const { result, slowest } = await whileRunning(
        t.api('POST', '/api/v1/notify/preview', {
          event: 'firing',
          template: { title: 'x', body: `{{#alerts}}${body}{{/alerts}}` },
        }),
        () => t.api('GET', '/api/v1/notify/templates/defaults'),
      );
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(slowest).toBeLessThan(2_000);
      expect(result.status).toBe(400);
      expect(result.body.errors).toEqual([{ path: 'body.template.body', message: expect.any(String) }]);
    }
  }, 120_000);

  it('a template cannot read prototypes, globals or files', async () => {
    await start();
    const preview = await t.api('POST', '/api/v1/notify/preview', {
      event: 'firing',
      template: {
        title: '{{ alerts.constructor.name }}{{ alerts[0].__proto__ }}{{ process.env.PATH }}',
        body: '{% for a in alerts %}{{ a.labels.constructor }}{{ a.name }}{% endfor %}',
      },
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ title: '', markdown: 'DiskFull' });
    const include = await t.api('POST', '/api/v1/notify/templates', {
      name: 'reads files',
      templates: { firing: { title: 'x', body: '{% include "package.json" %}{% render "/etc/passwd" %}' } },
    });
    expect(include.status).toBe(400);
    expect(include.body.errors).toEqual([
      { path: 'body.templates.firing.body', message: expect.stringContaining('tag "include" not found') },
    ]);
  });

  it('refuses oversized templates at save and preview, naming the field', async () => {
    await start();
    const big = { title: 'x'.repeat(501), body: 'ok' };
    const saved = await t.api('POST', '/api/v1/notify/templates', {
      name: 'big',
      templates: { firing: big },
    });
    expect(saved.status).toBe(400);
    expect(saved.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.templates.firing.title']);
    const preview = await t.api('POST', '/api/v1/notify/preview', {
      event: 'firing',
      template: { title: 'ok', body: 'x'.repeat(20_001) },
    });
    expect(preview.status).toBe(400);
    expect(preview.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.template.body']);
  });

  it("one rule's failing template sends its notification in the default, and another rule's goes out too", async () => {
    await start({ notifyTickMs: 500, notifyRetry: { baseMs: 50, capMs: 200, maxAttempts: 3 } });
    const r = await startReceiver({});
    cleanups.push(r.close);
    const channel = await t.api('POST', '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config: { url: r.url },
    });
    // Fine with the one sample alert of a preview; 40^5 steps with the storm's 40 alerts.
    const loops = nested('{% for a in alerts %}', '{% endfor %}', 5, '.');
    const set = await t.api('POST', '/api/v1/notify/templates', {
      name: 'explodes',
      templates: { firing: { title: 'custom {{ count }}', body: loops } },
    });
    expect(set.status, JSON.stringify(set.body)).toBe(201);
    for (const [name, templateId] of [
      ['with the bad template', set.body.id],
      ['with the defaults', null],
    ]) {
      const rule = await t.api('POST', '/api/v1/notify/rules', {
        name,
        groupBy: ['alertname'],
        groupWaitSeconds: 0,
        templateId,
        steps: [{ afterMinutes: 0, channelIds: [channel.body.id] }],
      });
      expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    }
    const started = performance.now();
    await t.s.alerts.ingest(storm(40), 'am');
    await eventually('both rules notified', () => r.accepted.map((n) => n.body.rule).sort(), {
      ok: (rules) => rules.length === 2,
      timeoutMs: 20_000,
    });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(r.accepted.map((n) => n.body.rule).sort()).toEqual(['with the bad template', 'with the defaults']);
    const bad = r.accepted.find((n) => n.body.rule === 'with the bad template')!;
    expect(bad.body.templateProblem).toMatch(/^body failed to render: template render limit exceeded/);
    const log = await eventually('both deliveries logged', () => t.api('GET', '/api/v1/notify/deliveries'), {
      ok: (res) => res.body.items.length === 2,
      timeoutMs: 10_000,
    });
    expect(log.body.items.map((d: { title: string }) => d.title)).toEqual([
      '[FIRING:40] Storm',
      '[FIRING:40] Storm',
    ]);
  }, 60_000);

  it('reads a set stored in Mustache syntax before the switch as Liquid, with the same text', async () => {
    await start();
    await t.database.db.execute(sql`
      INSERT INTO notify_templates (name, templates, created_by, syntax) VALUES ('old', ${JSON.stringify({
        firing: {
          title: '[{{count}}] {{groupName}}',
          body: '{{#alerts}}- {{name}} on {{labels.instance}}\n{{/alerts}}',
        },
      })}::jsonb, 'admin', 'mustache')`);
    const [stored] = (await t.api('GET', '/api/v1/notify/templates')).body;
    expect(stored.templates.firing).toEqual({
      title: '[{{ count }}] {{ groupName }}',
      body: '{% for alert in alerts %}- {{ alert.name }} on {{ alert.labels.instance }}\n{% endfor %}',
    });
    const preview = await t.api('POST', '/api/v1/notify/preview', {
      event: 'firing',
      template: stored.templates.firing,
    });
    expect(preview.body).toMatchObject({ title: '[1] DiskFull', markdown: '- DiskFull on db-1' });
  });
});

describe('the template parse cache', () => {
  it('3,000 distinct previews leave the heap as it was', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const t = await testServer(all[0]!);
    cleanups.push(t.close);
    const preview = (i: number) =>
      t.api('POST', '/api/v1/notify/preview', {
        event: 'firing',
        template: { title: `${i}`, body: `${i} ${'{{ count }}'.repeat(500)}` },
      });
    await preview(-1);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 3_000; i++) {
      const res = await preview(i);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(100 * 2 ** 20);
  }, 300_000);
});
