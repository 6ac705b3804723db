import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pg from 'pg';
import { type FillFigures, fillAlerts, type Sql } from './alert-fill.ts';
import { AlertTraffic, type Delivery, GROUPS } from './alert-traffic.ts';
import { type Routing, type Sink, startAlertmanager, startSink } from './alertmanager.ts';
import { type Backend, json, type ServerProcess, startServerProcess } from './server-process.ts';

/**
 * `npm run bench:server`: alert ingestion beside the real Alertmanager, then alert queries on
 * large databases while alerts keep arriving.
 *
 * Ingestion: Alertmanager 0.25 and opsfleet (the bundled build in its own process, on
 * PostgreSQL and on PGlite), each started fresh, are sent the same seeded stream of Alertmanager
 * API v2 postable-alert arrays (bench/alert-traffic.ts) by the same sender code: first as fast
 * as 8 concurrent senders can post, then at a fixed 500 alerts/s. Both route every alert to a
 * webhook receiver with the same grouping and timers. Afterwards each is killed with SIGKILL:
 * opsfleet's database must hold every batch it answered 202; Alertmanager is restarted on its
 * storage directory to show what it keeps.
 *
 * Queries: a migrated database is filled in SQL (bench/alert-fill.ts) with 100k and 1M alerts,
 * the server started on it, and each query the console makes is timed while a background sender
 * posts alerts at a modest rate.
 *
 * `BENCH_QUICK=1` runs everything briefly (for development; the figures mean little);
 * `BENCH_SERVER_PARTS=ingest` or `=query` runs one part; `BENCH_QUERY_RUNS=postgres:100000,…`
 * picks the query databases; `BENCH_KEEP_DB=1` leaves the filled databases for a look.
 */
const QUICK = process.env.BENCH_QUICK === '1';
const PARTS = new Set((process.env.BENCH_SERVER_PARTS ?? 'ingest,query').split(','));
const SEED = 12;
const ROUTING: Routing = {
  groupBy: ['alertname', 'cluster', 'service'],
  // Short enough that both notify within the run; Alertmanager's defaults (30 s, 5 min) would not.
  groupWaitSeconds: 5,
  groupIntervalSeconds: 10,
  repeatIntervalSeconds: 3600,
};
const INGEST = QUICK
  ? { warmSeconds: 2, closedSeconds: 4, openSeconds: 5 }
  : { warmSeconds: 3, closedSeconds: 15, openSeconds: 20 };
const SENDERS = 8;
const OPEN_RATE = 500;
const QUERY = {
  calls: QUICK ? 20 : 200,
  /** A query kind that takes this long in all stops early: the suite must end. */
  capSeconds: QUICK ? 5 : 20,
  backgroundRate: 100,
  backgroundInFlight: 8,
};
const QUERY_RUNS: [Backend, number][] = (
  process.env.BENCH_QUERY_RUNS ??
  (QUICK ? 'postgres:20000,pglite:5000' : 'postgres:100000,pglite:100000,postgres:1000000')
)
  .split(',')
  .filter(Boolean)
  .map((x) => {
    const [backend, n] = x.split(':');
    if ((backend !== 'postgres' && backend !== 'pglite') || !Number(n))
      throw new Error(`BENCH_QUERY_RUNS: ${x} is not postgres:N or pglite:N`);
    return [backend, Number(n)];
  });
const POST_TIMEOUT_MS = 60_000;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const CLI = join(import.meta.dirname, '../dist/opsfleet.mjs');
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

/** Where a stream of postable-alert arrays goes, and what counts as taken. */
interface Target {
  url: string;
  headers: Record<string, string>;
  accepted: number;
  /** Sums of opsfleet's 202 answers: what the acknowledged batches did. */
  tally: { created: number; changed: number };
  firstError?: string;
}

async function post(t: Target, body: string): Promise<{ ms: number; ok: boolean }> {
  const t0 = performance.now();
  try {
    // A target that falls minutes behind fails the post rather than stalling the suite.
    const res = await fetch(t.url, {
      method: 'POST',
      headers: t.headers,
      body,
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== t.accepted) {
      t.firstError ??= `HTTP ${res.status} ${text.slice(0, 200)}`;
      return { ms, ok: false };
    }
    if (text) {
      const r = JSON.parse(text) as Partial<Target['tally']>;
      t.tally.created += r.created ?? 0;
      t.tally.changed += r.changed ?? 0;
    }
    return { ms, ok: true };
  } catch (err) {
    const cause = (err as Error).cause;
    t.firstError ??= `${err}${cause ? ` (${cause})` : ''}`;
    return { ms: performance.now() - t0, ok: false };
  }
}

/** What a stream carried, over originals and HA copies. */
export interface StreamCounts {
  posts: number;
  alerts: number;
  resolves: number;
  duplicatePosts: number;
  newEpisodes: number;
  flaps: number;
}

const emptyCounts = (): StreamCounts => ({
  posts: 0,
  alerts: 0,
  resolves: 0,
  duplicatePosts: 0,
  newEpisodes: 0,
  flaps: 0,
});

function count(c: StreamCounts, d: Delivery): void {
  c.posts += 1;
  c.alerts += d.alerts;
  c.resolves += d.resolves;
  if (d.duplicate) c.duplicatePosts += 1;
  else {
    c.newEpisodes += d.newEpisodes;
    c.flaps += d.flaps;
  }
}

export interface LoopFigures {
  seconds: number;
  posts: number;
  /** Alerts in posts the target took (200 from Alertmanager, 202 from opsfleet). */
  acked: number;
  errors: number;
  /** Acknowledged alerts per second. */
  rate: number;
  p50: number;
  p99: number;
  max: number;
}

function loopFigures(latencies: number[], acked: number, errors: number, seconds: number): LoopFigures {
  latencies.sort((a, b) => a - b);
  return {
    seconds,
    posts: latencies.length,
    acked,
    errors,
    rate: acked / seconds,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    max: latencies.at(-1) ?? Number.NaN,
  };
}

/** Closed loop: each sender posts the next delivery as soon as its last one is answered. */
async function closedLoop(
  t: Target,
  traffic: AlertTraffic,
  counts: StreamCounts,
  seconds: number,
  senders: number,
): Promise<LoopFigures> {
  const latencies: number[] = [];
  let acked = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (performance.now() < end) {
        const d = traffic.next(Date.now());
        count(counts, d);
        const r = await post(t, d.body);
        latencies.push(r.ms);
        if (r.ok) acked += d.alerts;
        else errors += 1;
      }
    }),
  );
  return loopFigures(latencies, acked, errors, (performance.now() - started) / 1000);
}

/**
 * Open loop: deliveries leave on a schedule of `rate` alerts per second whether or not the
 * earlier ones were answered, so a slow answer cannot slow the offered load.
 */
async function openLoop(
  t: Target,
  traffic: AlertTraffic,
  counts: StreamCounts,
  rate: number,
  until: (elapsedMs: number) => boolean,
  maxInFlight = Number.POSITIVE_INFINITY,
): Promise<LoopFigures & { skipped: number }> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  let acked = 0;
  let errors = 0;
  let offered = 0;
  let inFlight = 0;
  let skipped = 0;
  const started = performance.now();
  for (;;) {
    const due = (offered / rate) * 1000;
    if (until(due)) break;
    const wait = started + due - performance.now();
    if (wait > 0) await sleep(wait);
    const d = traffic.next(Date.now());
    offered += d.alerts;
    if (inFlight >= maxInFlight) {
      skipped += 1;
      continue;
    }
    count(counts, d);
    inFlight += 1;
    pending.push(
      post(t, d.body).then((r) => {
        inFlight -= 1;
        latencies.push(r.ms);
        if (r.ok) acked += d.alerts;
        else errors += 1;
      }),
    );
  }
  await Promise.all(pending);
  return { ...loopFigures(latencies, acked, errors, (performance.now() - started) / 1000), skipped };
}

/** A webhook channel to the sink and one rule sending every alert there, grouped as Alertmanager's route. */
async function routeToSink(s: ServerProcess, sink: Sink): Promise<void> {
  const channel = await json<{ id: string }>(s.url, '/api/v1/notify/channels', {
    token: s.token,
    body: { name: 'bench sink', kind: 'webhook', config: { url: sink.url } },
  });
  await json(s.url, '/api/v1/notify/rules', {
    token: s.token,
    body: {
      name: 'every alert',
      matchers: [],
      groupBy: ROUTING.groupBy,
      groupWaitSeconds: ROUTING.groupWaitSeconds,
      groupIntervalSeconds: ROUTING.groupIntervalSeconds,
      repeatIntervalSeconds: ROUTING.repeatIntervalSeconds,
      steps: [{ afterMinutes: 0, channelIds: [channel.id] }],
    },
  });
}

const opsfleetTarget = (s: ServerProcess): Target => ({
  url: `${s.url}/api/v2/alerts`,
  headers: { 'content-type': 'application/json', 'x-api-key': s.key },
  accepted: 202,
  tally: { created: 0, changed: 0 },
});

/** A SQL session on a backend's database from the benchmark process. */
async function openSql(
  backend: Backend,
  where: { url?: string; dir?: string },
): Promise<Sql & { close(): Promise<void> }> {
  if (backend === 'postgres') {
    const client = new pg.Client({ connectionString: where.url });
    await client.connect();
    return {
      run: async <T>(text: string) => {
        const r = (await client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
        return ((Array.isArray(r) ? r.at(-1)?.rows : r.rows) ?? []) as T[];
      },
      close: () => client.end(),
    };
  }
  // The server's extensions: an index or query that uses one fails in a session without it.
  const lite = await PGlite.create(where.dir!, { extensions: { pg_trgm } });
  return {
    run: async <T>(text: string) => ((await lite.exec(text)).at(-1)?.rows ?? []) as T[],
    close: () => lite.close(),
  };
}

export interface Durability {
  /** Instances and history entries the 202 answers reported, and what the database holds after SIGKILL. */
  ackedInstances: number;
  storedInstances: number;
  ackedHistory: number;
  storedHistory: number;
  /** The database's own durability settings, as it reports them. */
  settings: string;
}

/**
 * SIGKILL the server, then read its database: every instance and history entry that an
 * acknowledged batch reported creating must be there. Only ingestion creates instances, so
 * that count is exact; housekeeping adds history of its own, so history is a lower bound.
 */
async function checkDurability(backend: Backend, s: ServerProcess, t: Target): Promise<Durability> {
  await s.kill();
  const sql = await openSql(backend, { url: s.databaseUrl, dir: s.dataDir });
  try {
    const [row] = await sql.run<{ instances: number; history: number; fsync: string; commit: string }>(`
      SELECT (SELECT count(*) FROM alert_instances)::int AS instances,
             (SELECT count(*) FROM alert_history)::int AS history,
             current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS commit`);
    return {
      ackedInstances: t.tally.created,
      storedInstances: row!.instances,
      ackedHistory: t.tally.created + t.tally.changed,
      storedHistory: row!.history,
      settings: `fsync ${row!.fsync}, synchronous_commit ${row!.commit}`,
    };
  } finally {
    await sql.close();
  }
}

export interface IngestRun {
  target: 'alertmanager' | Backend;
  version: string;
  warm: LoopFigures;
  max: LoopFigures & { cpu: PhaseCpu };
  fixed: LoopFigures & { cpu: PhaseCpu };
  /** What the sink had received when the fixed-rate run ended. */
  notified: { messages: number; alerts: number };
  peakRssMiB: number;
  firstError?: string;
  /** opsfleet: the SIGKILL check. */
  durability?: Durability;
  /** Alertmanager: alerts it listed before SIGKILL, and after a restart on the same storage. */
  heldBeforeCrash?: number;
  heldAfterCrash?: number;
  /** The machine's 1-minute load average when the run started and when it ended. */
  load: [number, number];
}

/** CPU seconds (user + system) a process has used, from /proc; undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * CPU used by a set of processes over a phase, sampled twice a second so a process that exits
 * mid-phase keeps what it used until its last sample. On a shared machine throughput depends
 * on what else runs; CPU per alert much less so.
 */
class CpuMeter {
  private readonly base = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly pids: () => Promise<number[]>) {}

  private async sample(first: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const pid of await this.pids()) {
        const t = cpuSeconds(pid);
        if (t === undefined) continue;
        // A process first seen mid-phase started in it: all its time counts.
        if (!this.base.has(pid)) this.base.set(pid, first ? t : 0);
        this.last.set(pid, t);
      }
    } finally {
      this.busy = false;
    }
  }

  async start(): Promise<void> {
    await this.sample(true);
    this.timer = setInterval(() => void this.sample(false), 500);
  }

  async stop(): Promise<number> {
    clearInterval(this.timer);
    while (this.busy) await sleep(10);
    await this.sample(false);
    let total = 0;
    for (const [pid, t] of this.last) total += t - (this.base.get(pid) ?? 0);
    return total;
  }
}

/** The processes doing a target's work: its own, and for PostgreSQL the backends of its database. */
interface Processes {
  own: number;
  /** PostgreSQL backends connected to the target's database, now. */
  backends?: () => Promise<number[]>;
}

/** CPU seconds used during a phase: the target's process, and PostgreSQL's backends. */
export interface PhaseCpu {
  own: number;
  database: number;
}

async function measured<T>(p: Processes, phase: () => Promise<T>): Promise<T & { cpu: PhaseCpu }> {
  const own = new CpuMeter(async () => [p.own]);
  const db = new CpuMeter(p.backends ?? (async () => []));
  await Promise.all([own.start(), db.start()]);
  const out = await phase();
  const [ownSeconds, dbSeconds] = await Promise.all([own.stop(), db.stop()]);
  return { ...out, cpu: { own: ownSeconds, database: dbSeconds } };
}

/** Backends of one database, asked of PostgreSQL through a connection to another. */
async function backendsOf(
  databaseUrl: string,
): Promise<{ list: () => Promise<number[]>; close: () => Promise<void> }> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  return {
    list: async () =>
      (
        await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name])
      ).rows.map((r) => r.pid),
    close: () => admin.end(),
  };
}

/** Warm-up, max rate, fixed rate: each phase on its own fleet, so every target gets the same deliveries. */
async function drive(t: Target, counts: StreamCounts, p: Processes, log: (s: string) => void) {
  const stream = (fleet: number) => new AlertTraffic({ seed: SEED + fleet, fleet });
  log(' warm-up…');
  const warm = await closedLoop(t, stream(0), counts, INGEST.warmSeconds, 4);
  log(' max rate…');
  const max = await measured(p, () => closedLoop(t, stream(1), counts, INGEST.closedSeconds, SENDERS));
  log(` ${Math.round(max.rate)} alerts/s, p99 ${max.p99.toFixed(1)} ms; ${OPEN_RATE} alerts/s…`);
  const fixed = await measured(p, () =>
    openLoop(t, stream(2), counts, OPEN_RATE, (ms) => ms >= INGEST.openSeconds * 1000),
  );
  log(` p50 ${fixed.p50.toFixed(1)} ms, p99 ${fixed.p99.toFixed(1)} ms;`);
  return { warm, max, fixed };
}

async function ingestAlertmanager(counts: StreamCounts, log: (s: string) => void): Promise<IngestRun> {
  const load0 = loadavg()[0]!;
  const sink = await startSink();
  const am = await startAlertmanager(sink.url, ROUTING);
  try {
    log(`  alertmanager ${am.version}:`);
    const t: Target = {
      url: `${am.url}/api/v2/alerts`,
      headers: { 'content-type': 'application/json' },
      accepted: 200,
      tally: { created: 0, changed: 0 },
    };
    const phases = await drive(t, counts, { own: am.pid }, log);
    const notified = { messages: sink.messages, alerts: sink.alerts };
    const peakRssMiB = am.peakRssMiB();
    const held = ((await (await fetch(`${am.url}/api/v2/alerts`)).json()) as unknown[]).length;
    const after = await am.alertsAfterCrash();
    log(` ${held} alerts held, ${after} after SIGKILL and restart\n`);
    return {
      target: 'alertmanager',
      version: am.version,
      ...phases,
      notified,
      peakRssMiB,
      ...(t.firstError ? { firstError: t.firstError } : {}),
      heldBeforeCrash: held,
      heldAfterCrash: after,
      load: [load0, loadavg()[0]!],
    };
  } finally {
    await am.stop();
    await sink.close();
  }
}

async function ingestOpsfleet(backend: Backend, log: (s: string) => void): Promise<IngestRun> {
  const load0 = loadavg()[0]!;
  const sink = await startSink();
  // The sink is on loopback, which the server refuses unless allowed.
  const s = await startServerProcess(backend, { OUTBOUND_ALLOW: '127.0.0.1/32' });
  try {
    log(`  opsfleet on ${backend}:`);
    await routeToSink(s, sink);
    const t = opsfleetTarget(s);
    const backends = s.databaseUrl ? await backendsOf(s.databaseUrl) : undefined;
    const phases = await drive(
      t,
      emptyCounts(),
      { own: s.pid, ...(backends ? { backends: backends.list } : {}) },
      log,
    ).finally(() => backends?.close());
    const notified = { messages: sink.messages, alerts: sink.alerts };
    const peakRssMiB = s.peakRssMiB();
    const durability = await checkDurability(backend, s, t);
    log(
      ` after SIGKILL: ${durability.storedInstances} of ${durability.ackedInstances} instances, ${durability.storedHistory} of ${durability.ackedHistory} history entries\n`,
    );
    return {
      target: backend,
      version: '',
      ...phases,
      notified,
      peakRssMiB,
      ...(t.firstError ? { firstError: t.firstError } : {}),
      durability,
      load: [load0, loadavg()[0]!],
    };
  } finally {
    await s.stop();
    await sink.close();
  }
}

export interface QueryKind {
  name: string;
  what: string;
  calls: number;
  /** Calls that got no answer within POST_TIMEOUT_MS (counted as that long). */
  timeouts: number;
  p50: number;
  p99: number;
  max: number;
}

export interface QueryRun {
  backend: Backend;
  fill: FillFigures;
  migrateSeconds: number;
  kinds: QueryKind[];
  background: LoopFigures & { skipped: number };
  /** The queries' whole duration. */
  seconds: number;
  /** The machine's 1-minute load average when the run started (before the fill) and ended. */
  load: [number, number];
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

interface Store {
  /** What points the server (and `opsfleet migrate`) at it. */
  env: Record<string, string>;
  where: { url?: string; dir?: string };
  drop(): Promise<void>;
  name: string;
}

/** A fresh database for a filled run, apart from the ones startServerProcess makes. */
async function freshStore(backend: Backend): Promise<Store> {
  if (backend === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-query-'));
    return {
      env: { DATA_DIR: dir },
      where: { dir },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
      name: dir,
    };
  }
  const name = `opsfleet_bench_query_${process.pid}`;
  const admin = async (text: string) => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    where: { url: url.toString() },
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    name,
  };
}

async function queryRun(backend: Backend, n: number, log: (s: string) => void): Promise<QueryRun> {
  const load0 = loadavg()[0]!;
  const store = await freshStore(backend);
  let keep = false;
  try {
    log(`  ${backend}, ${n.toLocaleString('en')} alerts: migrate…`);
    const m0 = performance.now();
    await promisify(execFile)(process.execPath, [CLI, 'migrate'], {
      env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: '', ...store.env },
    });
    const migrateSeconds = (performance.now() - m0) / 1000;
    log(` ${migrateSeconds.toFixed(1)} s; fill:`);
    const sql = await openSql(backend, store.where);
    let fill: FillFigures;
    try {
      fill = await fillAlerts(sql, n, log);
    } finally {
      await sql.close();
    }
    log(` ${fill.seconds.toFixed(0)} s in all\n`);
    const s = await startServerProcess(backend, store.env);
    const sink = await startSink();
    try {
      await routeToSink(s, sink);
      const ingest = opsfleetTarget(s);
      let stop = false;
      // Bounded: a backend that cannot keep up with the background load would otherwise queue
      // posts without end, and the queries would measure that queue.
      const background = openLoop(
        ingest,
        new AlertTraffic({ seed: SEED + 3, fleet: 3 }),
        emptyCounts(),
        QUERY.backgroundRate,
        () => stop,
        QUERY.backgroundInFlight,
      );
      try {
        const started = performance.now();
        const kinds = await timeQueries(s, n, log);
        const seconds = (performance.now() - started) / 1000;
        stop = true;
        const bg = await background;
        log(
          `    background ingestion: ${Math.round(bg.rate)} alerts/s, p99 ${bg.p99.toFixed(1)} ms, ${bg.errors} errors${ingest.firstError ? ` (${ingest.firstError})` : ''}, ${bg.skipped} posts skipped\n`,
        );
        keep = process.env.BENCH_KEEP_DB === '1';
        if (keep) log(`    kept: ${store.name}\n`);
        return {
          backend,
          fill,
          migrateSeconds,
          kinds,
          background: bg,
          seconds,
          load: [load0, loadavg()[0]!],
        };
      } finally {
        stop = true;
        await background;
      }
    } finally {
      await s.stop();
      await sink.close();
    }
  } finally {
    if (!keep) await store.drop();
  }
}

/** The console's queries, in turn, each until it has QUERY.calls samples or has used QUERY.capSeconds. */
async function timeQueries(s: ServerProcess, n: number, log: (s: string) => void): Promise<QueryKind[]> {
  const get = async (path: string): Promise<{ ms: number; body: string }> => {
    const t0 = performance.now();
    const res = await fetch(`${s.url}${path}`, {
      headers: { authorization: `Bearer ${s.token}` },
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    const body = await res.text();
    const ms = performance.now() - t0;
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${body.slice(0, 300)}`);
    return { ms, body };
  };
  const clusters = ['prod-eu-1', 'prod-us-1', 'prod-ap-1', 'staging-eu-1', 'prod-us-2', 'dev-eu-1'];
  // Words that many alerts contain and words that one alert contains (a pod, an address) take
  // different paths: walking the newest alerts until enough match, or an index lookup.
  const g = (i: number) => 1 + ((i * 7_919 + 13) % n);
  const terms = (i: number) => {
    const k = g(i);
    return [
      'ledger',
      'ReplicationLag',
      md5(`fill${k}`).slice(0, 9),
      `10.${100 + Math.floor(k / 65536)}.${Math.floor(k / 256) % 256}.${k % 256}:9100`,
    ][i % 4]!;
  };
  const kinds: { name: string; what: string; call: (i: number) => Promise<number> }[] = [
    {
      name: 'list',
      what: '`GET /api/v1/alerts?limit=50`',
      call: async () => (await get('/api/v1/alerts?limit=50')).ms,
    },
    {
      name: 'filtered list',
      what: '`status=firing,acknowledged&severity=critical&label=cluster=<one of 6>`',
      call: async (i) =>
        (
          await get(
            `/api/v1/alerts?status=firing,acknowledged&severity=critical&label=${encodeURIComponent(`cluster=${clusters[i % clusters.length]}`)}&limit=50`,
          )
        ).ms,
    },
    {
      name: 'text search',
      what: '`q=` a service, part of an alertname, a pod, an address (in turn)',
      call: async (i) => (await get(`/api/v1/alerts?q=${encodeURIComponent(terms(i))}&limit=50`)).ms,
    },
    {
      name: 'alert detail',
      what: '`GET /api/v1/alerts/{fingerprint}`, a filled alert (~3 instances, ~7 history entries)',
      call: async (i) => (await get(`/api/v1/alerts/${md5(`fill${g(i)}`).slice(0, 16)}`)).ms,
    },
    {
      name: 'stats',
      what: '`GET /api/v1/alerts/stats` (last 24 h)',
      call: async () => (await get('/api/v1/alerts/stats')).ms,
    },
    {
      name: 'second page',
      what: 'the unfiltered list again with the first page’s `nextCursor`',
      call: async () => {
        const first = JSON.parse((await get('/api/v1/alerts?limit=50')).body) as {
          nextCursor: string | null;
        };
        if (!first.nextCursor) throw new Error('the alert list has no second page');
        return (await get(`/api/v1/alerts?limit=50&cursor=${encodeURIComponent(first.nextCursor)}`)).ms;
      },
    },
  ];
  // Not counted: the first call of each pays for connections and query plans.
  for (const k of kinds)
    await k.call(0).catch((err: Error) => {
      if (err.name !== 'TimeoutError') throw err;
    });
  const samples = kinds.map(() => [] as number[]);
  const spent = kinds.map(() => 0);
  const timeouts = kinds.map(() => 0);
  log(`    ${QUERY.calls} calls of each of ${kinds.length} queries…`);
  for (let i = 1; i <= QUERY.calls; i++) {
    for (const [j, k] of kinds.entries()) {
      if (spent[j]! > QUERY.capSeconds * 1000) continue;
      const t0 = performance.now();
      try {
        samples[j]!.push(await k.call(i));
      } catch (err) {
        if ((err as Error).name !== 'TimeoutError') throw err;
        // A call that timed out counts as its timeout: it was at least that slow.
        samples[j]!.push(POST_TIMEOUT_MS);
        timeouts[j]! += 1;
      }
      spent[j]! += performance.now() - t0;
    }
    if (i % 50 === 0) log(` ${i}`);
  }
  log('\n');
  return kinds.map((k, j) => {
    const xs = samples[j]!.sort((a, b) => a - b);
    const q = {
      name: k.name,
      what: k.what,
      calls: xs.length,
      timeouts: timeouts[j]!,
      p50: pct(xs, 0.5),
      p99: pct(xs, 0.99),
      max: xs.at(-1)!,
    };
    log(
      `    ${q.name}: p50 ${q.p50.toFixed(1)} ms, p99 ${q.p99.toFixed(1)} ms (${q.calls} calls${q.timeouts ? `, ${q.timeouts} timed out` : ''})\n`,
    );
    return q;
  });
}

export interface ServerFigures {
  quick: boolean;
  postgresVersion: string;
  ingest: IngestRun[];
  /** The stream as sent to Alertmanager (every target got the same one, up to its max-rate length). */
  stream: StreamCounts;
  queries: QueryRun[];
  minutes: number;
}

export async function runServerBench(log: (s: string) => void): Promise<ServerFigures> {
  const t0 = performance.now();
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const postgresVersion = (
    await admin.query<{ v: string }>('SELECT current_setting($$server_version$$) AS v')
  ).rows[0]!.v.split(' ')[0]!;
  await admin.end();
  const ingest: IngestRun[] = [];
  const stream = emptyCounts();
  if (PARTS.has('ingest')) {
    log(`ingestion (${QUICK ? 'quick' : 'full'}):\n`);
    ingest.push(await ingestAlertmanager(stream, log));
    for (const backend of ['postgres', 'pglite'] as const) ingest.push(await ingestOpsfleet(backend, log));
  }
  const queries: QueryRun[] = [];
  if (PARTS.has('query')) {
    log('queries while ingesting:\n');
    for (const [backend, n] of QUERY_RUNS) queries.push(await queryRun(backend, n, log));
  }
  return {
    quick: QUICK,
    postgresVersion,
    ingest,
    stream,
    queries,
    minutes: (performance.now() - t0) / 60_000,
  };
}

const ms = (x: number) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(1) : Math.round(x)} ms` : '–');
const int = (x: number) => Math.round(x).toLocaleString('en');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const loads = ([a, b]: [number, number]) => `${a.toFixed(1)} → ${b.toFixed(1)}`;
const cpuPerAlerts = (l: LoopFigures & { cpu: PhaseCpu }) =>
  `${((1000 * (l.cpu.own + l.cpu.database)) / l.acked).toFixed(2)} s${l.cpu.database ? ` (${((1000 * l.cpu.own) / l.acked).toFixed(2)} + PostgreSQL ${((1000 * l.cpu.database) / l.acked).toFixed(2)})` : ''}`;
const cpuShare = (l: LoopFigures & { cpu: PhaseCpu }) =>
  `${Math.round((100 * (l.cpu.own + l.cpu.database)) / l.seconds)} %${l.cpu.database ? ` (${Math.round((100 * l.cpu.own) / l.seconds)} + ${Math.round((100 * l.cpu.database) / l.seconds)})` : ''}`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const size = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);

function ingestSection(f: ServerFigures): string {
  const am = f.ingest.find((r) => r.target === 'alertmanager');
  if (!am) return '';
  const s = f.stream;
  const name = (r: IngestRun) =>
    r.target === 'alertmanager'
      ? `Alertmanager ${r.version}`
      : `opsfleet, ${r.target === 'postgres' ? `PostgreSQL ${f.postgresVersion}` : 'PGlite'}`;
  const crash = (r: IngestRun) =>
    r.durability
      ? [
          [r.durability.storedInstances, r.durability.ackedInstances, 'episodes'] as const,
          [r.durability.storedHistory, r.durability.ackedHistory, 'history entries'] as const,
        ]
          .map(([stored, acked, what]) =>
            stored >= acked
              ? `all ${int(acked)} acknowledged ${what} stored${stored > acked ? ` (${int(stored)} in all)` : ''}`
              : `**${int(stored)} of ${int(acked)} acknowledged ${what} stored**`,
          )
          .join(', ')
      : `${int(r.heldBeforeCrash ?? 0)} alerts held → ${int(r.heldAfterCrash ?? 0)} after restart`;
  const rows = f.ingest
    .map(
      (r) =>
        `| ${name(r)} | ${int(r.max.rate)} | ${r === am ? '1×' : ratio(r.max.rate, am.max.rate)} | ${ms(r.max.p50)} / ${ms(r.max.p99)} | ${cpuPerAlerts(r.max)} | ${int(r.fixed.rate)} | ${ms(r.fixed.p50)} | ${ms(r.fixed.p99)} | ${cpuShare(r.fixed)} | ${r.warm.errors + r.max.errors + r.fixed.errors} | ${int(r.notified.messages)} / ${int(r.notified.alerts)} | ${int(r.peakRssMiB)} MiB | ${crash(r)} | ${loads(r.load)} |`,
    )
    .join('\n');
  const goals = f.ingest
    .filter((r) => r.durability)
    .map((r) => {
      const d = r.durability!;
      const durable = d.storedInstances >= d.ackedInstances && d.storedHistory >= d.ackedHistory;
      return `- ${name(r)}: throughput ${int(r.max.rate)} alerts/s = ${ratio(r.max.rate, am.max.rate)} Alertmanager's ${int(am.max.rate)}, goal ≥ 0.5× with every acknowledged alert durable: ${verdict(r.max.rate >= 0.5 * am.max.rate && durable)}${durable ? '' : ' (acknowledged work missing after SIGKILL)'}; p99 at ${OPEN_RATE} alerts/s ${ms(r.fixed.p99)} against Alertmanager's ${ms(am.fixed.p99)} (${ratio(r.fixed.p99, am.fixed.p99)}), goal ≤ 1×: ${verdict(r.fixed.p99 <= am.fixed.p99)}.`;
    })
    .join('\n');
  const withDb = f.ingest.filter((r) => r.durability);
  const noFsync = withDb.filter((r) => r.durability!.settings.includes('fsync off')).map(name);
  const settings = withDb.length
    ? `The databases' own settings, as they report them: ${withDb.map((r) => `${name(r)}: ${r.durability!.settings}`).join('; ')}${noFsync.length ? ` — with fsync off (${noFsync.join(', ')}), a commit survives the process crashing, not the machine losing power` : ''}.`
    : '';
  const errors = f.ingest
    .filter((r) => r.firstError)
    .map((r) => `- ${name(r)}: first error: \`${r.firstError}\``)
    .join('\n');
  return `### Ingestion beside Alertmanager

Workload: Alertmanager ${am.version} (Debian's build, its own process on loopback, a fresh
\`--storage.path\`, \`--cluster.listen-address=\` empty: clustering off) and opsfleet as the image runs
it (\`node dist/opsfleet.mjs server\`, its own process, a fresh PostgreSQL database or PGlite
folder, an ingest API key) are each started cold and sent the same seeded stream by the same
sender code (fetch, keep-alive, on the same machine): Alertmanager API v2 postable-alert arrays
to \`POST /api/v2/alerts\` on both. The stream (\`bench/alert-traffic.ts\`): ${GROUPS.toLocaleString('en')} rule groups
(8 alertnames × 6 clusters × 24 services) of 1–12 series, each alert with 12 labels and 3
annotations; an evaluation reports all of a group's series; series flip between firing and
resolved (a fifth of them flapping), a new firing episode with a new \`startsAt\`; firing alerts
re-sent with \`endsAt\` = now + 45 s as vmalert does, resolves with \`endsAt\` in the past; every
batch posted twice, the copy up to 4 posts later (an HA pair). What Alertmanager was sent:
${int(s.posts)} posts of ${(s.alerts / s.posts).toFixed(1)} alerts on average, ${((100 * s.resolves) / s.alerts).toFixed(0)} % resolves, ${((100 * s.duplicatePosts) / s.posts).toFixed(0)} % HA copies,
${int(s.newEpisodes)} new firing episodes (${int(s.flaps)} of them a series firing again).
Each target: ${INGEST.warmSeconds} s of warm-up (4 senders), then as fast as ${SENDERS} concurrent senders post for
${INGEST.closedSeconds} s, then an open loop offering **${OPEN_RATE} alerts/s** for ${INGEST.openSeconds} s (posts leave on schedule
whether or not earlier ones were answered); each phase has its own hosts, so each target gets the
same deliveries in each phase. Latency is per post, sent to answered. Both notify a webhook
receiver in the benchmark process: Alertmanager's route and opsfleet's rule group by
\`${ROUTING.groupBy.join(', ')}\`, group wait ${ROUTING.groupWaitSeconds} s, group interval ${ROUTING.groupIntervalSeconds} s, repeat ${ROUTING.repeatIntervalSeconds / 3600} h, resolved alerts sent.

**Not the same work:** Alertmanager keeps alerts in memory only (silences and the notification
log are snapshotted to disk every 15 min, alerts never), so a crash loses every alert it held.
opsfleet commits each batch (alerts, episodes, history) before it answers 202. After the run each
target is killed with SIGKILL: opsfleet's database is then read back and must hold every episode
and history entry its 202 answers reported; Alertmanager is restarted on the same storage
directory. ${settings}

| target | max alerts/s | vs Alertmanager | p50 / p99 at max | CPU per 1,000 alerts at max* | at ${OPEN_RATE}/s: achieved | p50 | p99 | CPU at ${OPEN_RATE}/s* | errors | notifications (messages / alerts) | peak RSS | after SIGKILL | load 1m, start → end |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows}

${goals}
${errors}
- \\* CPU time (user + system, from /proc) of the target's process, plus for PostgreSQL the
  backends connected to its database (not PostgreSQL's shared background processes, nor the
  benchmark process); per 1,000 acknowledged alerts at full speed, and as a share of one core
  at ${OPEN_RATE} alerts/s. Other work on the machine slows a target down; it changes CPU per alert less, though
  contention for cores and caches still raises it (the load average is in the last column).
- Errors: posts not taken (any other answer, a dropped connection, or no answer within
  ${POST_TIMEOUT_MS / 1000} s). Notifications: what the receiver had when the ${OPEN_RATE} alerts/s phase ended.
  "In all" after SIGKILL also counts the work of posts that timed out at the sender but were
  committed later, and the history entries of the server's own expiry pass.
- Peak RSS is the target's own process (VmHWM); PostgreSQL's processes are not in it.
`;
}

function querySection(f: ServerFigures): string {
  if (!f.queries.length) return '';
  const runs = f.queries;
  const head = runs.map(
    (r) => `${r.backend === 'postgres' ? 'PostgreSQL' : 'PGlite'}, ${size(r.fill.alerts)} alerts`,
  );
  const kinds = runs[0]!.kinds;
  const rows = kinds
    .map(
      (k, j) =>
        `| ${k.name}: ${k.what} | ${runs
          .map((r) => {
            const q = r.kinds[j]!;
            const notes = [
              ...(q.calls < QUERY.calls ? [`${q.calls} calls`] : []),
              ...(q.timeouts ? [`${q.timeouts} timed out after ${POST_TIMEOUT_MS / 1000} s`] : []),
            ];
            return `${ms(q.p50)} / ${q.p99 > 50 ? `**${ms(q.p99)}**` : ms(q.p99)}${notes.length ? ` (${notes.join(', ')})` : ''}`;
          })
          .join(' | ')} |`,
    )
    .join('\n');
  const fills = runs
    .map(
      (r) =>
        `| ${r.backend === 'postgres' ? 'PostgreSQL' : 'PGlite'} | ${int(r.fill.alerts)} | ${int(r.fill.instances)} | ${int(r.fill.history)} | ${int(r.fill.open)} | ${r.fill.seconds.toFixed(0)} s (${r.fill.steps.map(([n, s]) => `${n} ${s.toFixed(0)} s`).join(', ')}) | ${int(r.background.rate)} alerts/s, p99 ${ms(r.background.p99)}, ${r.background.errors} errors${r.background.skipped ? `, ${int(r.background.skipped)} posts skipped (${QUERY.backgroundInFlight} in flight)` : ''} | ${loads(r.load)} |`,
    )
    .join('\n');
  const missed = runs.flatMap((r, i) =>
    r.kinds.filter((k) => k.p99 > 50).map((k) => `${k.name} on ${head[i]} (${ms(k.p99)})`),
  );
  return `### Queries while ingesting

Workload: a migrated database filled in SQL before the server starts (\`bench/alert-fill.ts\`:
12 labels and 3 annotations per alert over 20 alertnames, 12 clusters and 60 services; 1–5
episodes per alert, a history entry per state change; 95 % of alerts closed, 3 % resolved in the
last day, 2 % open and seen in the last hour; secondary indexes rebuilt after the load, then
\`VACUUM ANALYZE\`), then opsfleet started on it with the notification rule above, and a
background sender posting the ingestion stream at ${QUERY.backgroundRate} alerts/s. Each query is called
${QUERY.calls} times in turn with the others, one at a time, as an admin (bearer token), after one
uncounted call; a query that has taken ${QUERY.capSeconds} s in all stops early (calls shown). p50 / p99; goal
p99 ≤ 50 ms.

| query | ${head.join(' | ')} |
|---|${runs.map(() => '---|').join('')}
${rows}

| database | alerts | instances | history | open | fill | background ingestion | load 1m, start → end |
|---|---|---|---|---|---|---|---|
${fills}

- Goal p99 ≤ 50 ms: ${missed.length ? `**missed** by ${missed.join('; ')}` : 'met by every query'}.
`;
}

export function serverSection(f: ServerFigures): string {
  return `## Server: alert ingestion beside Alertmanager, and queries on large databases

${f.quick ? '**Quick run (`BENCH_QUICK=1`): short phases and small databases; not figures to quote.**\n\n' : ''}${ingestSection(f)}
${querySection(f)}
The whole suite took ${f.minutes.toFixed(1)} min.
`;
}
