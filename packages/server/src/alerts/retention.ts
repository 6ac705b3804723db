import { type SQL, sql } from 'drizzle-orm';

/**
 * One batch of the alerts' retention: up to `limit` closed alerts last seen, and closed, before
 * `cutoff`, with everything that refers to them: their instances, their history, the history's
 * rows still waiting in the notification inbox, and their notification group memberships. An
 * open alert is never taken, whatever its age.
 *
 * The alert rows are locked as ingestion locks them, skipping any that a sender is reporting
 * right now; an alert that fires again while it is being deleted comes back as a new alert (at
 * worst when the sender retries). Answers one row, the rows deleted per table.
 */
export function purgeClosedAlerts(cutoff: Date, limit: number): SQL {
  const before = sql`${cutoff.toISOString()}::timestamptz`;
  return sql`
    WITH doomed AS (
      SELECT a.fingerprint FROM alerts a LEFT JOIN alert_instances c ON c.id = a.current_instance_id
      WHERE a.state = 'closed' AND a.last_seen < ${before} AND (c.closed_at IS NULL OR c.closed_at < ${before})
      LIMIT ${limit}
      FOR UPDATE OF a SKIP LOCKED),
    instances AS (SELECT i.id FROM alert_instances i JOIN doomed d ON d.fingerprint = i.fingerprint),
    history AS (DELETE FROM alert_history h USING instances i WHERE h.instance_id = i.id RETURNING h.id),
    inbox AS (DELETE FROM notify_inbox n USING history h WHERE n.history_id = h.id RETURNING 1),
    members AS (DELETE FROM notify_members m USING doomed d WHERE m.fingerprint = d.fingerprint RETURNING 1),
    gone_instances AS (DELETE FROM alert_instances i USING instances x WHERE i.id = x.id RETURNING 1),
    gone_alerts AS (DELETE FROM alerts a USING doomed d WHERE a.fingerprint = d.fingerprint RETURNING 1)
    SELECT (SELECT count(*) FROM gone_alerts)::int AS alerts,
           (SELECT count(*) FROM gone_instances)::int AS alert_instances,
           (SELECT count(*) FROM history)::int AS alert_history,
           (SELECT count(*) FROM inbox)::int AS notify_inbox,
           (SELECT count(*) FROM members)::int AS notify_members`;
}
