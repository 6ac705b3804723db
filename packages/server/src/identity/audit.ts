import { type SQL, sql } from 'drizzle-orm';
import { likePrefix, timeKeyset } from '../http/list-query.ts';

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** The start of the resource: `user:`, `silence:1b2c…`. */
  resource?: string;
  /** Entries at or after `from` and before `to`. */
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

export interface AuditRow {
  id: string;
  at: string | Date;
  actor: string;
  action: string;
  resource: string;
  before: unknown;
  after: unknown;
}

const newestFirst = timeKeyset(sql`l.at`, sql`l.id`, 'bigint', 'desc');

/** The statement the audit list runs, newest first (exported for the test of its plan). */
export function auditQuery(f: AuditFilter): SQL {
  const where = [newestFirst.after(f.cursor)];
  if (f.actor) where.push(sql`l.actor = ${f.actor}`);
  if (f.action) where.push(sql`l.action = ${f.action}`);
  if (f.resource) where.push(sql`l.resource LIKE ${likePrefix(f.resource)}`);
  if (f.from) where.push(sql`l.at >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) where.push(sql`l.at < ${f.to.toISOString()}::timestamptz`);
  return sql`
    SELECT l.id::text AS id, l.at, l.actor, l.action, l.resource, l.before, l.after, ${newestFirst.key}
    FROM audit_log l WHERE ${sql.join(where, sql` AND `)}
    ORDER BY ${newestFirst.orderBy} LIMIT ${f.limit + 1}`;
}

/** One batch of the audit log's retention: up to `limit` entries older than `cutoff`. */
export function purgeAudit(cutoff: Date, limit: number): SQL {
  return sql`
    WITH gone AS (
      DELETE FROM audit_log WHERE id IN (
        SELECT id FROM audit_log WHERE at < ${cutoff.toISOString()}::timestamptz LIMIT ${limit})
      RETURNING 1)
    SELECT count(*)::int AS audit_log FROM gone`;
}
