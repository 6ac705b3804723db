import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { pgArray } from '../db/pg-array.ts';
import { rowsOf } from '../db/rows.ts';
import type { AlertState } from './lifecycle.ts';
import type { IngestPlan, Stored } from './plan.ts';

/** A transaction or the database: the store runs the same statements on either. */
type Tx = Pick<Db, 'execute'>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The alert tables. Ingestion is set-based: one statement per kind of write for a whole batch,
 * so a webhook of ten alerts costs about as much as one.
 */
export const alertStore = {
  /**
   * Creates the rows of fingerprints that fire for the first time, then locks every reported
   * fingerprint's row and reads its current instance, so concurrent replicas ingesting the
   * same group serialise per alert.
   */
  async lockReported(tx: Tx, firing: string[], all: string[], now: Date): Promise<Map<string, Stored>> {
    if (firing.length)
      await tx.execute(sql`
        INSERT INTO alerts (fingerprint, name, labels, annotations, severity, source, state, first_seen, last_seen)
        SELECT fp, '', '{}'::jsonb, '{}'::jsonb, 'warning', '', 'firing', ${iso(now)}::timestamptz, ${iso(now)}::timestamptz
        FROM unnest(${pgArray(firing)}::text[]) AS fp
        ON CONFLICT (fingerprint) DO NOTHING`);
    const rows = rowsOf<{
      fingerprint: string;
      instance_id: string | null;
      state: AlertState | null;
      starts_at: string | Date | null;
      state_before_silence: 'firing' | 'acknowledged' | null;
    }>(
      await tx.execute(sql`
        SELECT a.fingerprint, i.id AS instance_id, i.state, i.starts_at, i.state_before_silence
        FROM alerts a LEFT JOIN alert_instances i ON i.id = a.current_instance_id
        WHERE a.fingerprint = ANY(${pgArray(all)}::text[])
        ORDER BY a.fingerprint
        FOR UPDATE OF a`),
    );
    return new Map(
      rows.map((r) => [
        r.fingerprint,
        {
          fingerprint: r.fingerprint,
          instanceId: r.instance_id,
          current:
            r.instance_id && r.state && r.starts_at
              ? {
                  state: r.state,
                  startsAt: new Date(r.starts_at),
                  ...(r.state_before_silence ? { stateBeforeSilence: r.state_before_silence } : {}),
                }
              : null,
        },
      ]),
    );
  },

  /** Writes a plan: new instances, state changes with their history, refreshes, alert rows. */
  async apply(tx: Tx, plan: IngestPlan, now: Date, actor: string): Promise<void> {
    const ts = iso(now);
    if (plan.created.length) {
      await tx.execute(sql`
        INSERT INTO alert_instances (id, fingerprint, starts_at, ends_at, state, last_seen)
        SELECT id, fp, starts, ends, 'firing', ${ts}::timestamptz
        FROM unnest(${pgArray(plan.created.map((c) => c.id))}::uuid[], ${pgArray(plan.created.map((c) => c.fingerprint))}::text[],
                    ${pgArray(plan.created.map((c) => iso(c.startsAt)))}::timestamptz[], ${pgArray(plan.created.map((c) => iso(c.endsAt)))}::timestamptz[])
             AS v(id, fp, starts, ends)`);
      await tx.execute(sql`
        INSERT INTO alert_history (instance_id, fingerprint, at, event, from_state, to_state, actor)
        SELECT id, fp, ${ts}::timestamptz, 'fire', NULL, 'firing', ${actor}
        FROM unnest(${pgArray(plan.created.map((c) => c.id))}::uuid[], ${pgArray(plan.created.map((c) => c.fingerprint))}::text[]) AS v(id, fp)`);
    }
    for (const c of plan.changed) await this.changeState(tx, c.instanceId, c.fingerprint, c, now, actor);
    if (plan.refreshed.length)
      await tx.execute(sql`
        UPDATE alert_instances i SET last_seen = ${ts}::timestamptz, ends_at = v.ends
        FROM unnest(${pgArray(plan.refreshed.map((r) => r.instanceId))}::uuid[], ${pgArray(plan.refreshed.map((r) => iso(r.endsAt)))}::timestamptz[]) AS v(id, ends)
        WHERE i.id = v.id`);
    if (plan.alerts.length)
      await tx.execute(sql`
        UPDATE alerts a SET name = v.name, labels = v.labels::jsonb, annotations = v.annotations::jsonb,
          severity = v.severity, source = v.source, state = v.state, current_instance_id = v.iid,
          last_seen = ${ts}::timestamptz
        FROM unnest(${pgArray(plan.alerts.map((r) => r.fingerprint))}::text[], ${pgArray(plan.alerts.map((r) => r.name))}::text[],
                    ${pgArray(plan.alerts.map((r) => JSON.stringify(r.labels)))}::text[], ${pgArray(plan.alerts.map((r) => JSON.stringify(r.annotations)))}::text[],
                    ${pgArray(plan.alerts.map((r) => r.severity))}::text[], ${pgArray(plan.alerts.map((r) => r.source))}::text[],
                    ${pgArray(plan.alerts.map((r) => r.state))}::text[], ${pgArray(plan.alerts.map((r) => r.instanceId))}::uuid[])
             AS v(fp, name, labels, annotations, severity, source, state, iid)
        WHERE a.fingerprint = v.fp`);
  },

  /** One instance's state change, its timestamps, and its history entry. */
  async changeState(
    tx: Tx,
    instanceId: string,
    fingerprint: string,
    c: {
      from: AlertState;
      to: AlertState;
      stateBeforeSilence: string | null;
      event: string;
      endsAt?: Date | null;
    },
    now: Date,
    actor: string,
    note?: string,
  ): Promise<void> {
    const ts = iso(now);
    await tx.execute(sql`
      UPDATE alert_instances SET state = ${c.to}, state_before_silence = ${c.stateBeforeSilence},
        last_seen = ${ts}::timestamptz,
        ends_at = COALESCE(${c.endsAt === undefined ? null : iso(c.endsAt)}::timestamptz, ends_at),
        acknowledged_at = CASE WHEN ${c.to} = 'acknowledged' THEN ${ts}::timestamptz
                               WHEN ${c.event} = 'unacknowledge' THEN NULL ELSE acknowledged_at END,
        acknowledged_by = CASE WHEN ${c.to} = 'acknowledged' THEN ${actor}
                               WHEN ${c.event} = 'unacknowledge' THEN NULL ELSE acknowledged_by END,
        resolved_at = CASE WHEN ${c.to} = 'resolved' THEN ${ts}::timestamptz
                           WHEN ${c.to} IN ('firing', 'acknowledged', 'silenced') THEN NULL ELSE resolved_at END,
        closed_at = CASE WHEN ${c.to} = 'closed' THEN ${ts}::timestamptz ELSE NULL END
      WHERE id = ${instanceId}::uuid`);
    await tx.execute(sql`
      INSERT INTO alert_history (instance_id, fingerprint, at, event, from_state, to_state, actor, note)
      VALUES (${instanceId}::uuid, ${fingerprint}, ${ts}::timestamptz, ${c.event}, ${c.from}, ${c.to}, ${actor}, ${note ?? null})`);
    await tx.execute(sql`
      UPDATE alerts SET state = ${c.to}, last_seen = GREATEST(last_seen, ${ts}::timestamptz)
      WHERE fingerprint = ${fingerprint} AND current_instance_id = ${instanceId}::uuid`);
  },
};
