import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { type Received, type Receiver, startReceiver } from '@opsfleet/server';
import { type Backend, json, type ServerProcess, startServerProcess } from './server-process.ts';

/**
 * `npm run bench:notify`: alerts in by Alertmanager webhook, notifications out to a local
 * signed webhook receiver, through the server as the image runs it (routing, grouping, outbox,
 * delivery), on PGlite and on the machine's PostgreSQL. Four runs per backend, each on a fresh
 * server and database so one run's leftovers cannot slow the next:
 * - one message per alert (groupBy instance, no group wait), 10,000 alerts as fast as 4 senders
 *   post them: messages, end-to-end latency, throughput, the server's peak RSS;
 * - the same rule at a steady 200 alerts/s for 20 s, where latency is not queueing;
 * - a storm of 10,000 alerts of 10 alertnames grouped by alertname with a 1 s group wait, at full
 *   speed and spread over a minute: p99 per alert against issue 12's goal of 2 s on PostgreSQL.
 */
const SECRET = 'bench-webhook-secret';
const FULL = { alerts: 10_000, perPost: 100, senders: 4 };
const PACED = { rate: 200, seconds: 20, perPost: 10 };
const STORM = { alerts: 10_000, names: 10, perPost: 100, senders: 4, seconds: 60, groupWaitSeconds: 1 };
/** Issue 12: a storm of 10,000 alerts in a minute reaches the receiver within 2 s (p99) on PostgreSQL. */
const GOAL_P99_MS = 2_000;
/** No new notification for this long means the pipeline is stuck, not slow. */
const STALL_MS = 90_000;
const CAP_MS = 20 * 60_000;
/** After the last expected notification: long enough for a group interval and a tick to pass. */
const SETTLE_MS = 3_000;
const SAMPLE = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const median = (xs: number[]) =>
  pct(
    xs.toSorted((a, b) => a - b),
    0.5,
  );

interface BenchAlert {
  instance: string;
  alertname: string;
}

function webhookBody(alerts: BenchAlert[], startsAt: string): string {
  return JSON.stringify({
    version: '4',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'opsfleet',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager',
    alerts: alerts.map((a) => ({
      status: 'firing',
      labels: { alertname: a.alertname, instance: a.instance, severity: 'warning' },
      annotations: { summary: `bench alert on ${a.instance}` },
      startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: '',
    })),
  });
}

/**
 * Posts alerts and remembers when each was *sent*: the ingestion time latency counts from, so
 * the server's own commit time is part of what is measured.
 */
class Sender {
  readonly sentAt = new Map<string, number>();
  private readonly startsAt = new Date(Date.now() - 60_000).toISOString();
  constructor(private readonly s: ServerProcess) {}

  async post(alerts: BenchAlert[]): Promise<void> {
    const body = webhookBody(alerts, this.startsAt);
    const t = Date.now();
    for (const a of alerts) this.sentAt.set(a.instance, t);
    const res = await fetch(`${this.s.url}/api/v1/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': this.s.key },
      body,
    });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`alertmanager webhook: HTTP ${res.status} ${text.slice(0, 300)}`);
  }

  /** Closed loop: `senders` posters take the next post as soon as their last one is answered. */
  async fullSpeed(alerts: BenchAlert[], perPost: number, senders: number): Promise<void> {
    const posts = chunks(alerts, perPost);
    let next = 0;
    await Promise.all(
      Array.from({ length: senders }, async () => {
        while (next < posts.length) await this.post(posts[next++]!);
      }),
    );
  }

  /** Open loop: posts leave on schedule whether or not earlier ones were answered. */
  async paced(alerts: BenchAlert[], perPost: number, alertsPerSecond: number): Promise<void> {
    const posts = chunks(alerts, perPost);
    const everyMs = (1000 * perPost) / alertsPerSecond;
    const started = performance.now();
    const pending: Promise<void>[] = [];
    for (const [i, p] of posts.entries()) {
      const wait = started + i * everyMs - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(this.post(p));
    }
    await Promise.all(pending);
  }

  get firstSent(): number {
    return Math.min(...this.sentAt.values());
  }

  get lastSent(): number {
    return Math.max(...this.sentAt.values());
  }
}

const chunks = <T>(xs: T[], n: number) =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

/** What the receiver got, per alert: the first message that carried it, and repeats. */
class Arrivals {
  readonly firstAt = new Map<string, number>();
  /** An alert carried again by a message with a different idempotency key. */
  repeated = 0;
  largest = 0;
  carried = 0;
  private seen = 0;
  constructor(readonly receiver: Receiver) {}

  update(): void {
    const all = this.receiver.accepted;
    for (; this.seen < all.length; this.seen++) this.take(all[this.seen]!);
  }

  private take(n: Received): void {
    const alerts = (n.body.alerts ?? []) as { labels: Record<string, string> }[];
    this.largest = Math.max(this.largest, alerts.length);
    this.carried += alerts.length;
    for (const a of alerts) {
      const inst = a.labels.instance ?? '';
      if (this.firstAt.has(inst)) this.repeated += 1;
      else this.firstAt.set(inst, n.at);
    }
  }

  get messages(): number {
    return this.receiver.accepted.length;
  }

  get lastAt(): number {
    return this.receiver.accepted.at(-1)?.at ?? Number.NaN;
  }

  get firstMessageAt(): number {
    return this.receiver.accepted[0]?.at ?? Number.NaN;
  }
}

/**
 * Waits until every sent alert has reached the receiver, then a little longer to catch
 * repeats; throws with the outbox's state when nothing arrives for STALL_MS, so a broken
 * pipeline fails the suite instead of printing a table.
 */
async function awaitAll(s: ServerProcess, arrivals: Arrivals, expected: number, what: string): Promise<void> {
  const started = Date.now();
  let progress = -1;
  let movedAt = Date.now();
  for (;;) {
    arrivals.update();
    if (arrivals.firstAt.size >= expected) break;
    if (arrivals.receiver.requests !== progress) {
      progress = arrivals.receiver.requests;
      movedAt = Date.now();
    }
    if (Date.now() - movedAt > STALL_MS || Date.now() - started > CAP_MS)
      throw new Error(
        `${what}: ${arrivals.firstAt.size} of ${expected} alerts notified after ${Math.round((Date.now() - started) / 1000)} s ` +
          `(${arrivals.messages} messages, ${arrivals.receiver.requests} requests); outbox ${await outboxState(s)}`,
      );
    await sleep(100);
  }
  await sleep(SETTLE_MS);
  arrivals.update();
}

async function outboxState(s: ServerProcess): Promise<string> {
  type Page = { items: { lastError: string | null }[] };
  const page = async (state: string) =>
    (await json<Page>(s.url, `/api/v1/notify/outbox?state=${state}&limit=500`, { token: s.token })).items;
  const [pending, dead] = await Promise.all([page('pending'), page('dead')]);
  const count = (xs: unknown[]) => (xs.length === 500 ? '≥500' : String(xs.length));
  const error = [...dead, ...pending].find((i) => i.lastError)?.lastError;
  return `${count(pending)} pending, ${count(dead)} dead${error ? `, last error: ${error}` : ''}`;
}

/** A signed webhook channel to `receiver` and one rule sending every alert to it. */
async function route(
  s: ServerProcess,
  receiver: Receiver,
  rule: { groupBy: string[]; groupWaitSeconds: number },
): Promise<void> {
  const channel = await json<{ id: string }>(s.url, '/api/v1/notify/channels', {
    token: s.token,
    body: { name: 'bench receiver', kind: 'webhook', config: { url: receiver.url, secret: SECRET } },
  });
  await json(s.url, '/api/v1/notify/rules', {
    token: s.token,
    body: {
      name: 'bench',
      ...rule,
      // The shortest allowed: a group's later changes wait for it, and a storm's tail with them.
      groupIntervalSeconds: 1,
      // No repeat of a still-firing group during the run.
      repeatIntervalSeconds: 7 * 86_400,
      steps: [{ afterMinutes: 0, channelIds: [channel.id] }],
    },
  });
}

/** One server, one receiver, one rule for a run; always torn down. Says how busy the machine was. */
async function withServer<T extends object>(
  backend: Backend,
  rule: { groupBy: string[]; groupWaitSeconds: number },
  run: (s: ServerProcess, sender: Sender, arrivals: Arrivals) => Promise<T>,
): Promise<T & { machine: MachineLoad }> {
  const loadAtStart = loadavg()[0]!;
  const before = cpuTimes();
  // The receiver is on loopback, which the server refuses unless allowed.
  const s = await startServerProcess(backend, { OUTBOUND_ALLOW: '127.0.0.1/32' });
  const receiver = await startReceiver({ secret: SECRET });
  try {
    await route(s, receiver, rule);
    const result = await run(s, new Sender(s), new Arrivals(receiver));
    const after = cpuTimes();
    const busy = (after.busy - before.busy) / Math.max(1, after.total - before.total);
    return { ...result, machine: { loadAtStart, busy } };
  } finally {
    await receiver.close();
    await s.stop();
  }
}

/** How busy the machine was: its 1-minute load average as the run began, and CPU busy during it. */
export interface MachineLoad {
  loadAtStart: number;
  /** Share of all cores busy over the run, every process counted (this benchmark and the server too). */
  busy: number;
}

function cpuTimes(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const ticks = fields.map(Number);
  // idle and iowait are the 4th and 5th fields of the aggregate cpu line.
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: ticks.reduce((a, b) => a + b, 0) - idle, total: ticks.reduce((a, b) => a + b, 0) };
}

export interface PerAlertFigures {
  backend: Backend;
  alerts: number;
  messages: number;
  /** Requests the receiver dropped by idempotency key. */
  duplicates: number;
  /** Alerts carried by more than one distinct message. */
  repeated: number;
  /** First post sent → last post answered. */
  ingestSeconds: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Messages / (last arrival − first post). */
  perSecond: number;
  peakRssMiB: number;
  /** Medians over the newest SAMPLE delivered messages: ingestion → outbox row, outbox row → receiver. */
  toOutbox: number;
  toReceiver: number;
}

/** The newest delivered messages, split at the moment the flush that wrote them began. */
async function stageSplit(s: ServerProcess, sender: Sender, arrivals: Arrivals) {
  const { items } = await json<{
    items: { createdAt: string; payload: { alerts: { labels: Record<string, string> }[] } }[];
  }>(s.url, `/api/v1/notify/outbox?state=delivered&limit=${SAMPLE}`, { token: s.token });
  const toOutbox: number[] = [];
  const toReceiver: number[] = [];
  for (const item of items) {
    const inst = item.payload.alerts[0]?.labels.instance ?? '';
    const sent = sender.sentAt.get(inst);
    const arrived = arrivals.firstAt.get(inst);
    if (sent === undefined || arrived === undefined) continue;
    const created = Date.parse(item.createdAt);
    toOutbox.push(created - sent);
    toReceiver.push(arrived - created);
  }
  return { toOutbox: median(toOutbox), toReceiver: median(toReceiver) };
}

async function perAlertFigures(
  backend: Backend,
  s: ServerProcess,
  sender: Sender,
  arrivals: Arrivals,
  ingestSeconds: number,
): Promise<PerAlertFigures> {
  const latencies = [...sender.sentAt].map(([inst, t]) => arrivals.firstAt.get(inst)! - t);
  latencies.sort((a, b) => a - b);
  return {
    backend,
    alerts: sender.sentAt.size,
    messages: arrivals.messages,
    duplicates: arrivals.receiver.duplicates,
    repeated: arrivals.repeated,
    ingestSeconds,
    p50: pct(latencies, 0.5),
    p95: pct(latencies, 0.95),
    p99: pct(latencies, 0.99),
    max: latencies.at(-1) ?? 0,
    perSecond: arrivals.messages / ((arrivals.lastAt - sender.firstSent) / 1000),
    peakRssMiB: s.peakRssMiB(),
    ...(await stageSplit(s, sender, arrivals)),
  };
}

const distinct = (n: number, prefix: string): BenchAlert[] =>
  Array.from({ length: n }, (_, i) => ({ instance: `${prefix}-${i}`, alertname: 'BenchNotify' }));

async function oneEachFullSpeed(
  backend: Backend,
  log: (s: string) => void,
): Promise<Measured<PerAlertFigures>> {
  return withServer(backend, { groupBy: ['instance'], groupWaitSeconds: 0 }, async (s, sender, arrivals) => {
    log(`  ${backend}: ${FULL.alerts} alerts, full speed…`);
    const t0 = Date.now();
    await sender.fullSpeed(distinct(FULL.alerts, 'host'), FULL.perPost, FULL.senders);
    const ingestSeconds = (Date.now() - t0) / 1000;
    log(` posted in ${ingestSeconds.toFixed(1)} s…`);
    await awaitAll(s, arrivals, FULL.alerts, `${backend} full speed`);
    const f = await perAlertFigures(backend, s, sender, arrivals, ingestSeconds);
    log(` ${f.messages} messages, p50 ${Math.round(f.p50)} ms, p99 ${Math.round(f.p99)} ms\n`);
    return f;
  });
}

async function oneEachPaced(backend: Backend, log: (s: string) => void): Promise<Measured<PerAlertFigures>> {
  return withServer(backend, { groupBy: ['instance'], groupWaitSeconds: 0 }, async (s, sender, arrivals) => {
    log(`  ${backend}: ${PACED.rate} alerts/s for ${PACED.seconds} s…`);
    const t0 = Date.now();
    await sender.paced(distinct(PACED.rate * PACED.seconds, 'paced'), PACED.perPost, PACED.rate);
    const ingestSeconds = (Date.now() - t0) / 1000;
    await awaitAll(s, arrivals, PACED.rate * PACED.seconds, `${backend} paced`);
    const f = await perAlertFigures(backend, s, sender, arrivals, ingestSeconds);
    log(` ${f.messages} messages, p50 ${Math.round(f.p50)} ms, p99 ${Math.round(f.p99)} ms\n`);
    return f;
  });
}

export type StormArrival = 'burst' | 'minute';

export interface StormFigures {
  backend: Backend;
  arrival: StormArrival;
  alerts: number;
  messages: number;
  largest: number;
  /** Alerts summed over all messages: the storm's size when each message tells only what changed. */
  carried: number;
  /** Alerts carried by more than one message. */
  repeated: number;
  ingestSeconds: number;
  /** First post sent → first message received. */
  firstMessage: number;
  /** Last post sent → last message received. */
  tail: number;
  /** Per alert: sent → first message that carried it. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  peakRssMiB: number;
}

/**
 * 10,000 alerts of 10 alertnames, grouped by alertname: as fast as the senders post them
 * (`burst`), or spread evenly over a minute (`minute`). Either way every group keeps growing
 * after its first message, so each later message is about the alerts added since the last.
 */
async function storm(
  backend: Backend,
  arrival: StormArrival,
  log: (s: string) => void,
): Promise<Measured<StormFigures>> {
  const rule = { groupBy: ['alertname'], groupWaitSeconds: STORM.groupWaitSeconds };
  const f = await withServer(backend, rule, async (s, sender, arrivals) => {
    log(
      `  ${backend}: storm of ${STORM.alerts} alerts ${arrival === 'burst' ? 'at full speed' : 'over a minute'}…`,
    );
    const alerts = Array.from({ length: STORM.alerts }, (_, i) => ({
      instance: `storm-${i}`,
      alertname: `Storm${i % STORM.names}`,
    }));
    const t0 = Date.now();
    if (arrival === 'burst') await sender.fullSpeed(alerts, STORM.perPost, STORM.senders);
    else await sender.paced(alerts, STORM.perPost, STORM.alerts / STORM.seconds);
    const ingestSeconds = (Date.now() - t0) / 1000;
    await awaitAll(s, arrivals, STORM.alerts, `${backend} storm (${arrival})`);
    const latencies = [...sender.sentAt].map(([inst, t]) => arrivals.firstAt.get(inst)! - t);
    latencies.sort((a, b) => a - b);
    return {
      backend,
      arrival,
      alerts: STORM.alerts,
      messages: arrivals.messages,
      largest: arrivals.largest,
      carried: arrivals.carried,
      repeated: arrivals.repeated,
      ingestSeconds,
      firstMessage: arrivals.firstMessageAt - sender.firstSent,
      tail: arrivals.lastAt - sender.lastSent,
      p50: pct(latencies, 0.5),
      p95: pct(latencies, 0.95),
      p99: pct(latencies, 0.99),
      max: latencies.at(-1) ?? 0,
      peakRssMiB: s.peakRssMiB(),
    };
  });
  const verdict =
    backend === 'postgres' ? ` (goal ≤ ${ms(GOAL_P99_MS)}: ${goalMet(f) ? 'met' : 'MISSED'})` : '';
  log(` ${f.messages} messages carrying ${n(f.carried)} alerts, p99 ${ms(f.p99)}${verdict}\n`);
  return f;
}

const goalMet = (f: StormFigures) => f.p99 <= GOAL_P99_MS;

type Measured<T> = T & { machine: MachineLoad };

export interface NotifyFigures {
  full: Measured<PerAlertFigures>[];
  paced: Measured<PerAlertFigures>[];
  storm: Measured<StormFigures>[];
}

export async function runNotifyBench(log: (s: string) => void): Promise<NotifyFigures> {
  const out: NotifyFigures = { full: [], paced: [], storm: [] };
  for (const backend of ['pglite', 'postgres'] as const) {
    out.full.push(await oneEachFullSpeed(backend, log));
    out.paced.push(await oneEachPaced(backend, log));
    out.storm.push(await storm(backend, 'burst', log));
    out.storm.push(await storm(backend, 'minute', log));
  }
  return out;
}

const ms = (x: number) =>
  x >= 1000 ? `${(x / 1000).toFixed(x >= 10_000 ? 1 : 2)} s` : `${Math.round(x)} ms`;
const n = (x: number) => Math.round(x).toLocaleString('en');

/** Where a steady-rate run's latency goes, in words, from its figures (they change run to run). */
function whereTimeGoes(r: PerAlertFigures): string {
  const split = `${ms(r.toOutbox)} from ingestion to the outbox row and ${ms(r.toReceiver)} from there to the receiver`;
  if (r.perSecond < PACED.rate * 0.9)
    return `${r.backend} does not keep up: ${n(r.perSecond)} messages/s delivered against ${PACED.rate} offered, so the outbox queue grows for the whole run (median ${split}); the latency is that queue, not the tick.`;
  if (r.p50 < 500)
    return `${r.backend} keeps up (median ${split}): alerts are routed by the immediate kick after each post, not by the 1 s tick, which alone would add about 500 ms on average.`;
  return `${r.backend} keeps up, but its median of ${ms(r.p50)} is in the range of the 1 s tick (median ${split}).`;
}

/** The goal, per storm run on PostgreSQL, met or missed. */
function stormGoal(f: NotifyFigures): string {
  return f.storm
    .filter((st) => st.backend === 'postgres')
    .map(
      (st) =>
        `- **Goal (issue 12): p99 ingestion → receiver ≤ ${ms(GOAL_P99_MS)} on PostgreSQL, ${ARRIVAL[st.arrival]}: ${goalMet(st) ? 'met' : 'missed'}** (${ms(st.p99)}).`,
    )
    .join('\n');
}

const ARRIVAL: Record<StormArrival, string> = {
  burst: 'storm at full speed',
  minute: 'storm over a minute',
};

const percent = (x: number) => `${Math.round(x * 100)} %`;

/** Every run's machine load, so a reader can tell a slow figure from a busy machine. */
function machineLoad(f: NotifyFigures): string {
  const runs = [
    ...f.full.map((r) => ({ what: `${r.backend} one message per alert, full speed`, m: r.machine })),
    ...f.paced.map((r) => ({ what: `${r.backend} one message per alert, ${PACED.rate}/s`, m: r.machine })),
    ...f.storm.map((r) => ({ what: `${r.backend} ${ARRIVAL[r.arrival]}`, m: r.machine })),
  ];
  return runs
    .map((r) => `${r.what}: load ${r.m.loadAtStart.toFixed(2)}, ${percent(r.m.busy)} busy`)
    .join('; ');
}

export function notifySection(f: NotifyFigures): string {
  return `## Notifications: alerts to a webhook receiver

Workload (\`npm run bench:notify\`): the server as the image runs it (the bundled build, its own
process, default \`NOTIFY_TICK\` of 1 s) takes Alertmanager webhook v4 posts and delivers
notifications to a local webhook receiver in the benchmark process, over a webhook channel with a
secret (every body HMAC-signed by the server, verified by the receiver, which also drops repeats by
idempotency key). Latency per alert runs from the moment the post carrying it was *sent* to the
moment the first notification carrying it was received; throughput is messages / (last arrival −
first post). Each run has a fresh server and database; PostgreSQL is the machine's PostgreSQL
(a fresh database), PGlite the embedded default. Peak RSS is the server process's VmHWM (for
PostgreSQL the database's own processes are not in it). Rules use the shortest group interval
(1 s) and a 7-day repeat interval. The suite fails rather than writing this section if any alert
is not notified. Reference: none; the issue names no public figure to compare with.

**One message per alert** (rule \`groupBy: [instance]\`, group wait 0): ${n(FULL.alerts)} distinct firing alerts
in posts of ${FULL.perPost}, as fast as ${FULL.senders} concurrent senders post them. Duplicates: requests the receiver
dropped by idempotency key plus alerts carried by more than one message.

| backend | posted in | messages | duplicates | p50 | p95 | p99 | max | messages/s | server peak RSS |
|---|---|---|---|---|---|---|---|---|---|
${f.full
  .map(
    (r) =>
      `| ${r.backend} | ${r.ingestSeconds.toFixed(1)} s | ${n(r.messages)} of ${n(r.alerts)} | ${r.duplicates + r.repeated} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${n(r.perSecond)} | ${n(r.peakRssMiB)} MiB |`,
  )
  .join('\n')}

At full speed the posts outrun delivery, so these latencies are mostly time queued in the
outbox. **At a steady ${PACED.rate} alerts/s** (posts of ${PACED.perPost}, ${PACED.seconds} s, ${n(PACED.rate * PACED.seconds)} alerts, same rule):

| backend | messages | messages/s | p50 | p95 | p99 | max | ingestion → outbox row* | outbox row → receiver* |
|---|---|---|---|---|---|---|---|---|
${f.paced
  .map(
    (r) =>
      `| ${r.backend} | ${n(r.messages)} of ${n(r.alerts)} | ${n(r.perSecond)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.toOutbox)} | ${ms(r.toReceiver)} |`,
  )
  .join('\n')}

\\* Medians over the newest ${SAMPLE} messages; an outbox row's time is the start of the flush
transaction that wrote it, so the first half is routing and the second claiming, signing,
sending and recording (and any wait in the outbox queue).

- ${f.paced.map(whereTimeGoes).join('\n- ')}

**Storm** (rule \`groupBy: [alertname]\`, group wait ${STORM.groupWaitSeconds} s, group interval 1 s):
${n(STORM.alerts)} firing alerts of ${STORM.names} alertnames in posts of ${STORM.perPost}, either as fast as ${STORM.senders} concurrent
senders post them or spread evenly over ${STORM.seconds} s. Latency per alert runs from its post to the first
message that carried it. Alerts carried: summed over all messages; repeated: alerts carried by
more than one message.

| backend | arrival | posted in | messages | alerts carried | repeated | largest message | first message after first post | p50 | p95 | p99 | max | server peak RSS |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${f.storm
  .map(
    (r) =>
      `| ${r.backend} | ${r.arrival === 'burst' ? 'full speed' : `over ${STORM.seconds} s`} | ${r.ingestSeconds.toFixed(1)} s | ${n(r.messages)} | ${n(r.carried)} | ${n(r.repeated)} | ${n(r.largest)} alerts | ${ms(r.firstMessage)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${n(r.peakRssMiB)} MiB |`,
  )
  .join('\n')}

${stormGoal(f)}

A group sends its first message after the group wait with every alert it has, then at most once
per group interval a message about what changed since: the alerts that started firing and, in a
separate message, those resolved, each with the count of the group's other firing alerts — so a
group's later messages carry only its new alerts (docs/server.md, "What a message says").

How busy the machine was (1-minute load average as each run began; share of both cores busy
during it, this benchmark and the server included): ${machineLoad(f)}.
`;
}
