import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/alerts/fingerprint.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

/**
 * An ingest key is handed to every Alertmanager, vmalert and script that reports alerts. The
 * alert an ingest names is the one its labels name, so a sender cannot reach into an alert that
 * another sender owns by quoting its fingerprint.
 */
const all = await backends();

describe.each(all)('alert identity on $name', (backend) => {
  let t: TestServer;
  let ingest: Record<string, string>;
  beforeAll(async () => {
    t = await testServer(backend);
    const { key } = await t.s.identity.createApiKey('admin', 'scripts', 'ingest');
    ingest = { authorization: `Basic ${Buffer.from(`api_key:${key}`).toString('base64')}` };
  }, 60_000);
  afterAll(() => t.close());

  const post = (url: string, payload: unknown) =>
    t.s.app.inject({ method: 'POST', url, headers: ingest, payload: payload as object });

  const victimLabels = { alertname: 'DatabaseDown', instance: 'db-1', severity: 'critical' };
  const victim = fingerprintOf(victimLabels);

  it('a sender quoting another alert’s fingerprint makes an alert of its own labels', async () => {
    const fired = await post('/api/v1/webhooks/generic', {
      name: 'DatabaseDown',
      severity: 'critical',
      labels: { instance: 'db-1' },
      summary: 'primary unreachable',
      startsAt: '2026-01-01T00:00:00Z',
    });
    expect(fired.statusCode).toBe(202);

    for (const [url, payload] of [
      [
        '/api/v1/webhooks/generic',
        { name: 'Harmless', fingerprint: victim, status: 'resolved', summary: 'all good' },
      ],
      [
        '/api/v1/webhooks/alertmanager',
        {
          version: '4',
          alerts: [
            {
              status: 'resolved',
              labels: { alertname: 'Harmless', via: 'am' },
              annotations: { summary: 'all good' },
              startsAt: '2026-01-01T00:00:00Z',
              endsAt: '2026-01-01T00:05:00Z',
              fingerprint: victim,
            },
          ],
        },
      ],
    ] as const)
      expect((await post(url, payload)).statusCode).toBe(202);

    const detail = await t.api('GET', `/api/v1/alerts/${victim}`);
    expect(detail.status).toBe(200);
    expect(detail.body.alert.labels).toEqual(victimLabels);
    expect(detail.body.alert.state).toBe('firing');
    expect(detail.body.alert.annotations.summary).toBe('primary unreachable');
    expect(detail.body.history.map((h: { event: string }) => h.event)).toEqual(['fire']);

    const harmless = await t.api('GET', `/api/v1/alerts/${fingerprintOf({ alertname: 'Harmless' })}`);
    expect(harmless.status).toBe(200);
    expect(harmless.body.alert.annotations).toMatchObject({
      summary: 'all good',
      source_fingerprint: victim,
    });
  });

  it('refuses a fingerprint longer than any sender’s hash with 400 naming the field', async () => {
    const res = await post('/api/v1/webhooks/generic', { name: 'Long', fingerprint: 'f'.repeat(129) });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors).toEqual([{ path: 'fingerprint', message: expect.stringMatching(/128/) }]);
  });
});
