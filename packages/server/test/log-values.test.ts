import { Writable } from 'node:stream';
import { createLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../src/alerts/ingest.ts';
import { backends } from './backends.ts';
import { testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Work the server does on its own (routing notifications, delivering, retention, housekeeping)
 * logs a failed query as a request does: the statement and its SQLSTATE, never the values it
 * carried, which may be anything a sender put into an alert.
 */
describe.each(all)('background failures on $name', { timeout: 60_000 }, (backend) => {
  it('log the failed statement without the values of its parameters', async () => {
    const lines: string[] = [];
    const stdout = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const t = await testServer(backend, { log: createLogger({ stdout, level: 'info' }) });
    cleanups.push(t.close);
    const channel = await t.api('POST', '/api/v1/notify/channels', {
      name: 'hook',
      kind: 'webhook',
      config: { url: 'http://127.0.0.1:9/hook' },
    });
    expect(channel.status).toBe(201);
    const rule = await t.api('POST', '/api/v1/notify/rules', {
      name: 'every alert',
      matchers: [],
      groupBy: ['alertname', 'token'],
      steps: [{ afterMinutes: 0, channelIds: [channel.body.id] }],
    });
    expect(rule.status).toBe(201);
    // Filing the alert into a group of this rule now fails in the database.
    await t.database.db.execute(
      sql`ALTER TABLE notify_groups ADD CONSTRAINT refuse_all CHECK (false) NOT VALID`,
    );
    await t.s.alerts.ingest(
      parseAlertmanager({
        version: '4',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'Leaky', token: 'sender-secret-4711' },
            annotations: {},
            startsAt: new Date().toISOString(),
          },
        ],
      }),
      'test',
    );
    await eventually('the routing failure in the log', () =>
      lines.join('').includes('notification routing failed'),
    );
    const logged = lines.join('');
    expect(logged).toContain('23514');
    expect(logged).not.toContain('sender-secret-4711');
  });
});
