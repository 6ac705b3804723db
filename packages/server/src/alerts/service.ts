import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { pgArray } from '../db/pg-array.ts';
import { rowsOf } from '../db/rows.ts';
import { decodeCursor, encodeCursor } from '../http/list-query.ts';
import { conflict, notFound } from '../http/problem.ts';
import type { InboundAlert } from './ingest.ts';
import { type AlertEvent, type AlertState, timedOut, transition } from './lifecycle.ts';
import { type Matcher, matches } from './matchers.ts';
import { planIngest } from './plan.ts';
import { alertStore } from './store.ts';

export type UserAction = 'acknowledge' | 'unacknowledge' | 'resolve' | 'close';

export interface AlertSummary {
  fingerprint: string;
  name: string;
  state: AlertState;
  severity: string;
  source: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string | null;
  lastSeen: string;
  instanceId: string | null;
}

export interface AlertFilter {
  states?: string[];
  severities?: string[];
  /** Every label must match exactly. */
  labels?: Record<string, string>;
  source?: string;
  /** Alerts last seen in [from, to). */
  from?: Date;
  to?: Date;
  /** Case-insensitive text in the name, labels or annotations. */
  text?: string;
  cursor?: string;
  limit: number;
}

export interface IngestResult {
  received: number;
  created: number;
  changed: number;
  refreshed: number;
}

const toIso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());

/** What time and silences ask of one open alert, if anything. */
function reconcileEvent(
  row: {
    labels: Record<string, string> | string;
    state: AlertState;
    last_seen: string | Date;
    ends_at: string | Date | null;
  },
  opts: { silences: Matcher[][]; timeoutMs: number },
  now: Date,
): AlertEvent | undefined {
  if (timedOut(new Date(row.last_seen), row.ends_at ? new Date(row.ends_at) : null, now, opts.timeoutMs))
    return { kind: 'expire' };
  const labels = json(row.labels);
  const muted = opts.silences.some((m) => matches(m, labels));
  if (muted && row.state !== 'silenced') return { kind: 'silence' };
  if (!muted && row.state === 'silenced') return { kind: 'unsilence' };
  return undefined;
}

export interface SummaryRow {
  fingerprint: string;
  name: string;
  state: AlertState;
  severity: string;
  source: string;
  labels: Record<string, string> | string;
  annotations: Record<string, string> | string;
  starts_at: string | Date | null;
  last_seen: string | Date;
  current_instance_id: string | null;
}

const json = (v: Record<string, string> | string) => (typeof v === 'string' ? JSON.parse(v) : v);

export const summaryOf = (r: SummaryRow): AlertSummary => ({
  fingerprint: r.fingerprint,
  name: r.name,
  state: r.state,
  severity: r.severity,
  source: r.source,
  labels: json(r.labels),
  annotations: json(r.annotations),
  startsAt: toIso(r.starts_at),
  lastSeen: toIso(r.last_seen)!,
  instanceId: r.current_instance_id,
});

/**
 * The alert center's operations: ingestion through the lifecycle table, user actions, queries.
 * `onChange` hears the fingerprints a committed write changed (live streams, notifications).
 */
export class AlertService {
  constructor(
    private readonly db: Db,
    private readonly opts: {
      now?: () => Date;
      onChange?: (fingerprints: string[]) => void;
      /** Matchers of the silences active now. */
      silences?: () => Promise<Matcher[][]>;
      /** How long an alert without endsAt stays open without being re-sent (`ALERT_RESOLVE_TIMEOUT`). */
      timeoutMs?: number;
      /** How long a resolved alert stays resolved before it is closed (`ALERT_CLOSE_AFTER`, default 24 h). */
      closeAfterMs?: number;
    } = {},
  ) {}

  /** The periodic pass: expiries and silence starts and ends. */
  async housekeep(): Promise<number> {
    return this.reconcileAlerts();
  }

  private async reconcileAlerts(fingerprints?: string[]): Promise<number> {
    return this.reconcile({
      silences: (await this.opts.silences?.()) ?? [],
      timeoutMs: this.opts.timeoutMs ?? 6 * 3_600_000,
      ...(fingerprints ? { fingerprints } : {}),
    });
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** Persists a batch of reports; idempotent: re-sent reports only refresh what is stored. */
  async ingest(batch: InboundAlert[], actor: string): Promise<IngestResult> {
    const now = this.now();
    const all = [...new Set(batch.map((a) => a.fingerprint))].sort();
    const firing = [...new Set(batch.filter((a) => a.status === 'firing').map((a) => a.fingerprint))].sort();
    const plan = await this.db.transaction(async (tx) => {
      const stored = await alertStore.lockReported(tx, firing, all, now);
      const p = planIngest(stored, batch);
      await alertStore.apply(tx, p, now, actor);
      return p;
    });
    const touched = [...new Set([...plan.created, ...plan.changed].map((x) => x.fingerprint))];
    if (touched.length) {
      this.opts.onChange?.(touched);
      // A new or re-opened alert that a silence covers is muted right away.
      await this.reconcileAlerts(touched);
    }
    return {
      received: batch.length,
      created: plan.created.length,
      changed: plan.changed.length,
      refreshed: plan.refreshed.length,
    };
  }

  /** A user's action on an alert's current instance; refused (409) when the lifecycle does not allow it. */
  async act(fingerprint: string, action: UserAction, actor: string, note?: string): Promise<AlertSummary> {
    const outcome = await this.applyEvent(fingerprint, { kind: action } as AlertEvent, actor, note);
    if (outcome === 'missing') throw notFound(`no alert with fingerprint ${fingerprint}`);
    if (outcome !== 'applied' && outcome !== 'noop') throw conflict(outcome.rejected);
    return (await this.get(fingerprint)).alert;
  }

  /** One event on an alert's current instance, under its row lock, through the lifecycle table. */
  private async applyEvent(
    fingerprint: string,
    event: AlertEvent,
    actor: string,
    note?: string,
  ): Promise<'applied' | 'noop' | 'missing' | { rejected: string }> {
    const now = this.now();
    const result = await this.db.transaction(async (tx) => {
      const stored = (await alertStore.lockReported(tx, [], [fingerprint], now)).get(fingerprint);
      if (!stored?.current || !stored.instanceId) return 'missing' as const;
      const outcome = transition(stored.current, event);
      if (outcome.kind === 'rejected') return { rejected: outcome.reason };
      if (outcome.kind !== 'change') return 'noop' as const;
      await alertStore.changeState(
        tx,
        stored.instanceId,
        fingerprint,
        {
          from: stored.current.state,
          to: outcome.to,
          stateBeforeSilence: outcome.stateBeforeSilence ?? null,
          event: event.kind,
        },
        now,
        actor,
        note,
      );
      return 'applied' as const;
    });
    if (result === 'applied') this.opts.onChange?.([fingerprint]);
    return result;
  }

  /**
   * Time- and silence-driven changes: open alerts past their endsAt (or, without one, not
   * re-sent for `timeoutMs`) expire; alerts matched by an active silence are silenced and come
   * back when none matches. Runs after ingestion for the alerts it touched, after silence
   * changes, and periodically. Returns how many alerts changed.
   */
  async reconcile(opts: {
    silences: Matcher[][];
    timeoutMs: number;
    fingerprints?: string[];
  }): Promise<number> {
    const now = this.now();
    const only = opts.fingerprints
      ? sql`AND a.fingerprint = ANY(${pgArray(opts.fingerprints)}::text[])`
      : sql``;
    const open = rowsOf<{
      fingerprint: string;
      labels: Record<string, string> | string;
      state: AlertState;
      last_seen: string | Date;
      ends_at: string | Date | null;
    }>(
      await this.db.execute(sql`
        SELECT a.fingerprint, a.labels, i.state, i.last_seen, i.ends_at
        FROM alerts a JOIN alert_instances i ON i.id = a.current_instance_id
        WHERE i.state IN ('firing', 'acknowledged', 'silenced') ${only} ${this.candidates(opts, now)}`),
    );
    let changed = 0;
    for (const row of open) {
      const event = reconcileEvent(row, opts, now);
      if (event && (await this.applyEvent(row.fingerprint, event, 'system')) === 'applied') changed += 1;
    }
    return changed + (opts.fingerprints ? 0 : await this.closeResolved(now));
  }

  /**
   * Which open alerts a pass must look at: every one while a silence is active (matching is
   * done here, not in SQL); otherwise only the silenced ones (to bring back) and those past their
   * endsAt or timeout, so a pass over thousands of quiet alerts reads almost nothing.
   */
  private candidates(opts: { silences: Matcher[][]; timeoutMs: number }, now: Date): SQL {
    if (opts.silences.length) return sql``;
    const stale = new Date(now.getTime() - opts.timeoutMs).toISOString();
    return sql`AND (i.state = 'silenced' OR i.ends_at <= ${now.toISOString()}::timestamptz
      OR (i.ends_at IS NULL AND i.last_seen <= ${stale}::timestamptz))`;
  }

  /** Resolved alerts nobody re-opened for `closeAfterMs` are closed (filed away, never deleted). */
  private async closeResolved(now: Date): Promise<number> {
    const before = new Date(now.getTime() - (this.opts.closeAfterMs ?? 24 * 3_600_000)).toISOString();
    const stale = rowsOf<{ fingerprint: string }>(
      await this.db.execute(sql`
        SELECT a.fingerprint FROM alerts a JOIN alert_instances i ON i.id = a.current_instance_id
        WHERE i.state = 'resolved' AND i.resolved_at <= ${before}::timestamptz`),
    );
    let closed = 0;
    for (const { fingerprint } of stale)
      if ((await this.applyEvent(fingerprint, { kind: 'close' }, 'system')) === 'applied') closed += 1;
    return closed;
  }

  async list(filter: AlertFilter): Promise<{ items: AlertSummary[]; nextCursor: string | null }> {
    const where: SQL[] = [sql`true`];
    if (filter.states?.length) where.push(sql`a.state = ANY(${pgArray(filter.states)}::text[])`);
    if (filter.severities?.length) where.push(sql`a.severity = ANY(${pgArray(filter.severities)}::text[])`);
    if (filter.labels && Object.keys(filter.labels).length)
      where.push(sql`a.labels @> ${JSON.stringify(filter.labels)}::jsonb`);
    if (filter.source) where.push(sql`a.source = ${filter.source}`);
    if (filter.from) where.push(sql`a.last_seen >= ${filter.from.toISOString()}::timestamptz`);
    if (filter.to) where.push(sql`a.last_seen < ${filter.to.toISOString()}::timestamptz`);
    if (filter.text) {
      const like = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(
        sql`(a.name ILIKE ${like} OR a.labels::text ILIKE ${like} OR a.annotations::text ILIKE ${like})`,
      );
    }
    if (filter.cursor) {
      const [lastSeen, fp] = decodeCursor(filter.cursor);
      where.push(sql`(a.last_seen, a.fingerprint) < (${lastSeen}::timestamptz, ${fp})`);
    }
    const rows = rowsOf<SummaryRow>(
      await this.db.execute(sql`
        SELECT a.fingerprint, a.name, a.state, a.severity, a.source, a.labels, a.annotations,
               i.starts_at, a.last_seen, a.current_instance_id
        FROM alerts a LEFT JOIN alert_instances i ON i.id = a.current_instance_id
        WHERE a.current_instance_id IS NOT NULL AND ${sql.join(where, sql` AND `)}
        ORDER BY a.last_seen DESC, a.fingerprint DESC
        LIMIT ${filter.limit + 1}`),
    );
    const items = rows.slice(0, filter.limit).map(summaryOf);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last.lastSeen, last.fingerprint) : null,
    };
  }

  /**
   * Counts now (open alerts by state and severity), instances started and resolved per time
   * bucket by severity, and mean time to acknowledge and to resolve over [from, to).
   */
  async stats(from: Date, to: Date, bucketSeconds: number) {
    const range = sql`${from.toISOString()}::timestamptz AND ${to.toISOString()}::timestamptz`;
    const bucket = sql`${`${bucketSeconds} seconds`}::interval`;
    const origin = sql`${from.toISOString()}::timestamptz`;
    const [byState, bySeverity, started, resolved, means] = await Promise.all([
      this.db.execute(
        sql`SELECT state AS key, count(*)::int AS n FROM alerts WHERE current_instance_id IS NOT NULL GROUP BY state`,
      ),
      this.db.execute(sql`
        SELECT severity AS key, count(*)::int AS n FROM alerts
        WHERE current_instance_id IS NOT NULL AND state IN ('firing', 'acknowledged', 'silenced') GROUP BY severity`),
      this.db.execute(sql`
        SELECT date_bin(${bucket}, i.starts_at, ${origin}) AS at, a.severity, count(*)::int AS n
        FROM alert_instances i JOIN alerts a ON a.fingerprint = i.fingerprint
        WHERE i.starts_at >= ${from.toISOString()}::timestamptz AND i.starts_at < ${to.toISOString()}::timestamptz
        GROUP BY 1, 2 ORDER BY 1, 2`),
      this.db.execute(sql`
        SELECT date_bin(${bucket}, i.resolved_at, ${origin}) AS at, a.severity, count(*)::int AS n
        FROM alert_instances i JOIN alerts a ON a.fingerprint = i.fingerprint
        WHERE i.resolved_at >= ${from.toISOString()}::timestamptz AND i.resolved_at < ${to.toISOString()}::timestamptz
        GROUP BY 1, 2 ORDER BY 1, 2`),
      this.db.execute(sql`
        SELECT
          avg(extract(epoch FROM acknowledged_at - starts_at)) FILTER (WHERE acknowledged_at BETWEEN ${range}) AS mtta,
          count(*) FILTER (WHERE acknowledged_at BETWEEN ${range})::int AS acknowledged,
          avg(extract(epoch FROM resolved_at - starts_at)) FILTER (WHERE resolved_at BETWEEN ${range}) AS mttr,
          count(*) FILTER (WHERE resolved_at BETWEEN ${range})::int AS resolved
        FROM alert_instances`),
    ]);
    const counts = (r: unknown) =>
      Object.fromEntries(rowsOf<{ key: string; n: number }>(r).map((x) => [x.key, x.n]));
    const buckets = (r: unknown) =>
      rowsOf<{ at: string | Date; severity: string; n: number }>(r).map((x) => ({
        at: new Date(x.at).toISOString(),
        severity: x.severity,
        count: x.n,
      }));
    const m = rowsOf<{ mtta: string | null; mttr: string | null; acknowledged: number; resolved: number }>(
      means,
    )[0]!;
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      bucketSeconds,
      now: { byState: counts(byState), bySeverity: counts(bySeverity) },
      started: buckets(started),
      resolved: buckets(resolved),
      mttaSeconds: m.mtta === null ? null : Number(m.mtta),
      acknowledgedCount: m.acknowledged,
      mttrSeconds: m.mttr === null ? null : Number(m.mttr),
      resolvedCount: m.resolved,
    };
  }

  /** One alert with every instance and its history, newest first. */
  async get(fingerprint: string) {
    const [row] = rowsOf<SummaryRow>(
      await this.db.execute(sql`
        SELECT a.fingerprint, a.name, a.state, a.severity, a.source, a.labels, a.annotations,
               i.starts_at, a.last_seen, a.current_instance_id
        FROM alerts a LEFT JOIN alert_instances i ON i.id = a.current_instance_id
        WHERE a.fingerprint = ${fingerprint}`),
    );
    if (!row?.current_instance_id) throw notFound(`no alert with fingerprint ${fingerprint}`);
    const instances = rowsOf<Record<string, string | Date | null>>(
      await this.db.execute(sql`
        SELECT id, state, starts_at, ends_at, last_seen, acknowledged_at, acknowledged_by, resolved_at, closed_at
        FROM alert_instances WHERE fingerprint = ${fingerprint} ORDER BY starts_at DESC`),
    );
    const history = rowsOf<Record<string, string | Date | null>>(
      await this.db.execute(sql`
        SELECT instance_id, at, event, from_state, to_state, actor, note
        FROM alert_history WHERE fingerprint = ${fingerprint} ORDER BY at DESC, id DESC`),
    );
    const times = (r: Record<string, string | Date | null>, keys: string[]) =>
      Object.fromEntries(keys.map((k) => [k, toIso(r[k] as string | Date | null)]));
    return {
      alert: summaryOf(row),
      instances: instances.map((r) => ({
        id: r.id as string,
        state: r.state as AlertState,
        acknowledgedBy: r.acknowledged_by as string | null,
        ...times(r, ['starts_at', 'ends_at', 'last_seen', 'acknowledged_at', 'resolved_at', 'closed_at']),
      })),
      history: history.map((r) => ({
        instanceId: r.instance_id as string,
        at: toIso(r.at as string)!,
        event: r.event as string,
        from: r.from_state as string | null,
        to: r.to_state as string,
        actor: r.actor as string | null,
        note: r.note as string | null,
      })),
    };
  }
}
