import { type SQL, sql } from 'drizzle-orm';
import { pgArray } from '../db/pg-array.ts';

/**
 * The statements the router runs on notification groups and their members. Each handles a
 * whole batch of groups or alerts at once and reaches members through an index, by group or by
 * fingerprint. What is read in full, rendered and written is what changed; the one pass over a
 * due group's members left is the count of its firing alerts. Exported apart from the router so
 * their query plans can be tested.
 */
const ALERT_COLUMNS = sql.raw(`a.fingerprint, a.name, a.state, a.severity, a.source, a.labels, a.annotations,
  i.starts_at, a.last_seen, a.current_instance_id`);

const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/** How long a rule's groups wait before their first message and between messages. */
export interface RuleTiming {
  rule_id: string;
  wait_ms: number;
  interval_ms: number;
}

export const groupQueries = {
  /** Groups whose time has come, locked for one flush; another replica takes the next ones. */
  due: (now: Date, limit: number): SQL => sql`
    SELECT g.* FROM notify_groups g JOIN notify_rules r ON r.id = g.rule_id
    WHERE r.enabled AND g.next_check_at <= ${at(now)}
    ORDER BY g.next_check_at LIMIT ${limit} FOR UPDATE OF g SKIP LOCKED`,

  /**
   * Per group: how many of its members' alerts fire now, and the members whose alert changed
   * since the group last looked, with the alert as it is and who acknowledged it. One statement,
   * so the count and the changes are of the same moment. A group with no change has one row
   * with a null fingerprint.
   */
  changes: (groupIds: string[]): SQL => sql`
    WITH ids AS (SELECT unnest(${pgArray(groupIds)}::uuid[]) AS group_id),
    counts AS (
      SELECT m.group_id, count(*)::int AS firing
      FROM ids JOIN notify_members m USING (group_id) JOIN alerts a ON a.fingerprint = m.fingerprint
      WHERE a.state = 'firing' GROUP BY m.group_id),
    changed AS (
      SELECT m.group_id AS changed_group, m.instance_id AS member_instance, m.notified, ${ALERT_COLUMNS},
             ack.actor AS ack_actor, ack.note AS ack_note
      FROM ids JOIN notify_members m USING (group_id) JOIN alerts a ON a.fingerprint = m.fingerprint
      LEFT JOIN alert_instances i ON i.id = a.current_instance_id
      LEFT JOIN LATERAL (
        SELECT h.actor, h.note FROM alert_history h
        WHERE h.instance_id = a.current_instance_id AND h.event = 'acknowledge' ORDER BY h.id DESC LIMIT 1
      ) ack ON a.state = 'acknowledged'
      WHERE m.dirty)
    SELECT ids.group_id, COALESCE(counts.firing, 0) AS firing, changed.*
    FROM ids LEFT JOIN counts USING (group_id) LEFT JOIN changed ON changed.changed_group = ids.group_id`,

  /** Up to `n` firing alerts of each group, the longest firing first: what a reminder lists. */
  sample: (groupIds: string[], n: number): SQL => sql`
    SELECT gid AS group_id, s.*
    FROM unnest(${pgArray(groupIds)}::uuid[]) AS gid
    CROSS JOIN LATERAL (
      SELECT ${ALERT_COLUMNS}
      FROM notify_members m JOIN alerts a ON a.fingerprint = m.fingerprint
      LEFT JOIN alert_instances i ON i.id = a.current_instance_id
      WHERE m.group_id = gid AND a.state = 'firing'
      ORDER BY i.starts_at, a.fingerprint LIMIT ${n}) s`,

  /**
   * Files new firing episodes into the groups of the rules they match; a new group is left for
   * `wake` to schedule. The no-op update on a known group makes it answer with its id.
   */
  join: (
    joins: { rule_id: string; group_key: string; labels: Record<string, string>; fp: string }[],
    now: Date,
  ): SQL => sql`
    WITH j AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(joins)}::jsonb)
               AS x(rule_id uuid, group_key text, labels jsonb, fp text)),
    g AS (
      INSERT INTO notify_groups (rule_id, group_key, labels, created_at)
      SELECT DISTINCT ON (rule_id, group_key) rule_id, group_key, labels, ${at(now)} FROM j
      ON CONFLICT (rule_id, group_key) DO UPDATE SET next_check_at = notify_groups.next_check_at
      RETURNING id, rule_id, group_key)
    INSERT INTO notify_members (group_id, fingerprint)
    SELECT g.id, j.fp FROM j JOIN g USING (rule_id, group_key)
    ON CONFLICT DO NOTHING`,

  /**
   * Brings the groups of changed alerts forward to the earliest moment they could send: the end
   * of their group wait before the first message, of their group interval after it. Runs before
   * `touch`: like a flush, a routing pass locks groups before their members, so neither can
   * wait for the other in a circle.
   */
  wake: (fingerprints: string[], timing: RuleTiming[], now: Date): SQL => sql`
    WITH t AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(timing)}::jsonb) AS t(rule_id uuid, wait_ms int, interval_ms int)),
    touched AS (SELECT DISTINCT group_id FROM notify_members WHERE fingerprint = ANY(${pgArray(fingerprints)}::text[])),
    earliest AS (
      SELECT g.id, GREATEST(${at(now)}, COALESCE(
        g.last_sent_at + t.interval_ms * interval '1 millisecond',
        g.created_at + t.wait_ms * interval '1 millisecond',
        ${at(now)})) AS at
      FROM touched JOIN notify_groups g ON g.id = touched.group_id LEFT JOIN t ON t.rule_id = g.rule_id)
    UPDATE notify_groups g SET next_check_at = LEAST(COALESCE(g.next_check_at, e.at), e.at)
    FROM earliest e WHERE g.id = e.id`,

  /** Marks the memberships of changed alerts, so the next flush of their groups reads them. */
  touch: (fingerprints: string[]): SQL => sql`
    UPDATE notify_members SET dirty = true
    WHERE fingerprint = ANY(${pgArray(fingerprints)}::text[]) AND NOT dirty`,

  /** What changed members have now been told, and whether their group must look at them again. */
  tell: (
    keep: {
      group_id: string;
      fp: string;
      instance_id: string | null;
      notified: string | null;
      recheck: boolean;
    }[],
  ): SQL => sql`
    UPDATE notify_members m SET instance_id = k.instance_id, notified = k.notified, dirty = k.recheck
    FROM jsonb_to_recordset(${JSON.stringify(keep)}::jsonb)
      AS k(group_id uuid, fp text, instance_id uuid, notified text, recheck boolean)
    WHERE m.group_id = k.group_id AND m.fingerprint = k.fp`,

  /** Members with nothing more to tell: their alert is over and the group said so. */
  drop: (drop: { group_id: string; fp: string }[]): SQL => sql`
    DELETE FROM notify_members m USING jsonb_to_recordset(${JSON.stringify(drop)}::jsonb) AS d(group_id uuid, fp text)
    WHERE m.group_id = d.group_id AND m.fingerprint = d.fp`,

  /** The groups' timers and sequence after a flush. */
  schedule: (
    updates: {
      id: string;
      last_sent_at: string | null;
      next_check_at: string | null;
      escalate_at: string | null;
      step: number;
      seq: number;
    }[],
  ): SQL => sql`
    UPDATE notify_groups g SET last_sent_at = u.last_sent_at, next_check_at = u.next_check_at,
      escalate_at = u.escalate_at, step = u.step, seq = u.seq
    FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
      AS u(id uuid, last_sent_at timestamptz, next_check_at timestamptz, escalate_at timestamptz, step int, seq int)
    WHERE g.id = u.id`,

  /** Groups with nothing left to tell are finished; a member added meanwhile keeps its group. */
  finish: (groupIds: string[]): SQL => sql`
    DELETE FROM notify_groups g WHERE g.id = ANY(${pgArray(groupIds)}::uuid[])
      AND g.escalate_at IS NULL AND NOT EXISTS (SELECT 1 FROM notify_members m WHERE m.group_id = g.id)`,

  /** The earliest time a group is due after `now`: when this replica should look again. */
  nextCheck: (now: Date): SQL => sql`
    SELECT g.next_check_at FROM notify_groups g JOIN notify_rules r ON r.id = g.rule_id
    WHERE r.enabled AND g.next_check_at > ${at(now)} ORDER BY g.next_check_at LIMIT 1`,
};
