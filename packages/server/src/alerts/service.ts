import type { SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { encodeCursor } from '../http/list-query.ts';
import { conflict, notFound } from '../http/problem.ts';
import { GroupCommit } from './group-commit.ts';
import type { InboundAlert } from './ingest.ts';
import type { AlertEvent, AlertState, EndedBy } from './lifecycle.ts';
import { timedOut } from './lifecycle.ts';
import { type Matcher, matches } from './matchers.ts';
import {
  applyEvent,
  type BatchOutcome,
  type HistoryEntry,
  type IngestPlan,
  type Instance,
  planIngest,
  type ReportBatch,
  type Settle,
} from './plan.ts';
import { type AlertFilter, alertQueries } from './queries.ts';
import { deliveryKey, RecentDeliveries } from './repeats.ts';
import { alertStore } from './store.ts';

export type { AlertFilter } from './queries.ts';

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
  /** The sender's link back to what produced the alert (a Prometheus graph, a vmalert rule). */
  generatorURL?: string | null;
}

export interface IngestResult extends BatchOutcome {
  received: number;
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
  generator_url?: string | null;
}

const toIso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
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
  generatorURL: r.generator_url ?? null,
});

// Housekeeping locks and writes this many alerts per transaction.
const PASS_BATCH = 1000;
/**
 * Ingestion transactions at a time, and the most reports one of them stores. Two keep both the
 * server and the database busy (one plans while the other's statements run); a bigger group
 * holds its row locks longer and makes every request in it wait for the slowest part.
 */
const INGEST_SLOTS = 2;
const GROUP_REPORTS = 2000;
/**
 * Conflicts with another group or replica, after which the group is stored again and then
 * sees what the other committed: a deadlock, a serialization failure, and a unique violation
 * (both created the first instance of the same new episode; `alerts` rows themselves are
 * inserted with ON CONFLICT, see `ConcurrentFirstReport`).
 */
const RETRYABLE = new Set(['40P01', '40001', '23505']);
const INGEST_ATTEMPTS = 5;
/**
 * The stats of a window ending now are served from a snapshot: fresh for 5 s, then served once
 * more while a new one is computed in the background; one unasked-for for a minute is dropped.
 * At a million alerts a day of stats reads hundreds of thousands of index entries; a console
 * polling it must not make every request pay for that.
 */
const STATS_FRESH_MS = 5_000;
const STATS_KEEP_MS = 60_000;
const DETAIL_INSTANCES = 50;
const DEFAULT_TIMEOUT_MS = 6 * 3_600_000;
const DETAIL_HISTORY = 100;
// How many of the newest alerts a text search reads before it asks the trigram index.
const TEXT_WINDOW = 2000;

interface OpenRow {
  fingerprint: string;
  labels: Record<string, string> | string;
  state: AlertState;
  last_seen: string | Date;
  ends_at: string | Date | null;
}

/** What time and silences ask of one open alert, if anything. */
function reconcileEvent(
  row: OpenRow,
  opts: { silences: Matcher[][]; timeoutMs: number },
  now: Date,
): AlertEvent | undefined {
  if (timedOut(new Date(row.last_seen), row.ends_at ? new Date(row.ends_at) : null, now, opts.timeoutMs))
    return { kind: 'expire' };
  const muted = opts.silences.some((m) => matches(m, json(row.labels)));
  if (muted && row.state !== 'silenced') return { kind: 'silence' };
  if (!muted && row.state === 'silenced') return { kind: 'unsilence' };
  return undefined;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const sqlState = (err: unknown) =>
  (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;

/**
 * The alert center's operations: ingestion of source reports per episode, user actions and
 * housekeeping through the lifecycle table, queries. `onChange` hears the fingerprints a
 * committed write changed (live streams, notifications).
 */
type Stats = Awaited<ReturnType<AlertService['stats']>>;

interface StatsSnapshot {
  at: number;
  value: Promise<Stats>;
  refreshing: boolean;
}

export class AlertService {
  private readonly snapshots = new Map<string, StatsSnapshot>();
  private readonly recent = new RecentDeliveries<IngestResult>(() => this.now().getTime());
  private readonly groups = new GroupCommit<ReportBatch, IngestResult>((b) => this.storeGroup(b), {
    slots: INGEST_SLOTS,
    maxWeight: GROUP_REPORTS,
    weight: (b) => b.reports.length,
    keys: (b) => b.reports.map((r) => r.fingerprint),
  });

  constructor(
    private readonly db: Db,
    private readonly opts: {
      now?: () => Date;
      onChange?: (fingerprints: string[]) => void;
      /** Hears every committed batch (metrics). */
      onIngest?: (batch: InboundAlert[], plan: IngestPlan, receivedAt: Date) => void;
      /** Hears every batch answered as a copy of one delivered moments before (metrics). */
      onRepeat?: (batch: InboundAlert[]) => void;
      /** Matchers of the silences active now. */
      silences?: () => Promise<Matcher[][]>;
      /** How long an alert without endsAt stays open without being re-sent (`ALERT_RESOLVE_TIMEOUT`). */
      timeoutMs?: number;
      /** How long a resolved alert stays resolved before it is closed (`ALERT_CLOSE_AFTER`, default 24 h). */
      closeAfterMs?: number;
    } = {},
  ) {}

  /** The periodic pass: expiries, silence starts and ends, closing. Returns how many alerts changed. */
  async housekeep(): Promise<number> {
    const reconciled = await this.reconcile({
      silences: (await this.opts.silences?.()) ?? [],
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    return reconciled + (await this.closeResolved());
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /**
   * Persists a batch of source reports, each on its own episode, and answers once it is
   * committed. Idempotent: the same reports again add no instance, no history entry and so no
   * notification; a copy of a batch delivered moments ago (an HA pair, a retry) is answered from
   * the original's commit without a transaction of its own. Batches that arrive while others are
   * being stored are stored together.
   */
  ingest(batch: InboundAlert[], actor: string): Promise<IngestResult> {
    const key = deliveryKey(batch);
    const original = key ? this.recent.repeatOf(key) : undefined;
    if (original)
      return original.then(
        (r) => {
          this.opts.onRepeat?.(batch);
          return {
            received: batch.length,
            created: 0,
            changed: 0,
            refreshed: r.created + r.changed + r.refreshed,
          };
        },
        // The original was not stored: this copy is stored on its own.
        () => this.ingest(batch, actor),
      );
    const result = this.groups.submit({ reports: batch, actor });
    if (key) this.recent.remember(key, result);
    return result;
  }

  /** One transaction for the group; if it fails, each batch alone, so only a bad one fails. */
  private async storeGroup(batches: ReportBatch[]): Promise<PromiseSettledResult<IngestResult>[]> {
    try {
      return (await this.storeTogether(batches)).map((value) => ({ status: 'fulfilled', value }));
    } catch (err) {
      if (batches.length === 1) return [{ status: 'rejected', reason: err }];
      const alone: PromiseSettledResult<IngestResult>[] = [];
      for (const b of batches)
        alone.push(
          await this.storeTogether([b]).then(
            ([value]) => ({ status: 'fulfilled', value: value! }) as const,
            (reason) => ({ status: 'rejected', reason }) as const,
          ),
        );
      return alone;
    }
  }

  private async storeTogether(batches: ReportBatch[]): Promise<IngestResult[]> {
    const reports = batches.flatMap((b) => b.reports);
    for (let attempt = 1; ; attempt++) {
      const now = this.now();
      try {
        // Read before the transaction: a new or re-opened alert that a silence covers is muted
        // in the same write.
        const settle = this.settler(await this.opts.silences?.(), now);
        const plan = await this.db.transaction(async (tx) => {
          const stored = await alertStore.lockReported(tx, reports);
          const p = planIngest(stored, batches, now, { settle });
          await alertStore.apply(tx, p, now, new Set(stored.keys()));
          return p;
        });
        this.opts.onIngest?.(reports, plan, now);
        const touched = [...new Set(plan.history.map((h) => h.fingerprint))];
        if (touched.length) this.opts.onChange?.(touched);
        return plan.outcomes.map((o, i) => ({ received: batches[i]!.reports.length, ...o }));
      } catch (err) {
        if (attempt >= INGEST_ATTEMPTS || !RETRYABLE.has(sqlState(err) ?? '')) throw err;
      }
    }
  }

  private settler(silences: Matcher[][] = [], now: Date): Settle {
    const opts = { silences, timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS };
    return (current, labels) =>
      reconcileEvent(
        {
          fingerprint: current.fingerprint,
          labels,
          state: current.state,
          last_seen: now,
          ends_at: current.endsAt,
        },
        opts,
        now,
      );
  }

  /** A user's action on an alert's current instance; refused (409) when the lifecycle does not allow it. */
  async act(fingerprint: string, action: UserAction, actor: string, note?: string): Promise<AlertSummary> {
    const outcome = await this.db.transaction(async (tx) => {
      const current = (await alertStore.lockCurrent(tx, [fingerprint])).get(fingerprint);
      if (!current) return 'missing' as const;
      const applied = applyEvent(current, { kind: action }, this.now(), actor);
      if (applied.rejected) return { rejected: applied.rejected };
      if (applied.entry) await alertStore.write(tx, [applied.instance], [applied.entry], this.now(), note);
      return applied.entry ? ('applied' as const) : ('noop' as const);
    });
    if (outcome === 'missing') throw notFound(`no alert with fingerprint ${fingerprint}`);
    if (typeof outcome === 'object') throw conflict(outcome.rejected);
    if (outcome === 'applied') this.opts.onChange?.([fingerprint]);
    return (await this.summary(fingerprint))!;
  }

  /**
   * Time- and silence-driven changes: open alerts past their endsAt (or, without one, not
   * re-sent for `timeoutMs`) expire; alerts matched by an active silence are silenced and come
   * back when none matches. Runs after ingestion for the alerts it touched, after silence
   * changes, and periodically. Set-based: a page of alerts is locked, decided and written in
   * one transaction. Returns how many alerts changed.
   */
  async reconcile(opts: {
    silences: Matcher[][];
    timeoutMs: number;
    fingerprints?: string[];
  }): Promise<number> {
    const now = this.now();
    let changed = 0;
    for (let after = '', more = true; more; ) {
      const page = await this.db.transaction(async (tx) => {
        const rows = rowsOf<OpenRow>(
          await tx.execute(
            alertQueries.openCandidates({
              now,
              timeoutMs: opts.timeoutMs,
              anySilence: opts.silences.length > 0,
              ...(opts.fingerprints ? { fingerprints: opts.fingerprints } : {}),
              after,
              limit: PASS_BATCH,
            }),
          ),
        );
        const events = new Map<string, AlertEvent>();
        for (const row of rows) {
          const event = reconcileEvent(row, opts, now);
          if (event) events.set(row.fingerprint, event);
        }
        return { rows, changed: await this.applyAll(tx, events, now) };
      });
      changed += page.changed.length;
      if (page.changed.length) this.opts.onChange?.(page.changed);
      more = page.rows.length === PASS_BATCH;
      after = page.rows.at(-1)?.fingerprint ?? after;
    }
    return changed;
  }

  /** Resolved alerts nobody re-opened for `closeAfterMs` are closed (filed away). */
  private async closeResolved(): Promise<number> {
    const now = this.now();
    const before = new Date(now.getTime() - (this.opts.closeAfterMs ?? 24 * 3_600_000));
    let closed = 0;
    for (let more = true; more; ) {
      const page = await this.db.transaction(async (tx) => {
        const due = rowsOf<{ fingerprint: string }>(
          await tx.execute(alertQueries.dueToClose(before, PASS_BATCH)),
        );
        const events = new Map<string, AlertEvent>(due.map((d) => [d.fingerprint, { kind: 'close' }]));
        return { due: due.length, changed: await this.applyAll(tx, events, now) };
      });
      closed += page.changed.length;
      if (page.changed.length) this.opts.onChange?.(page.changed);
      more = page.due === PASS_BATCH && page.changed.length > 0;
    }
    return closed;
  }

  /** System events on alerts' current instances, written together; the fingerprints changed. */
  private async applyAll(tx: Tx, events: Map<string, AlertEvent>, now: Date): Promise<string[]> {
    if (!events.size) return [];
    const current = await alertStore.lockCurrent(tx, [...events.keys()]);
    const instances: Instance[] = [];
    const entries: HistoryEntry[] = [];
    for (const [fingerprint, event] of events) {
      const inst = current.get(fingerprint);
      const applied = inst && applyEvent(inst, event, now, 'system');
      if (!applied?.entry) continue;
      instances.push(applied.instance);
      entries.push(applied.entry);
    }
    await alertStore.write(tx, instances, entries, now);
    return entries.map((e) => e.fingerprint);
  }

  async list(filter: AlertFilter): Promise<{ items: AlertSummary[]; nextCursor: string | null }> {
    let rows = filter.text
      ? rowsOf<SummaryRow>(await this.db.execute(alertQueries.list(filter, TEXT_WINDOW)))
      : [];
    if (rows.length <= filter.limit)
      rows = rowsOf<SummaryRow>(await this.db.execute(alertQueries.list(filter)));
    const items = rows.slice(0, filter.limit).map(summaryOf);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last.lastSeen, last.fingerprint) : null,
    };
  }

  /**
   * Counts now (alerts by state other than closed, open ones by severity), instances started
   * and resolved per time bucket by severity, and mean time to acknowledge and to resolve over
   * [from, to). Resolve times are the sources' own where they sent one.
   */
  async stats(from: Date, to: Date, bucketSeconds: number) {
    const q = alertQueries;
    const [byState, bySeverity, started, resolved, mtta, mttr] = await Promise.all(
      [
        q.byState(),
        q.openBySeverity(),
        q.buckets('starts_at', from, to, bucketSeconds),
        q.buckets('resolved_at', from, to, bucketSeconds),
        q.meanSince('acknowledged_at', from, to),
        q.meanSince('resolved_at', from, to),
      ].map((s: SQL) => this.db.execute(s)),
    );
    const counts = (r: unknown) =>
      Object.fromEntries(rowsOf<{ key: string; n: number }>(r).map((x) => [x.key, x.n]));
    const buckets = (r: unknown) =>
      rowsOf<{ at: string | Date; severity: string; n: number }>(r).map((x) => ({
        at: new Date(x.at).toISOString(),
        severity: x.severity,
        count: x.n,
      }));
    const mean = (r: unknown) => rowsOf<{ mean: string | null; n: number }>(r)[0]!;
    const [ack, res] = [mean(mtta), mean(mttr)];
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      bucketSeconds,
      now: { byState: counts(byState), bySeverity: counts(bySeverity) },
      started: buckets(started),
      resolved: buckets(resolved),
      mttaSeconds: ack.mean === null ? null : Number(ack.mean),
      acknowledgedCount: ack.n,
      mttrSeconds: res.mean === null ? null : Number(res.mean),
      resolvedCount: res.n,
    };
  }

  /** The stats of the last `windowMs`, from a snapshot at most a few seconds old (`to` says when). */
  async recentStats(windowMs: number, bucketSeconds: number): Promise<Stats> {
    const key = `${windowMs}/${bucketSeconds}`;
    const now = this.now().getTime();
    const compute = () => {
      const to = this.now();
      return this.stats(new Date(to.getTime() - windowMs), to, bucketSeconds);
    };
    const held = this.snapshots.get(key);
    if (!held || now - held.at >= STATS_KEEP_MS) {
      const fresh: StatsSnapshot = { at: now, value: compute(), refreshing: false };
      this.snapshots.set(key, fresh);
      // A failed computation is not kept: the next request tries again.
      fresh.value.catch(() => this.snapshots.get(key) === fresh && this.snapshots.delete(key));
      return fresh.value;
    }
    if (now - held.at >= STATS_FRESH_MS && !held.refreshing) {
      held.refreshing = true;
      const next = compute();
      next.then(
        () => this.snapshots.set(key, { at: this.now().getTime(), value: next, refreshing: false }),
        () => {
          held.refreshing = false;
        },
      );
    }
    return held.value;
  }

  private async summary(fingerprint: string): Promise<AlertSummary | null> {
    const [row] = rowsOf<SummaryRow>(await this.db.execute(alertQueries.summary(fingerprint)));
    return row?.current_instance_id ? summaryOf(row) : null;
  }

  /** One alert with its newest instances and history entries; older ones page with the cursors. */
  async get(fingerprint: string) {
    const alert = await this.summary(fingerprint);
    if (!alert) throw notFound(`no alert with fingerprint ${fingerprint}`);
    const [instances, history] = await Promise.all([
      this.instances(fingerprint, DETAIL_INSTANCES),
      this.history(fingerprint, DETAIL_HISTORY),
    ]);
    return {
      alert,
      instances: instances.items,
      instancesCursor: instances.nextCursor,
      history: history.items,
      historyCursor: history.nextCursor,
    };
  }

  /** An alert's instances, newest episode first. */
  async instances(fingerprint: string, limit: number, cursor?: string) {
    const rows = rowsOf<Record<string, string | Date | null>>(
      await this.db.execute(alertQueries.instances(fingerprint, limit, cursor)),
    );
    const times = (r: Record<string, string | Date | null>, keys: string[]) =>
      Object.fromEntries(keys.map((k) => [k, toIso(r[k] as string | Date | null)]));
    const items = rows.slice(0, limit).map((r) => ({
      id: r.id as string,
      state: r.state as AlertState,
      endedBy: r.ended_by as EndedBy | null,
      acknowledgedBy: r.acknowledged_by as string | null,
      generatorURL: r.generator_url as string | null,
      ...times(r, ['starts_at', 'ends_at', 'last_seen', 'acknowledged_at', 'resolved_at', 'closed_at']),
    }));
    const last = rows[limit - 1];
    return {
      items,
      nextCursor:
        rows.length > limit && last ? encodeCursor(toIso(last.starts_at as Date)!, last.id as string) : null,
    };
  }

  /** An alert's history, newest first. */
  async history(fingerprint: string, limit: number, cursor?: string) {
    const rows = rowsOf<Record<string, string | Date | null>>(
      await this.db.execute(alertQueries.history(fingerprint, limit, cursor)),
    );
    const items = rows.slice(0, limit).map((r) => ({
      id: String(r.id),
      instanceId: r.instance_id as string,
      at: toIso(r.at as string)!,
      event: r.event as string,
      from: r.from_state as string | null,
      to: r.to_state as string,
      actor: r.actor as string | null,
      note: r.note as string | null,
    }));
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.id) : null };
  }
}
