import { type SQL, sql } from 'drizzle-orm';

/**
 * One batch of the command channel's retention: up to `limit` finished commands (succeeded,
 * failed, expired or cancelled) that finished before `cutoff`, with their output lines. Open
 * commands stay whatever their age. A command is created before it finishes, so `created_at <
 * cutoff` holds for every one of them and lets the statement walk the created_at index instead
 * of reading the whole table. Answers one row, the rows deleted per table.
 */
export function purgeFinishedCommands(cutoff: Date, limit: number): SQL {
  const at = cutoff.toISOString();
  return sql`
    WITH doomed AS (
      SELECT id FROM commands
      WHERE created_at < ${at}::timestamptz AND finished_at < ${at}::timestamptz
        AND state IN ('succeeded', 'failed', 'expired', 'cancelled')
      LIMIT ${limit}),
    output AS (DELETE FROM command_output o USING doomed d WHERE o.command_id = d.id RETURNING 1),
    gone AS (DELETE FROM commands c USING doomed d WHERE c.id = d.id RETURNING 1)
    SELECT (SELECT count(*) FROM gone)::int AS commands,
           (SELECT count(*) FROM output)::int AS command_output`;
}
