import { afterEach, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

describe.each(all)('alert ingestion metrics on $name', (backend) => {
  it('counts reports, episodes heard of already resolved, and a sender clock running ahead', async () => {
    const t = await testServer(backend);
    servers.push(t);
    const alert = (status: string, labels: Record<string, string>, startsAt: string, endsAt?: string) => ({
      status,
      labels,
      annotations: {},
      startsAt,
      endsAt: endsAt ?? '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: '',
    });
    const post = (alerts: unknown[]) =>
      t.api('POST', '/api/v1/webhooks/alertmanager', { version: '4', status: 'firing', alerts });
    // A sender whose clock is 10 minutes ahead, and a resolve of an episode never heard of.
    expect(
      (
        await post([
          alert('firing', { alertname: 'Ahead' }, minutesFromNow(10)),
          alert('resolved', { alertname: 'Missed' }, minutesFromNow(-30), minutesFromNow(-20)),
        ])
      ).status,
    ).toBe(202);
    const metrics = (await t.s.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('opsfleet_alert_reports_total{source="alertmanager",status="firing"} 1');
    expect(metrics).toContain('opsfleet_alert_reports_total{source="alertmanager",status="resolved"} 1');
    expect(metrics).toContain('opsfleet_alert_episodes_resolved_on_arrival_total{source="alertmanager"} 1');
    expect(metrics).toContain('opsfleet_alert_reports_from_future_total{source="alertmanager"} 1');
    const ahead = Number(
      /opsfleet_alert_sender_clock_ahead_seconds\{source="alertmanager"\} (\S+)/.exec(metrics)?.[1],
    );
    expect(ahead).toBeGreaterThan(590);
    expect(ahead).toBeLessThanOrEqual(600);
    // The resolved-on-arrival episode is stored, and it is not open.
    const list = await t.api('GET', '/api/v1/alerts?limit=10');
    expect(list.body.items.map((a: { name: string; state: string }) => [a.name, a.state]).sort()).toEqual([
      ['Ahead', 'firing'],
      ['Missed', 'resolved'],
    ]);
  }, 60_000);

  it('answers a copy of a batch delivered moments before from the first, and stores a batch that differs', async () => {
    const t = await testServer(backend);
    servers.push(t);
    const startsAt = minutesFromNow(-5);
    const batch = (endsAt: string) => ({
      version: '4',
      status: 'firing',
      alerts: ['a', 'b', 'c'].map((pod) => ({
        status: 'firing',
        labels: { alertname: 'HaCopy', pod },
        annotations: { summary: `pod ${pod} down` },
        startsAt,
        endsAt,
        generatorURL: '',
        fingerprint: '',
      })),
    });
    const first = batch(minutesFromNow(5));
    // An HA pair: the same delivery twice at once, then once more a moment later.
    const [a, b] = await Promise.all([
      t.api('POST', '/api/v1/webhooks/alertmanager', first),
      t.api('POST', '/api/v1/webhooks/alertmanager', first),
    ]);
    const c = await t.api('POST', '/api/v1/webhooks/alertmanager', first);
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    expect([a.body, b.body, c.body].map((r) => r.created).sort()).toEqual([0, 0, 3]);
    expect(c.body).toMatchObject({ received: 3, created: 0, changed: 0, refreshed: 3 });
    let metrics = (await t.s.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('opsfleet_alert_reports_repeated_total{source="alertmanager"} 6');
    expect(metrics).toContain('opsfleet_alert_reports_total{source="alertmanager",status="firing"} 9');
    // The same alerts with a later endsAt are news: stored, not answered from memory.
    const later = await t.api('POST', '/api/v1/webhooks/alertmanager', batch(minutesFromNow(9)));
    expect(later.body).toMatchObject({ received: 3, created: 0 });
    metrics = (await t.s.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('opsfleet_alert_reports_repeated_total{source="alertmanager"} 6');
    const list = await t.api('GET', '/api/v1/alerts?limit=10');
    expect(list.body.items.map((x: { state: string }) => x.state)).toEqual(['firing', 'firing', 'firing']);
    const detail = await t.api('GET', `/api/v1/alerts/${list.body.items[0].fingerprint}`);
    expect(detail.body.history).toHaveLength(1);
  }, 60_000);
});
