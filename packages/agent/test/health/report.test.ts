import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { eventually } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransitionEvent } from '../../src/health/monitor.ts';
import { HealthReporter } from '../../src/health/report.ts';
import { close, listen } from './helpers.ts';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** The server's generic ingestion, as far as the agent can tell: answers `status()` to each POST. */
function receiver(status: () => number = () => 202) {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) });
      const code = status();
      res
        .writeHead(code, { 'content-type': 'application/json' })
        .end(code < 300 ? '{"accepted":1}' : '{"title":"no"}');
    });
  });
  return { server, got };
}

const T0 = '2025-03-01T10:00:00.000Z';
const T1 = '2025-03-01T10:05:00.000Z';
const ev = (
  from: TransitionEvent['from'],
  to: TransitionEvent['to'],
  at: string,
  output: string,
  check = 'http',
): TransitionEvent => ({
  service: 'web',
  check,
  from,
  to,
  output,
  at,
});

let reporter: HealthReporter | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await reporter?.close(0);
  reporter = undefined;
  await Promise.all(servers.splice(0).map(close));
});

describe('HealthReporter', () => {
  it('posts the transition to the generic ingestion with the bearer token, as the documented JSON', async () => {
    const { server, got } = receiver();
    servers.push(server);
    const port = await listen(server);
    reporter = new HealthReporter({ url: `http://127.0.0.1:${port}`, token: 's3cret', host: 'host-1' });

    expect(
      reporter.report(
        ev('passing', 'critical', T0, 'HTTP GET http://x/health: 503 Service Unavailable\nbody'),
      ),
    ).toBeUndefined();
    await eventually('the firing alert', () => got.length === 1, { timeoutMs: 3000 });
    reporter.report(ev('critical', 'passing', T1, 'HTTP GET http://x/health: 200 OK\nok'));
    await eventually('the resolve', () => got.length === 2, { timeoutMs: 3000 });

    expect(got[0]!.path).toBe('/api/v1/webhooks/generic');
    expect(got[0]!.headers.authorization).toBe('Bearer s3cret');
    expect(got[0]!.headers['content-type']).toBe('application/json');
    expect(got[0]!.body).toEqual({
      name: 'ServiceHealthCheck',
      severity: 'critical',
      status: 'firing',
      labels: { host: 'host-1', service: 'web', check: 'http' },
      summary: 'web/http is critical: HTTP GET http://x/health: 503 Service Unavailable',
      startsAt: T0,
    });
    expect(got[1]!.body).toEqual({
      name: 'ServiceHealthCheck',
      severity: 'critical',
      status: 'resolved',
      labels: { host: 'host-1', service: 'web', check: 'http' },
      summary: 'web/http is passing: HTTP GET http://x/health: 200 OK',
      startsAt: T0,
      endsAt: T1,
    });
    // Counted when the answer is read, a moment after the receiver has the request.
    await eventually('both counted as sent', () => reporter?.sent === 2, { timeoutMs: 3000 });
  });

  it('keeps transitions while the server is down and sends them, in order, once it is back', async () => {
    // The port is free: connections are refused until the receiver listens on it.
    const probe = createServer();
    const port = await listen(probe);
    await close(probe);
    reporter = new HealthReporter({
      url: `http://127.0.0.1:${port}/`,
      token: 't',
      host: 'h',
      retryBaseMs: 20,
      retryMaxMs: 100,
    });
    reporter.report(ev('passing', 'warning', T0, 'HTTP GET x: 429 Too Many Requests'));
    reporter.report(ev('warning', 'critical', T1, 'HTTP GET x: 503 Service Unavailable'));
    await new Promise((r) => setTimeout(r, 300)); // several failed attempts
    expect(reporter.queued).toBe(3);

    // Back, but answering 503 at first: still retried.
    let answers = 0;
    const { server, got } = receiver(() => (++answers === 1 ? 503 : 202));
    servers.push(server);
    await listen(server, port);
    await eventually('the queue sent', () => reporter!.queued === 0, { timeoutMs: 5000 });

    expect(got).toHaveLength(2);
    expect(got[0]!.body).toEqual(got[1]!.body); // the 503'd batch was sent again, whole
    const labels = { host: 'h', service: 'web', check: 'http' };
    expect(got[1]!.body).toEqual({
      alerts: [
        {
          name: 'ServiceHealthCheck',
          severity: 'warning',
          status: 'firing',
          labels,
          summary: 'web/http is warning: HTTP GET x: 429 Too Many Requests',
          startsAt: T0,
        },
        {
          name: 'ServiceHealthCheck',
          severity: 'warning',
          status: 'resolved',
          labels,
          summary: 'web/http is critical: HTTP GET x: 503 Service Unavailable',
          startsAt: T0,
          endsAt: T1,
        },
        {
          name: 'ServiceHealthCheck',
          severity: 'critical',
          status: 'firing',
          labels,
          summary: 'web/http is critical: HTTP GET x: 503 Service Unavailable',
          startsAt: T1,
        },
      ],
    });
    await eventually('all three counted as sent', () => reporter?.sent === 3, { timeoutMs: 3000 });
  });

  it('the queue is bounded: the newest are kept', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await close(probe);
    reporter = new HealthReporter({
      url: `http://127.0.0.1:${port}`,
      token: 't',
      host: 'h',
      maxQueue: 2,
      retryBaseMs: 20,
      retryMaxMs: 50,
    });
    for (let i = 0; i < 5; i++) reporter.report(ev('passing', 'critical', T0, `failure ${i}`, `check-${i}`));
    expect(reporter.queued).toBe(2);
    expect(reporter.dropped).toBe(3);
    await new Promise((r) => setTimeout(r, 100)); // the attempt in flight has failed

    const { server, got } = receiver();
    servers.push(server);
    await listen(server, port);
    await eventually('the queue sent', () => reporter!.queued === 0, { timeoutMs: 5000 });
    const sent = (got[0]!.body as { alerts: { labels: { check: string } }[] }).alerts.map(
      (a) => a.labels.check,
    );
    expect(got).toHaveLength(1);
    expect(sent).toEqual(['check-3', 'check-4']);
  });

  it('a rejected message (4xx) is dropped, not retried, and does not hold up the next', async () => {
    let n = 0;
    const { server, got } = receiver(() => (++n === 1 ? 403 : 202));
    servers.push(server);
    const port = await listen(server);
    reporter = new HealthReporter({
      url: `http://127.0.0.1:${port}`,
      token: 'wrong-role',
      host: 'h',
      retryBaseMs: 20,
    });
    reporter.report(ev('passing', 'critical', T0, 'a', 'one'));
    await eventually('the rejection', () => got.length === 1 && reporter!.queued === 0, { timeoutMs: 3000 });
    reporter.report(ev('passing', 'critical', T0, 'b', 'two'));
    await eventually('the next message', () => got.length === 2, { timeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(2);
    expect(reporter.dropped).toBe(1);
    await eventually('the second counted as sent', () => reporter?.sent === 1, { timeoutMs: 3000 });
  });

  it('re-sends open alerts so the server does not time them out', async () => {
    const { server, got } = receiver();
    servers.push(server);
    const port = await listen(server);
    reporter = new HealthReporter({
      url: `http://127.0.0.1:${port}`,
      token: 't',
      host: 'h',
      resendEveryMs: 100,
    });
    reporter.report(ev('passing', 'critical', T0, 'down'));
    await eventually('two re-sends', () => got.length >= 3, { timeoutMs: 3000 });
    for (const r of got.slice(0, 3))
      expect(r.body).toMatchObject({ status: 'firing', severity: 'critical', startsAt: T0 });
    reporter.report(ev('critical', 'passing', T1, 'up'));
    await eventually(
      'the resolve',
      () => got.some((r) => (r.body as { status: string }).status === 'resolved'),
      { timeoutMs: 3000 },
    );
    const after = got.length;
    await new Promise((r) => setTimeout(r, 250));
    expect(got.length).toBe(after); // nothing open, nothing re-sent
  });
});
