import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import type { App } from '../http/app.ts';
import { alertQueries } from './queries.ts';

/**
 * The console's landing page in one answer: alerts started per bucket by severity, MTTA and MTTR
 * per bucket, the alerts that fired most often, agents online, and notification deliveries
 * failing, over the last day or week.
 */

export const OVERVIEW_RANGES = {
  '24h': { ms: 86_400_000, bucketSeconds: 3600 },
  '7d': { ms: 7 * 86_400_000, bucketSeconds: 6 * 3600 },
} as const;
export type OverviewRange = keyof typeof OVERVIEW_RANGES;

const NOISIEST = 10;
/**
 * A console polls its landing page; at a million alerts a week of buckets reads hundreds of
 * thousands of index entries, so an answer is reused for a few seconds per range.
 */
const FRESH_MS = 5_000;

const iso = (d: Date) => d.toISOString();

/** The statements behind the overview, here so the query-plan test explains exactly these. */
export const overviewQueries = {
  started: (from: Date, to: Date, bucketSeconds: number): SQL =>
    alertQueries.buckets('starts_at', from, to, bucketSeconds),

  /** Mean seconds from start to `column` per bucket of `column`, over instances in [from, to). */
  meanPerBucket(column: 'acknowledged_at' | 'resolved_at', from: Date, to: Date, bucketSeconds: number): SQL {
    const col = sql.raw(column);
    return sql`
      SELECT date_bin(${`${bucketSeconds} seconds`}::interval, ${col}, ${iso(from)}::timestamptz) AS at,
             avg(extract(epoch FROM ${col} - starts_at)) AS mean, count(*)::int AS n
      FROM alert_instances
      WHERE ${col} >= ${iso(from)}::timestamptz AND ${col} < ${iso(to)}::timestamptz
      GROUP BY 1 ORDER BY 1`;
  },

  /** The alerts with the most episodes started in [from, to), with their name and state now; ties by name. */
  noisiest(from: Date, to: Date, limit: number): SQL {
    return sql`
      SELECT a.fingerprint, a.name, a.severity, a.state, top.n
      FROM (SELECT fingerprint, count(*)::int AS n FROM alert_instances
            WHERE starts_at >= ${iso(from)}::timestamptz AND starts_at < ${iso(to)}::timestamptz
            GROUP BY fingerprint ORDER BY n DESC, fingerprint LIMIT ${limit}) top
      JOIN alerts a ON a.fingerprint = top.fingerprint
      ORDER BY top.n DESC, a.name, a.fingerprint`;
  },

  failedDeliveries(from: Date, to: Date, bucketSeconds: number): SQL {
    return sql`
      SELECT date_bin(${`${bucketSeconds} seconds`}::interval, at, ${iso(from)}::timestamptz) AS at,
             count(*)::int AS n
      FROM notify_attempts
      WHERE status = 'failed' AND at >= ${iso(from)}::timestamptz AND at < ${iso(to)}::timestamptz
      GROUP BY 1 ORDER BY 1`;
  },

  deadLetters: (): SQL => sql`SELECT count(*)::int AS n FROM notify_outbox WHERE state = 'dead'`,
};

export interface Overview {
  range: OverviewRange;
  from: string;
  to: string;
  bucketSeconds: number;
  started: { at: string; severity: string; count: number }[];
  /** Buckets with at least one acknowledgement or resolution. */
  responseTimes: {
    at: string;
    mttaSeconds: number | null;
    acknowledged: number;
    mttrSeconds: number | null;
    resolved: number;
  }[];
  noisiest: { fingerprint: string; name: string; severity: string; state: string; episodes: number }[];
  agents: { online: number; offline: number };
  deliveries: { failed: { at: string; count: number }[]; failedTotal: number; deadLetters: number };
}

type Bucketed = { at: string | Date; n: number };
const at = (r: { at: string | Date }) => new Date(r.at).toISOString();

export class AlertOverview {
  private readonly held = new Map<OverviewRange, { at: number; value: Promise<Overview> }>();

  constructor(
    private readonly db: Db,
    private readonly agentCounts: () => Promise<{ online: number; offline: number }>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The overview of `range` up to now, reused for a few seconds (a failed one is not). */
  recent(range: OverviewRange): Promise<Overview> {
    const now = this.now().getTime();
    const held = this.held.get(range);
    if (held && now - held.at < FRESH_MS) return held.value;
    const value = this.compute(range, this.now());
    const entry = { at: now, value };
    this.held.set(range, entry);
    value.catch(() => this.held.get(range) === entry && this.held.delete(range));
    return value;
  }

  async compute(range: OverviewRange, to: Date): Promise<Overview> {
    const { ms, bucketSeconds } = OVERVIEW_RANGES[range];
    const from = new Date(to.getTime() - ms);
    const q = overviewQueries;
    const run = (s: SQL) => this.db.execute(s);
    const [started, acks, resolves, noisiest, failed, dead, agents] = await Promise.all([
      run(q.started(from, to, bucketSeconds)),
      run(q.meanPerBucket('acknowledged_at', from, to, bucketSeconds)),
      run(q.meanPerBucket('resolved_at', from, to, bucketSeconds)),
      run(q.noisiest(from, to, NOISIEST)),
      run(q.failedDeliveries(from, to, bucketSeconds)),
      run(q.deadLetters()),
      this.agentCounts(),
    ]);
    const failedBuckets = rowsOf<Bucketed>(failed).map((r) => ({ at: at(r), count: r.n }));
    return {
      range,
      from: iso(from),
      to: iso(to),
      bucketSeconds,
      started: rowsOf<Bucketed & { severity: string }>(started).map((r) => ({
        at: at(r),
        severity: r.severity,
        count: r.n,
      })),
      responseTimes: mergeMeans(
        rowsOf<Bucketed & { mean: string | null }>(acks),
        rowsOf<Bucketed & { mean: string | null }>(resolves),
      ),
      noisiest: rowsOf<{ fingerprint: string; name: string; severity: string; state: string; n: number }>(
        noisiest,
      ).map(({ n, ...alert }) => ({ ...alert, episodes: n })),
      agents,
      deliveries: {
        failed: failedBuckets,
        failedTotal: failedBuckets.reduce((sum, b) => sum + b.count, 0),
        deadLetters: rowsOf<{ n: number }>(dead)[0]?.n ?? 0,
      },
    };
  }
}

/** One row per bucket that has an acknowledgement or a resolution, oldest first. */
function mergeMeans(
  acks: (Bucketed & { mean: string | null })[],
  resolves: (Bucketed & { mean: string | null })[],
): Overview['responseTimes'] {
  const rows = new Map<string, Overview['responseTimes'][number]>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) {
      r = { at: key, mttaSeconds: null, acknowledged: 0, mttrSeconds: null, resolved: 0 };
      rows.set(key, r);
    }
    return r;
  };
  for (const a of acks) Object.assign(row(at(a)), { mttaSeconds: Number(a.mean), acknowledged: a.n });
  for (const r of resolves) Object.assign(row(at(r)), { mttrSeconds: Number(r.mean), resolved: r.n });
  return [...rows.values()].sort((a, b) => a.at.localeCompare(b.at));
}

const time = z.string().describe('RFC 3339, UTC');
const OverviewSchema = z.object({
  range: z.enum(['24h', '7d']),
  from: time,
  to: time,
  bucketSeconds: z.number(),
  started: z
    .array(z.object({ at: time, severity: z.string(), count: z.number() }))
    .describe('episodes started per bucket and severity'),
  responseTimes: z
    .array(
      z.object({
        at: time,
        mttaSeconds: z.number().nullable(),
        acknowledged: z.number(),
        mttrSeconds: z.number().nullable(),
        resolved: z.number(),
      }),
    )
    .describe('mean time to acknowledge and to resolve per bucket of the acknowledgement or resolution'),
  noisiest: z
    .array(
      z.object({
        fingerprint: z.string(),
        name: z.string(),
        severity: z.string(),
        state: z.string(),
        episodes: z.number(),
      }),
    )
    .describe(`the ${NOISIEST} alerts with the most episodes started in the range`),
  agents: z.object({ online: z.number(), offline: z.number() }),
  deliveries: z.object({
    failed: z
      .array(z.object({ at: time, count: z.number() }))
      .describe('failed delivery attempts per bucket'),
    failedTotal: z.number(),
    deadLetters: z.number().describe('notifications that gave up, now'),
  }),
});

export function alertOverviewRoutes(app: App, overview: AlertOverview): void {
  app.get(
    '/api/v1/alerts/overview',
    {
      config: { permission: 'alert:read' },
      schema: {
        tags: ['alerts'],
        summary: "The console's overview: alert trend, MTTA/MTTR trend, noisiest alerts, agents, deliveries",
        querystring: z.object({
          range: z.enum(['24h', '7d']).default('24h').describe('24h: hourly buckets; 7d: 6-hour buckets'),
        }),
        response: { 200: OverviewSchema },
      },
    },
    async (req) => overview.recent(req.query.range),
  );
}
