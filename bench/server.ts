import { type Backend, json, startServerProcess } from './server-process.ts';

/**
 * `npm run bench:server`: the server as it runs in production (the bundled build, its own
 * process) takes Alertmanager webhooks — groups of 10 alerts, a fifth of them re-sends of
 * alerts already firing — first as fast as 8 concurrent senders can post, then at a fixed 500
 * alerts/s, on PGlite and on the machine's PostgreSQL.
 */
const GROUP = 10;
const REPEAT_SHARE = 0.2;

/** Builds webhook bodies: new alerts with a share of re-sends of earlier ones. */
class Traffic {
  private next = 0;
  private readonly startsAt = new Date(Date.now() - 60_000).toISOString();

  group(): string {
    const alerts = Array.from({ length: GROUP }, () => {
      const repeat = this.next > 100 && Math.random() < REPEAT_SHARE;
      const n = repeat ? Math.floor(Math.random() * this.next) : this.next++;
      return {
        status: 'firing',
        labels: {
          alertname: 'BenchAlert',
          instance: `host-${n}`,
          severity: n % 5 === 0 ? 'critical' : 'warning',
        },
        annotations: { summary: `bench alert ${n}` },
        startsAt: this.startsAt,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus/graph',
        fingerprint: '',
      };
    });
    return JSON.stringify({
      version: '4',
      groupKey: '{}:{alertname="BenchAlert"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'opsfleet',
      groupLabels: { alertname: 'BenchAlert' },
      commonLabels: { alertname: 'BenchAlert' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager',
      alerts,
    });
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

export interface IngestFigures {
  backend: 'pglite' | 'postgres';
  /** Closed loop, 8 senders. */
  maxAlertsPerSecond: number;
  maxP50: number;
  maxP99: number;
  /** Open loop at a fixed offered rate. */
  offered: number;
  achieved: number;
  p50: number;
  p99: number;
  errors: number;
  stored: number;
}

async function post(url: string, key: string, body: string): Promise<{ ms: number; ok: boolean }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/webhooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body,
  });
  await res.arrayBuffer();
  return { ms: performance.now() - t0, ok: res.status === 202 };
}

async function closedLoop(url: string, key: string, traffic: Traffic, seconds: number, senders: number) {
  const latencies: number[] = [];
  let alerts = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (performance.now() < end) {
        const r = await post(url, key, traffic.group());
        latencies.push(r.ms);
        if (r.ok) alerts += GROUP;
        else errors += 1;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    rate: alerts / ((performance.now() - started) / 1000),
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    errors,
  };
}

async function openLoop(
  url: string,
  key: string,
  traffic: Traffic,
  alertsPerSecond: number,
  seconds: number,
) {
  const perGroupMs = (1000 * GROUP) / alertsPerSecond;
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  let alerts = 0;
  let errors = 0;
  const started = performance.now();
  for (let i = 0; i < (seconds * alertsPerSecond) / GROUP; i++) {
    const due = started + i * perGroupMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      post(url, key, traffic.group()).then((r) => {
        latencies.push(r.ms);
        if (r.ok) alerts += GROUP;
        else errors += 1;
      }),
    );
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  return {
    rate: alerts / ((performance.now() - started) / 1000),
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    errors,
  };
}

async function runOn(backend: Backend, log: (s: string) => void): Promise<IngestFigures> {
  const server = await startServerProcess(backend);
  try {
    const { url, key, token } = server;
    const traffic = new Traffic();
    log(`  ${backend}: warm-up…`);
    await closedLoop(url, key, traffic, 2, 4);
    log(' max rate…');
    const max = await closedLoop(url, key, traffic, 10, 8);
    log(` ${Math.round(max.rate)} alerts/s; 500 alerts/s…`);
    const fixed = await openLoop(url, key, traffic, 500, 10);
    const stats = await json<{ now: { byState: Record<string, number> } }>(url, '/api/v1/alerts/stats', {
      token,
    });
    log(` p99 ${fixed.p99.toFixed(1)} ms\n`);
    return {
      backend,
      maxAlertsPerSecond: max.rate,
      maxP50: max.p50,
      maxP99: max.p99,
      offered: 500,
      achieved: fixed.rate,
      p50: fixed.p50,
      p99: fixed.p99,
      errors: max.errors + fixed.errors,
      stored: Object.values(stats.now.byState).reduce((a, b) => a + b, 0),
    };
  } finally {
    await server.stop();
  }
}

export async function runServerBench(log: (s: string) => void): Promise<IngestFigures[]> {
  return [await runOn('pglite', log), await runOn('postgres', log)];
}

export function serverSection(figures: IngestFigures[]): string {
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const pgFig = figures.find((f) => f.backend === 'postgres');
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  return `## Server: Alertmanager webhook ingestion

Workload (\`npm run bench:server\`): the server as the image runs it (the bundled build,
\`node dist/opsfleet.mjs server\`, its own process), Alertmanager webhook v4 posts of **10 alerts**
each, a fifth of the alerts re-sends of alerts already firing (the rest new), authenticated with
an ingest API key; keep-alive HTTP from the benchmark process on the same machine. First as fast as
8 concurrent senders can post for 10 s (after 2 s of warm-up), then an open loop offering
**500 alerts/s** (50 posts/s) for 10 s. A post is answered 202 only after its batch is committed.
PostgreSQL is the machine's PostgreSQL 15 (a fresh database); PGlite is the embedded default.
Reference: the issue's goal (no public project publishes comparable figures; research notes).

| backend | max alerts/s (8 senders) | p50 / p99 at max | at 500 alerts/s: achieved | p50 | p99 | errors | alerts stored |
|---|---|---|---|---|---|---|---|
${figures
  .map(
    (f) =>
      `| ${f.backend} | ${Math.round(f.maxAlertsPerSecond).toLocaleString('en')} | ${ms(f.maxP50)} / ${ms(f.maxP99)} | ${Math.round(f.achieved)} | ${ms(f.p50)} | ${ms(f.p99)} | ${f.errors} | ${f.stored.toLocaleString('en')} |`,
  )
  .join('\n')}

${
  pgFig
    ? `- PostgreSQL throughput: ${Math.round(pgFig.maxAlertsPerSecond).toLocaleString('en')} alerts/s, goal ≥ 2,000: ${verdict(pgFig.maxAlertsPerSecond >= 2000)}.
- PostgreSQL p99 at 500 alerts/s: ${ms(pgFig.p99)}, goal ≤ 50 ms: ${verdict(pgFig.p99 <= 50)}.`
    : ''
}
- Each post is one transaction with a handful of set-based statements whatever the group size
  (insert new alert rows, lock and read the group's alerts, insert new instances and their
  history, refresh re-sent ones, update the alert rows), then a NOTIFY for the live streams.
`;
}
