import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server as HttpServer, createServer as httpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@opsfleet/core';
import { seededShuffle } from '@opsfleet/core/testing';
import { createServer, openDatabase, type Server } from '@opsfleet/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkConfig,
  freePort,
  type Peer,
  type Prometheus,
  peerAvailable,
  startAlertmanager,
  startPrometheus,
  startVmalert,
  stopProcess,
  waitFor,
} from './peers.ts';

/**
 * Real traffic, replayed: Prometheus → Alertmanager 0.25 (two webhook receivers for one
 * server, so every group arrives twice, and a short repeat interval) and vmalert (a re-send
 * every evaluation) deliver flapping alerts through a recording proxy to a live server. Then the
 * captured webhooks are delivered again to that server (nothing may change), in order to a fresh
 * server, and shuffled with every webhook twice to another: both fresh servers must end in the
 * same state. `OPSFLEET_CAPTURE_TO=file.json` keeps the capture (the unit test's fixture came
 * from here).
 */

const HAVE_PEERS =
  peerAvailable('prometheus', 'prometheus') &&
  peerAvailable('prometheus-alertmanager', 'prometheus-alertmanager') &&
  peerAvailable('vmalert', 'victoria-metrics');

interface Captured {
  path: string;
  /** When the live server heard it (a vmalert report's status depends on it). */
  receivedAt: string;
  body: unknown;
}

interface Instance {
  starts_at: string;
  state: string;
  endedBy: string | null;
  ends_at: string | null;
  resolved_at: string | null;
}

interface Running {
  server: Server;
  url: string;
  headers: Record<string, string>;
  ingestKey: string;
}

async function running(dir: string, name: string): Promise<Running> {
  const database = await openDatabase({ dataDir: join(dir, name) });
  const server = await createServer({ database, log: silentLogger(), adminPassword: 'e2e-admin-password' });
  const port = await freePort();
  await server.listen(port, '127.0.0.1');
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    headers: { 'x-api-key': (await server.identity.createApiKey('e2e', `${name}-reader`, 'viewer')).key },
    ingestKey: (await server.identity.createApiKey('e2e', `${name}-senders`, 'ingest')).key,
  };
}

async function get<T>(r: Running, path: string): Promise<T> {
  const res = await fetch(`${r.url}${path}`, { headers: r.headers });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** What the server holds of every alert: its state, its episodes, and how many history entries. */
async function snapshot(r: Running) {
  const list = await get<{ items: { fingerprint: string; name: string; source: string; state: string }[] }>(
    r,
    '/api/v1/alerts?limit=500',
  );
  const alerts = await Promise.all(
    list.items.map(async (a) => {
      const d = await get<{ instances: Instance[]; history: unknown[] }>(
        r,
        `/api/v1/alerts/${a.fingerprint}`,
      );
      return {
        key: `${a.source} ${a.name} ${a.fingerprint}`,
        state: a.state,
        instances: d.instances.map(
          (i) => `${i.starts_at} ${i.state}/${i.endedBy} ${i.ends_at} ${i.resolved_at}`,
        ),
        history: d.history.length,
      };
    }),
  );
  return alerts.sort((a, b) => a.key.localeCompare(b.key));
}

async function deliver(r: Running, traffic: Captured[]): Promise<void> {
  for (const c of traffic) {
    const res = await fetch(`${r.url}${c.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': r.ingestKey },
      body: JSON.stringify(c.body),
    });
    expect(res.status, `${c.path}: ${await res.text()}`).toBe(202);
  }
}

describe.runIf(HAVE_PEERS)('captured Alertmanager and vmalert traffic, replayed', () => {
  let dir = '';
  let live: Running;
  let metrics: HttpServer;
  let proxy: HttpServer;
  let prom: Prometheus | undefined;
  let alertmanager: Peer | undefined;
  let vmalert: Peer | undefined;
  const value = { a: 0, b: 0 };
  const traffic: Captured[] = [];
  const others: Running[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'e2e-replay-'));
    live = await running(dir, 'live');
    metrics = httpServer((_req, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(`flap_value{target="a"} ${value.a}\nflap_value{target="b"} ${value.b}\n`);
    });
    // Records each webhook as it arrives and hands it to the live server with the same credential.
    proxy = httpServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      traffic.push({ path: req.url ?? '', receivedAt: new Date().toISOString(), body: JSON.parse(text) });
      const answer = await fetch(`${live.url}${req.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
        body: text,
      });
      res.statusCode = answer.status;
      res.end(await answer.text());
    });
    const [metricsPort, proxyPort] = [await freePort(), await freePort()];
    await new Promise<void>((r) => metrics.listen(metricsPort, '127.0.0.1', r));
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${proxyPort}`;

    const rules = join(dir, 'rules.yml');
    writeFileSync(
      rules,
      [
        'groups:',
        '  - name: replay',
        '    rules:',
        '      - alert: Flapping',
        '        expr: flap_value > 0',
        '        labels: {severity: warning}',
        '        annotations: {summary: "{{ $labels.target }} is {{ $value }}"}',
        '',
      ].join('\n'),
    );
    checkConfig('promtool', ['check', 'rules', rules]);
    const webhook = `      - url: "${proxyUrl}/api/v1/webhooks/alertmanager"\n        send_resolved: true\n        http_config: {basic_auth: {username: api_key, password: "${live.ingestKey}"}}`;
    const amConfig = join(dir, 'alertmanager.yml');
    writeFileSync(
      amConfig,
      [
        'route: {receiver: opsfleet, group_by: [alertname], group_wait: 1s, group_interval: 1s, repeat_interval: 3s}',
        'receivers:',
        '  - name: opsfleet',
        '    webhook_configs:',
        webhook,
        webhook,
        '',
      ].join('\n'),
    );
    checkConfig('amtool', ['check-config', amConfig]);
    alertmanager = await startAlertmanager(amConfig);
    prom = await startPrometheus([`127.0.0.1:${metricsPort}`], {
      ruleFiles: [rules],
      alertmanagers: [new URL(alertmanager.url).host],
    });
    checkConfig('vmalert', ['-dryRun', `-rule=${rules}`]);
    vmalert = await startVmalert({
      ruleFiles: [rules],
      datasourceUrl: prom.url,
      notifierUrl: proxyUrl,
      extraArgs: [`-notifier.bearerToken=${live.ingestKey}`],
    });
  });

  afterAll(async () => {
    await Promise.all([vmalert?.stop(), stopProcess(prom?.process), alertmanager?.stop()]);
    await new Promise((r) => proxy?.close(r));
    await new Promise((r) => metrics?.close(r));
    for (const r of [live, ...others]) await r?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const resolvedEverywhere = async () => {
    const list = await get<{ items: { state: string }[] }>(live, '/api/v1/alerts?limit=500');
    return list.items.length === 4 && list.items.every((a) => a.state === 'resolved') ? true : undefined;
  };
  const firingCount = async (n: number) => {
    const list = await get<{ items: { state: string }[] }>(live, '/api/v1/alerts?status=firing&limit=500');
    return list.items.length === n ? true : undefined;
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('ends in the same state whatever the order, and a second delivery changes nothing', {
    timeout: 300_000,
  }, async () => {
    // Two flapping series: `a` fires, clears, fires again (two episodes per sender), `b` fires once.
    value.a = 1;
    value.b = 1;
    await waitFor(
      '4 alerts firing (a and b, through Alertmanager and vmalert)',
      () => firingCount(4),
      60_000,
    );
    await pause(4000);
    value.a = 0;
    await waitFor('a resolved by both senders', () => firingCount(2), 60_000);
    await pause(2000);
    value.a = 1;
    await waitFor('a firing again', () => firingCount(4), 60_000);
    await pause(4000);
    value.a = 0;
    value.b = 0;
    await waitFor('everything resolved', resolvedEverywhere, 60_000);
    // Let the senders finish their last re-sends before the capture is frozen.
    await Promise.all([vmalert!.stop(), stopProcess(prom!.process)]);
    await pause(3000);
    await alertmanager!.stop();
    const capture = [...traffic];
    if (process.env.OPSFLEET_CAPTURE_TO)
      writeFileSync(process.env.OPSFLEET_CAPTURE_TO, `${JSON.stringify(capture, null, 1)}\n`);
    expect(capture.filter((c) => c.path.includes('alertmanager')).length).toBeGreaterThan(4);
    expect(capture.filter((c) => c.path.endsWith('/api/v2/alerts')).length).toBeGreaterThan(4);

    const before = await snapshot(live);
    expect(before.map((a) => [a.key.split(' ')[0], a.state, a.instances.length])).toEqual(
      expect.arrayContaining([
        ['alertmanager', 'resolved', 2],
        ['alertmanager', 'resolved', 1],
        ['vmalert', 'resolved', 2],
        ['vmalert', 'resolved', 1],
      ]),
    );

    // The same traffic again, to the server that heard it live: no history entry, no new episode.
    await deliver(live, capture);
    const again = await snapshot(live);
    expect(again.map((a) => [a.key, a.state, a.history, a.instances.length])).toEqual(
      before.map((a) => [a.key, a.state, a.history, a.instances.length]),
    );
    // Alertmanager's reports do not depend on when they are heard: those episodes are unchanged.
    // (vmalert's carry no status; a firing report heard after its endsAt reads as a resolve.)
    expect(again.filter((a) => a.key.startsWith('alertmanager'))).toEqual(
      before.filter((a) => a.key.startsWith('alertmanager')),
    );

    const inOrder = await running(dir, 'in-order');
    const disorder = await running(dir, 'shuffled');
    others.push(inOrder, disorder);
    await deliver(inOrder, capture);
    await deliver(disorder, seededShuffle([...capture, ...capture], 20261207));
    const expected = await snapshot(inOrder);
    expect(expected).toHaveLength(4);
    const got = await snapshot(disorder);
    expect(got.map(({ history: _, ...a }) => a)).toEqual(expected.map(({ history: _, ...a }) => a));
  });
});
