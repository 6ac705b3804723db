import { type SQL, sql } from 'drizzle-orm';

/**
 * One batch of the outbox's retention: up to `limit` delivered or discarded notifications created
 * before `cutoff`, with their attempts. Pending entries and dead letters stay whatever their age:
 * one is still being sent, the other waits for someone to retry or discard it. Answers one row,
 * the rows deleted per table.
 */
export function purgeOutbox(cutoff: Date, limit: number): SQL {
  return sql`
    WITH doomed AS (
      SELECT id FROM notify_outbox
      WHERE state IN ('delivered', 'discarded') AND created_at < ${cutoff.toISOString()}::timestamptz
      LIMIT ${limit}),
    attempts AS (DELETE FROM notify_attempts a USING doomed d WHERE a.outbox_id = d.id RETURNING 1),
    outbox AS (DELETE FROM notify_outbox o USING doomed d WHERE o.id = d.id RETURNING 1)
    SELECT (SELECT count(*) FROM outbox)::int AS notify_outbox,
           (SELECT count(*) FROM attempts)::int AS notify_attempts`;
}
