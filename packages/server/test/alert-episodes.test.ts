import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/alerts/fingerprint.ts';
import { type InboundAlert, parseAlertmanager, parseVmalert } from '../src/alerts/ingest.ts';
import { AlertService } from '../src/alerts/service.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { rowsOf } from '../src/db/rows.ts';
import { backends } from './backends.ts';

/**
 * The alert center's state is a function of what the sources said, not of the order in which
 * the server heard it: each defect of issue 12 as a table row, then a property over generated
 * streams (two sources, re-fires, HA duplicates, resolves, episodes crossing on the network).
 */

const all = await backends();
const T = Date.parse('2026-11-25T10:00:00Z');
const at = (minutes: number) => new Date(T + minutes * 60_000).toISOString();
const GO_ZERO = '0001-01-01T00:00:00Z';

/** One Alertmanager webhook delivery of one alert. */
function am(status: 'firing' | 'resolved', labels: Record<string, string>, starts: number, ends?: number) {
  return parseAlertmanager({
    version: '4',
    status,
    alerts: [
      {
        status,
        labels,
        annotations: { summary: `${labels.alertname} on ${labels.instance}` },
        startsAt: at(starts),
        endsAt: ends === undefined ? GO_ZERO : at(ends),
        generatorURL: `http://prometheus:9090/graph?g0.expr=${labels.alertname}`,
        fingerprint: '',
      },
    ],
  });
}

/** One vmalert notification, as heard when it was sent (vmalert's status is endsAt against receipt). */
function vm(labels: Record<string, string>, starts: number, ends: number, sent: number) {
  return parseVmalert(
    [
      {
        labels,
        annotations: {},
        startsAt: at(starts),
        endsAt: at(ends),
        generatorURL: 'http://vmalert/rule',
      },
    ],
    new Date(at(sent)),
  );
}

interface Snapshot {
  state: string;
  current: string;
  instances: string[];
  history: number;
}

async function snapshot(db: Database, fingerprint: string): Promise<Snapshot> {
  const [alert] = rowsOf<{ state: string; starts_at: string | Date }>(
    await db.db.execute(sql`
      SELECT a.state, i.starts_at FROM alerts a JOIN alert_instances i ON i.id = a.current_instance_id
      WHERE a.fingerprint = ${fingerprint}`),
  );
  const instances = rowsOf<Record<string, string | Date | null>>(
    await db.db.execute(sql`
      SELECT starts_at, state, ended_by, ends_at, resolved_at FROM alert_instances
      WHERE fingerprint = ${fingerprint} ORDER BY starts_at`),
  );
  const [{ n }] = rowsOf<{ n: number }>(
    await db.db.execute(sql`SELECT count(*)::int AS n FROM alert_history WHERE fingerprint = ${fingerprint}`),
  ) as [{ n: number }];
  const t = (v: string | Date | null | undefined) =>
    v == null ? '-' : new Date(v).toISOString().slice(11, 16);
  return {
    state: alert?.state ?? 'none',
    current: alert ? t(alert.starts_at) : '-',
    instances: instances.map(
      (i) =>
        `${t(i.starts_at)} ${i.state}${i.ended_by ? `/${i.ended_by}` : ''} ends ${t(i.ends_at)} resolved ${t(i.resolved_at)}`,
    ),
    history: n,
  };
}

describe.each(all)('alert episodes on $name', (backend) => {
  let database: Database;
  let drop: () => Promise<void>;
  let clock = new Date(T);
  let svc: AlertService;
  const notified: string[][] = [];
  beforeAll(async () => {
    const target = await backend.fresh();
    drop = target.drop;
    database = await openDatabase({ url: target.url, dataDir: target.dataDir });
    svc = new AlertService(database.db, { now: () => clock, onChange: (f) => notified.push(f) });
  }, 60_000);
  afterAll(async () => {
    await database.close();
    await drop();
  });

  let n = 0;
  /** A label set of its own per case, so the cases share one database. */
  const alertOf = () => ({ alertname: 'DiskFull', instance: `db-${n++}`, severity: 'critical' });
  const ingest = async (reports: InboundAlert[]) => svc.ingest(reports, 'test');

  // Each row: the reports in the order they arrive (late ones cross earlier ones on the
  // network), and what the alert looks like afterwards.
  const DEFECTS: [string, (l: Record<string, string>) => InboundAlert[][], Partial<Snapshot>][] = [
    [
      'a late fire for an episode its source resolved changes nothing',
      (l) => [am('firing', l, 0), am('resolved', l, 0, 5), am('firing', l, 0)],
      { state: 'resolved', instances: ['10:00 resolved/source ends 10:05 resolved 10:05'], history: 2 },
    ],
    [
      'a report of an earlier episode does not refresh the current one',
      (l) => [vm(l, 0, 4, 0), vm(l, 0, 3, 0), vm(l, 10, 20, 10), vm(l, 0, 8, 4)],
      {
        state: 'firing',
        current: '10:10',
        instances: [
          '10:00 resolved/superseded ends 10:08 resolved 10:10',
          '10:10 firing ends 10:20 resolved -',
        ],
      },
    ],
    [
      "a firing episode's endsAt only moves forward",
      (l) => [vm(l, 0, 12, 8), vm(l, 0, 8, 4)],
      { state: 'firing', instances: ['10:00 firing ends 10:12 resolved -'], history: 1 },
    ],
    [
      "a resolve that arrives before its episode's first fire is kept; the late fire changes nothing",
      (l) => [am('resolved', l, 0, 5), am('firing', l, 0)],
      { state: 'resolved', instances: ['10:00 resolved/source ends 10:05 resolved 10:05'], history: 1 },
    ],
    [
      "a later episode is an instance of its own; the earlier one's late resolve does not end it",
      (l) => [am('firing', l, 0), am('firing', l, 10), am('resolved', l, 0, 5)],
      {
        state: 'firing',
        current: '10:10',
        instances: ['10:00 resolved/source ends 10:05 resolved 10:05', '10:10 firing ends - resolved -'],
      },
    ],
    [
      'an episode first heard of already resolved is stored resolved',
      (l) => [am('resolved', l, 0, 5)],
      { state: 'resolved', instances: ['10:00 resolved/source ends 10:05 resolved 10:05'], history: 1 },
    ],
    [
      'an older episode heard of last is stored ended where the next one began',
      (l) => [am('firing', l, 20), am('firing', l, 10), am('firing', l, 0)],
      {
        state: 'firing',
        current: '10:20',
        instances: [
          '10:00 resolved/superseded ends - resolved 10:10',
          '10:10 resolved/superseded ends - resolved 10:20',
          '10:20 firing ends - resolved -',
        ],
      },
    ],
    [
      'HA duplicates of every delivery add nothing',
      (l) => [am('firing', l, 0), am('firing', l, 0), am('resolved', l, 0, 5), am('resolved', l, 0, 5)],
      { state: 'resolved', instances: ['10:00 resolved/source ends 10:05 resolved 10:05'], history: 2 },
    ],
  ];

  it.each(DEFECTS)('%s', async (_what, posts, expected) => {
    const labels = alertOf();
    for (const post of posts(labels)) await ingest(post);
    const fp = fingerprintOf(labels);
    expect(await snapshot(database, fp)).toMatchObject(expected);
    // The same traffic again: no history entry, no change (and so no notification).
    const before = await snapshot(database, fp);
    notified.length = 0;
    for (const post of posts(labels)) await ingest(post);
    expect(await snapshot(database, fp)).toEqual(before);
    expect(notified.flat()).not.toContain(fp);
  });

  it('a late fire after an expiry re-opens the episode with its new end, and only news re-opens it', async () => {
    const labels = alertOf();
    const fp = fingerprintOf(labels);
    await ingest(vm(labels, 0, 4, 0));
    clock = new Date(at(5));
    await svc.housekeep();
    expect((await snapshot(database, fp)).instances).toEqual([
      '10:00 resolved/time ends 10:04 resolved 10:05',
    ]);
    await ingest(vm(labels, 0, 3, 0));
    expect((await snapshot(database, fp)).state).toBe('resolved');
    await ingest(vm(labels, 0, 9, 5));
    expect(await snapshot(database, fp)).toMatchObject({
      state: 'firing',
      instances: ['10:00 firing ends 10:09 resolved -'],
    });
    await svc.housekeep();
    expect((await snapshot(database, fp)).state).toBe('firing');
    clock = new Date(T);
  });

  it('returns the generatorURL of the current episode', async () => {
    const labels = alertOf();
    await ingest(am('firing', labels, 0));
    const detail = await svc.get(fingerprintOf(labels));
    expect(detail.alert.generatorURL).toBe('http://prometheus:9090/graph?g0.expr=DiskFull');
    expect(detail.instances[0]!.generatorURL).toBe('http://prometheus:9090/graph?g0.expr=DiskFull');
  });

  it('webhooks stored together each get the answer they would have had alone', async () => {
    const [a, b] = [alertOf(), alertOf()];
    // The first two are stored at once (two at a time), so the rest queue and are stored as one group.
    const answers = await Promise.all(
      [
        am('firing', a, 0),
        am('firing', b, 0),
        am('firing', a, 0),
        am('resolved', a, 0, 5),
        am('firing', a, 10),
        am('firing', b, 0),
      ].map(ingest),
    );
    expect(answers.map(({ created, changed, refreshed }) => [created, changed, refreshed])).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(await snapshot(database, fingerprintOf(a))).toMatchObject({
      state: 'firing',
      current: '10:10',
      instances: ['10:00 resolved/source ends 10:05 resolved 10:05', '10:10 firing ends - resolved -'],
    });
  });

  it('a webhook the database refuses fails alone; the others stored with it are kept', async () => {
    const [a, b, c] = [alertOf(), alertOf(), alertOf()];
    const bad = am('firing', alertOf(), 0).map((r) => ({
      ...r,
      annotations: { summary: 'nul \u0000 byte' },
    }));
    const outcomes = await Promise.allSettled(
      [a, b, null, c].map((l) => ingest(l ? am('firing', l, 0) : bad)),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    for (const l of [a, b, c])
      expect(await snapshot(database, fingerprintOf(l))).toMatchObject({ state: 'firing' });
    expect(
      rowsOf(await database.db.execute(sql`SELECT 1 FROM alerts WHERE fingerprint = ${bad[0]!.fingerprint}`)),
    ).toEqual([]);
  });

  it('any order and any repetition of a realistic stream ends in the state of the stream in order', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(streamArb, fc.infiniteStream(fc.nat()), async (stream, keys) => {
        run += 1;
        const inOrder = relabel(stream, `${backend.name}-ordered-${run}`);
        const shuffled = shuffle(relabel(stream, `${backend.name}-shuffled-${run}`), keys);
        for (const batch of batches(inOrder)) await ingest(batch);
        const expected = await snapshots(database, inOrder);
        for (const batch of batches(shuffled)) await ingest(batch);
        const got = await snapshots(database, shuffled);
        expect(got.map(({ history: _, ...s }) => s)).toEqual(expected.map(({ history: _, ...s }) => s));
        // All at once: the server stores whatever arrived together in one transaction.
        const together = shuffle(relabel(stream, `${backend.name}-together-${run}`), keys);
        await Promise.all(batches(together).map(ingest));
        const grouped = await snapshots(database, together);
        expect(grouped.map(({ history: _, ...s }) => s)).toEqual(expected.map(({ history: _, ...s }) => s));
        for (const batch of batches(inOrder)) await ingest(batch);
        expect(await snapshots(database, inOrder)).toEqual(expected);
      }),
      { numRuns: backend.name === 'pglite' ? 25 : 40 },
    );
  }, 240_000);
});

/** A report and when its sender sent it. */
interface Sent {
  at: number;
  report: () => InboundAlert[];
  labels: Record<string, string>;
}

/**
 * A few alerts, each from Alertmanager (an HA pair: every delivery twice) or vmalert (a
 * re-send every evaluation with endsAt moving forward), each with one to three episodes;
 * an episode ends with a resolve or, when that was lost, only by the next episode.
 */
const episodeArb = fc.record({
  gap: fc.integer({ min: 1, max: 30 }),
  length: fc.integer({ min: 1, max: 20 }),
  resends: fc.integer({ min: 1, max: 4 }),
  resolved: fc.boolean(),
});
const alertArb = fc.record({
  source: fc.constantFrom('alertmanager', 'vmalert'),
  episodes: fc.array(episodeArb, { minLength: 1, maxLength: 3 }),
  duplicates: fc.boolean(),
});
const streamArb = fc.array(alertArb, { minLength: 1, maxLength: 3 }).map((alerts) =>
  alerts.flatMap((alert, a) => {
    const labels = { alertname: 'Gen', instance: `a${a}`, source: alert.source };
    const sent: Sent[] = [];
    let start = 0;
    for (const ep of alert.episodes) {
      start += ep.gap;
      const s = start;
      for (let r = 0; r < ep.resends; r++) {
        const t = s + Math.floor((r * ep.length) / ep.resends);
        sent.push({
          at: t,
          labels,
          report: () => (alert.source === 'vmalert' ? vm(labels, s, t + 4, t) : am('firing', labels, s)),
        });
      }
      const end = s + ep.length;
      if (ep.resolved)
        sent.push({
          at: end,
          labels,
          report: () =>
            alert.source === 'vmalert' ? vm(labels, s, end, end) : am('resolved', labels, s, end),
        });
      start = end;
    }
    return alert.duplicates ? sent.flatMap((x) => [x, { ...x, at: x.at + 0.5 }]) : sent;
  }),
);

/** The same stream for alerts of their own (a label per run), in send order. */
function relabel(stream: Sent[], run: string): InboundAlert[] {
  return [...stream]
    .sort((a, b) => a.at - b.at)
    .flatMap((s) =>
      s.report().map((r) => {
        const labels = { ...r.labels, run };
        return { ...r, labels, fingerprint: fingerprintOf(labels) };
      }),
    );
}

function shuffle<T>(items: T[], keys: fc.Stream<number>): T[] {
  const order = [...keys.take(items.length)];
  return items
    .map((item, i) => ({ item, key: order[i]! }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);
}

/** Webhooks of one to three reports, as a sender groups them. */
function batches(reports: InboundAlert[]): InboundAlert[][] {
  const out: InboundAlert[][] = [];
  for (let i = 0; i < reports.length; i += 1 + (i % 3)) out.push(reports.slice(i, i + 1 + (i % 3)));
  return out;
}

/** Each generated alert's snapshot, in the order of its `instance` label (fingerprints differ per run). */
async function snapshots(db: Database, reports: InboundAlert[]): Promise<Snapshot[]> {
  const byInstance = new Map(reports.map((r) => [r.labels.instance!, r.fingerprint]));
  const fps = [...byInstance.keys()].sort().map((instance) => byInstance.get(instance)!);
  return Promise.all(fps.map((fp) => snapshot(db, fp)));
}
