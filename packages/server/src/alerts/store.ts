import { type SQL, sql } from 'drizzle-orm';
import { type Db, PREPARED } from '../db/database.ts';
import { pgArray } from '../db/pg-array.ts';
import { rowsOf } from '../db/rows.ts';
import { normaliseSeverity } from './ingest.ts';
import type { AlertState, EndedBy, OpenState } from './lifecycle.ts';
import type { AlertRow, HistoryEntry, IngestPlan, Instance, Stored } from './plan.ts';

/** A transaction or the database: the store runs the same statements on either. */
type Tx = Pick<Db, 'execute'>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const date = (v: string | Date | null) => (v === null ? null : new Date(v));

/**
 * How stale `last_seen` may be before a re-send with nothing new rewrites it. Every index of
 * the alert list starts with last_seen, so moving it writes a new row version and an entry in
 * each of them (the trigram and label indexes too); Alertmanager pairs and vmalert re-send the
 * same alerts many times a minute. Expiry works in hours; the list's order is exact to this.
 */
const SEEN_PRECISION_MS = 10_000;

/** A column written from a list of rows in one statement: its name, SQL type and value. */
type Column<T> = [name: string, type: string, value: (row: T) => string | null];

/** `unnest(arrays…) AS v(names…)`: a whole list of rows as one parameter per column. */
function unnest<T>(rows: T[], columns: Column<T>[]): SQL {
  const arrays = columns.map(([, type, value]) => sql`${pgArray(rows.map(value))}::${sql.raw(type)}[]`);
  return sql`unnest(${sql.join(arrays, sql`, `)}) AS v(${sql.raw(columns.map(([name]) => name).join(', '))})`;
}

const INSTANCE: Column<Instance>[] = [
  ['id', 'uuid', (i) => i.id],
  ['fingerprint', 'text', (i) => i.fingerprint],
  ['starts_at', 'timestamptz', (i) => iso(i.startsAt)],
  ['severity', 'text', (i) => i.severity],
  ['state', 'text', (i) => i.state],
  ['ended_by', 'text', (i) => i.endedBy],
  ['state_before_silence', 'text', (i) => i.stateBeforeSilence],
  ['ends_at', 'timestamptz', (i) => iso(i.endsAt)],
  ['resolved_at', 'timestamptz', (i) => iso(i.resolvedAt)],
  ['acknowledged_at', 'timestamptz', (i) => iso(i.acknowledgedAt)],
  ['acknowledged_by', 'text', (i) => i.acknowledgedBy],
  ['closed_at', 'timestamptz', (i) => iso(i.closedAt)],
  ['generator_url', 'text', (i) => i.generatorURL],
];
const MUTABLE = INSTANCE.slice(4).map(([name]) => name);

const HISTORY: Column<HistoryEntry>[] = [
  ['instance_id', 'uuid', (h) => h.instanceId],
  ['fingerprint', 'text', (h) => h.fingerprint],
  ['event', 'text', (h) => h.event],
  ['from_state', 'text', (h) => h.from],
  ['to_state', 'text', (h) => h.to],
  ['actor', 'text', (h) => h.actor],
];

const ALERT: Column<AlertRow>[] = [
  ['fp', 'text', (r) => r.fingerprint],
  ['state', 'text', (r) => r.state],
  ['iid', 'uuid', (r) => r.instanceId],
  ['name', 'text', (r) => r.details?.name ?? null],
  ['labels', 'jsonb', (r) => (r.details ? JSON.stringify(r.details.labels) : null)],
  ['annotations', 'jsonb', (r) => (r.details ? JSON.stringify(r.details.annotations) : null)],
  ['severity', 'text', (r) => r.details?.severity ?? null],
  ['source', 'text', (r) => r.details?.source ?? null],
];

interface InstanceRow {
  id: string;
  fingerprint: string;
  starts_at: string | Date;
  severity: string | null;
  state: AlertState;
  ended_by: EndedBy | null;
  state_before_silence: OpenState | null;
  ends_at: string | Date | null;
  resolved_at: string | Date | null;
  acknowledged_at: string | Date | null;
  acknowledged_by: string | null;
  closed_at: string | Date | null;
  generator_url: string | null;
}

const instanceOf = (r: InstanceRow): Instance => ({
  id: r.id,
  fingerprint: r.fingerprint,
  startsAt: new Date(r.starts_at),
  severity: normaliseSeverity(r.severity ?? undefined),
  state: r.state,
  endedBy: r.ended_by,
  stateBeforeSilence: r.state_before_silence,
  endsAt: date(r.ends_at),
  resolvedAt: date(r.resolved_at),
  acknowledgedAt: date(r.acknowledged_at),
  acknowledgedBy: r.acknowledged_by,
  closedAt: date(r.closed_at),
  generatorURL: r.generator_url,
});

const INSTANCE_FIELDS = sql.raw(INSTANCE.map(([name]) => `i.${name}`).join(', '));

const historyInsert = (history: HistoryEntry[], now: Date, note?: string) => sql`
  INSERT INTO alert_history (instance_id, fingerprint, event, from_state, to_state, actor, at, note)
  SELECT v.*, ${iso(now)}::timestamptz, ${note ?? null} FROM ${unnest(history, HISTORY)}`;

/**
 * Data-modifying statements as one, so they cost one round trip; nothing when there are none.
 * Answers how many rows the write at index `count` returned (0 without one).
 */
async function together(tx: Tx, writes: SQL[], count = -1): Promise<number> {
  if (!writes.length) return 0;
  const ctes = writes.map((w, n) => sql`${sql.raw(`w${n}`)} AS (${w})`);
  const tail = count >= 0 ? sql.raw(`(SELECT count(*) FROM w${count})::int AS n`) : sql.raw('0 AS n');
  const [row] = rowsOf<{ n: number }>(
    await tx.execute(sql`${sql.raw(PREPARED)}WITH ${sql.join(ctes, sql`, `)} SELECT ${tail}`),
  );
  return row?.n ?? 0;
}

/**
 * Two groups reported the same new alert at once and the other committed first: the whole
 * group is stored again (a serialization failure's SQLSTATE, so ingestion retries it), and then
 * finds the alert and locks it.
 */
export class ConcurrentFirstReport extends Error {
  readonly code = '40001';
  constructor(n: number) {
    super(`${n} alert(s) were first reported by another request at the same time`);
  }
}

/**
 * The alert tables. Every write is set-based: one statement per kind of write for a whole
 * batch, so a webhook of a thousand alerts costs a handful of statements, not a thousand.
 */
export const alertStore = {
  /**
   * Locks every reported alert's row that exists (in one order, so concurrent replicas
   * ingesting the same group serialise per alert instead of deadlocking) and reads its current
   * instance and the instances of the reported episodes, in one call (`alert_ingest_lock`).
   * Alerts never seen are absent from the answer: `apply` inserts them.
   * NO KEY UPDATE, as the fingerprint never changes: the notification router's inserts of group
   * members take KEY SHARE locks on the same rows in their own order, which a FOR UPDATE
   * conflicts with (a deadlock, found by bench:server), and NO KEY UPDATE does not.
   */
  async lockReported(
    tx: Tx,
    reported: { fingerprint: string; startsAt: Date | null }[],
  ): Promise<Map<string, Stored>> {
    const fps = [...new Set(reported.map((r) => r.fingerprint))].sort();
    const episodes = reported.filter((r) => r.startsAt !== null);
    const rows = rowsOf<InstanceRow & { locked: boolean; current_instance_id: string | null }>(
      await tx.execute(sql`${sql.raw(PREPARED)}
        SELECT * FROM alert_ingest_lock(${pgArray(fps)}::text[], ${pgArray(episodes.map((e) => e.fingerprint))}::text[],
          ${pgArray(episodes.map((e) => iso(e.startsAt)))}::timestamptz[])`),
    );
    const stored = new Map<string, Stored>();
    for (const r of rows)
      if (r.locked)
        stored.set(r.fingerprint, {
          fingerprint: r.fingerprint,
          currentId: r.current_instance_id,
          instances: [],
        });
    for (const r of rows) if (!r.locked) stored.get(r.fingerprint)?.instances.push(instanceOf(r));
    return stored;
  },

  /** Locks alerts' rows and reads their current instances (user actions, housekeeping). */
  async lockCurrent(tx: Tx, fingerprints: string[]): Promise<Map<string, Instance>> {
    const rows = rowsOf<InstanceRow>(
      await tx.execute(sql`
        SELECT ${INSTANCE_FIELDS} FROM alerts a JOIN alert_instances i ON i.id = a.current_instance_id
        WHERE a.fingerprint = ANY(${pgArray([...fingerprints].sort())}::text[])
        ORDER BY a.fingerprint FOR NO KEY UPDATE OF a`),
    );
    return new Map(rows.map((r) => [r.fingerprint, instanceOf(r)]));
  },

  /**
   * Writes an ingestion plan in one statement: every write is a data-modifying CTE, so a batch
   * costs one round trip whatever it holds. The CTEs see the same snapshot, so no two of them
   * touch one row: reported instances whose values change take their last_seen in the same
   * update, and the alert rows (their state included) are written once. Foreign keys are
   * checked at the end of the statement, when the new instances exist.
   */
  async apply(tx: Tx, plan: IngestPlan, now: Date, existing: ReadonlySet<string>): Promise<void> {
    const ts = iso(now);
    const stale = iso(new Date(now.getTime() - SEEN_PRECISION_MS));
    const rewritten = new Set([...plan.created, ...plan.updated].map((i) => i.id));
    const seenOnly = plan.seen.filter((id) => !rewritten.has(id));
    const writes: SQL[] = [];
    if (plan.created.length)
      writes.push(sql`
        INSERT INTO alert_instances (${sql.raw(INSTANCE.map(([n]) => n).join(', '))}, last_seen)
        SELECT v.*, ${ts}::timestamptz FROM ${unnest(plan.created, INSTANCE)}`);
    if (plan.updated.length)
      writes.push(sql`
        UPDATE alert_instances i SET ${sql.raw(MUTABLE.map((n) => `${n} = v.${n}`).join(', '))},
          last_seen = CASE WHEN i.id = ANY(${pgArray(plan.seen)}::uuid[]) THEN ${ts}::timestamptz ELSE i.last_seen END
        FROM ${unnest(plan.updated, INSTANCE)}
        WHERE i.id = v.id`);
    if (seenOnly.length)
      writes.push(sql`
        UPDATE alert_instances SET last_seen = ${ts}::timestamptz
        WHERE id = ANY(${pgArray(seenOnly)}::uuid[]) AND last_seen < ${stale}::timestamptz`);
    if (plan.history.length) writes.push(historyInsert(plan.history, now));
    const fresh = plan.alerts.filter((a) => !existing.has(a.fingerprint));
    const known = plan.alerts.filter((a) => existing.has(a.fingerprint));
    // Written whole at once (not a placeholder then an update): each write of an alert's row
    // costs an entry in every one of its indexes, two of them GIN.
    const freshAt = fresh.length ? writes.length : -1;
    if (fresh.length)
      writes.push(sql`
        INSERT INTO alerts (fingerprint, name, labels, annotations, severity, source, state, current_instance_id,
                            first_seen, last_seen)
        SELECT v.fp, COALESCE(v.name, ''), COALESCE(v.labels, '{}'), COALESCE(v.annotations, '{}'),
               COALESCE(v.severity, 'warning'), COALESCE(v.source, ''), v.state, v.iid, ${ts}::timestamptz, ${ts}::timestamptz
        FROM ${unnest(fresh, ALERT)}
        ON CONFLICT (fingerprint) DO NOTHING
        RETURNING 1`);
    if (known.length)
      writes.push(sql`
        UPDATE alerts a SET state = v.state, current_instance_id = v.iid, last_seen = ${ts}::timestamptz,
          name = COALESCE(v.name, a.name), labels = COALESCE(v.labels, a.labels),
          annotations = COALESCE(v.annotations, a.annotations), severity = COALESCE(v.severity, a.severity),
          source = COALESCE(v.source, a.source)
        FROM ${unnest(known, ALERT)}
        WHERE a.fingerprint = v.fp AND (a.last_seen < ${stale}::timestamptz
          OR (a.state, a.current_instance_id) IS DISTINCT FROM (v.state, v.iid)
          OR (v.name IS NOT NULL AND (a.name, a.labels, a.annotations, a.severity, a.source)
              IS DISTINCT FROM (v.name, v.labels, v.annotations, v.severity, v.source)))`);
    const inserted = await together(tx, writes, freshAt);
    // Another transaction created one of these alerts since the lock: this plan did not see it.
    if (inserted < fresh.length) throw new ConcurrentFirstReport(fresh.length - inserted);
    if (plan.backfilled.length) await this.recomputeSuperseded(tx, plan.backfilled);
  },

  /**
   * Changed instances and their history entries, and the state of the alerts whose current
   * instance changed. `note` goes on every entry (a user's action has one entry).
   */
  async write(
    tx: Tx,
    instances: Instance[],
    history: HistoryEntry[],
    now: Date,
    note?: string,
  ): Promise<void> {
    const writes: SQL[] = [];
    if (instances.length)
      writes.push(
        sql`
        UPDATE alert_instances i SET ${sql.raw(MUTABLE.map((n) => `${n} = v.${n}`).join(', '))}
        FROM ${unnest(instances, INSTANCE)}
        WHERE i.id = v.id`,
        sql`
        UPDATE alerts a SET state = v.state
        FROM ${unnest(instances, INSTANCE)}
        WHERE a.current_instance_id = v.id AND a.state <> v.state`,
      );
    if (history.length) writes.push(historyInsert(history, now, note));
    await together(tx, writes);
  },

  /**
   * A superseded episode ended when the next newer one began. When an older episode is heard
   * of late, the episodes around it get their end from what is stored, not from the order
   * in which they arrived.
   */
  async recomputeSuperseded(tx: Tx, fingerprints: string[]): Promise<void> {
    await tx.execute(sql`
      UPDATE alert_instances i SET resolved_at = n.next
      FROM (
        SELECT s.id, (SELECT min(j.starts_at) FROM alert_instances j
                      WHERE j.fingerprint = s.fingerprint AND j.starts_at > s.starts_at) AS next
        FROM alert_instances s
        WHERE s.fingerprint = ANY(${pgArray(fingerprints)}::text[]) AND s.ended_by = 'superseded'
      ) n
      WHERE i.id = n.id AND n.next IS NOT NULL AND i.resolved_at IS DISTINCT FROM n.next`);
  },
};
