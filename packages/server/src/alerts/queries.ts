import { type SQL, sql } from 'drizzle-orm';
import { pgArray } from '../db/pg-array.ts';
import { decodeCursor } from '../http/list-query.ts';
import { badRequest } from '../http/problem.ts';

/**
 * The statements behind the alert API's reads, built here so that the query-plan test runs
 * EXPLAIN on exactly what the service runs. Each one is served by an index of migration 0007.
 */

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

/** A cursor's time and id, checked before they reach SQL: a forged one is a 409, never a 500. */
function keyOf(cursor: string, id: RegExp): [string, string] {
  const [at, key] = decodeCursor(cursor);
  if (Number.isNaN(Date.parse(at)) || !id.test(key))
    throw badRequest('cursor is not one this server issued: start again without it', [
      {
        path: 'querystring.cursor',
        message: 'use the nextCursor of the page before, or none for the first page',
      },
    ]);
  return [at, key];
}
const ANY_ID = /^[^\0]{1,256}$/;

const OPEN = sql`('firing', 'acknowledged', 'silenced')`;

/** The same expression as the trigram index alerts_text_idx, so the index serves the search. */
const TEXT = sql`(a.name || ' ' || a.labels::text || ' ' || a.annotations::text)`;

export const SUMMARY_FIELDS = sql`a.fingerprint, a.name, a.state, a.severity, a.source, a.labels, a.annotations,
  i.starts_at, a.last_seen, a.current_instance_id, i.generator_url`;

export const alertQueries = {
  /**
   * A page of the list. With `window`, only the newest `window` alerts that pass every other
   * filter are searched for the text: for a common word the newest matches are among them, and
   * walking the newest-first index that far is cheaper than fetching and sorting every match the
   * trigram index finds (seconds at a million alerts). The caller falls back to the whole search
   * when the window is full and holds less than a page.
   */
  list(filter: AlertFilter, window?: number): SQL {
    const where: SQL[] = [sql`true`];
    if (filter.states?.length) where.push(sql`a.state = ANY(${pgArray(filter.states)}::text[])`);
    if (filter.severities?.length) where.push(sql`a.severity = ANY(${pgArray(filter.severities)}::text[])`);
    if (filter.labels && Object.keys(filter.labels).length)
      where.push(sql`a.labels @> ${JSON.stringify(filter.labels)}::jsonb`);
    if (filter.source) where.push(sql`a.source = ${filter.source}`);
    if (filter.from) where.push(sql`a.last_seen >= ${filter.from.toISOString()}::timestamptz`);
    if (filter.to) where.push(sql`a.last_seen < ${filter.to.toISOString()}::timestamptz`);
    if (filter.cursor) {
      const [lastSeen, fp] = keyOf(filter.cursor, ANY_ID);
      where.push(sql`(a.last_seen, a.fingerprint) < (${lastSeen}::timestamptz, ${fp})`);
    }
    const text = filter.text
      ? sql`${TEXT} ILIKE ${`%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`
      : undefined;
    const alerts =
      window && text
        ? sql`(SELECT * FROM alerts a WHERE ${sql.join(where, sql` AND `)}
               ORDER BY a.last_seen DESC, a.fingerprint DESC LIMIT ${window}) a`
        : sql`alerts a`;
    const conditions = window && text ? [text] : text ? [...where, text] : where;
    // The page is chosen first from what the list indexes hold (an index-only scan when the
    // filters are on state, severity, source and labels), then its rows are read: reading every
    // candidate's row to check a label cost a heap fetch per open alert at a million.
    return sql`
      SELECT ${SUMMARY_FIELDS}
      FROM (SELECT a.fingerprint FROM ${alerts}
            WHERE ${sql.join(conditions, sql` AND `)}
            ORDER BY a.last_seen DESC, a.fingerprint DESC
            LIMIT ${filter.limit + 1}) page
      JOIN alerts a ON a.fingerprint = page.fingerprint
      LEFT JOIN alert_instances i ON i.id = a.current_instance_id
      ORDER BY a.last_seen DESC, a.fingerprint DESC`;
  },

  summary(fingerprint: string): SQL {
    return sql`
      SELECT ${SUMMARY_FIELDS}
      FROM alerts a LEFT JOIN alert_instances i ON i.id = a.current_instance_id
      WHERE a.fingerprint = ${fingerprint}`;
  },

  /** One alert's instances, newest episode first; the cursor is the last (start, id) seen. */
  instances(fingerprint: string, limit: number, cursor?: string): SQL {
    const before = cursor ? keyOf(cursor, ANY_ID)[0] : undefined;
    return sql`
      SELECT id, state, ended_by, starts_at, ends_at, last_seen, acknowledged_at, acknowledged_by,
             resolved_at, closed_at, generator_url
      FROM alert_instances WHERE fingerprint = ${fingerprint}
        ${before ? sql`AND starts_at < ${before}::timestamptz` : sql``}
      ORDER BY starts_at DESC LIMIT ${limit + 1}`;
  },

  /** One alert's history, newest first; the cursor is the last (at, id) seen. */
  history(fingerprint: string, limit: number, cursor?: string): SQL {
    const after = cursor ? keyOf(cursor, /^\d{1,19}$/) : undefined;
    return sql`
      SELECT id, instance_id, at, event, from_state, to_state, actor, note
      FROM alert_history WHERE fingerprint = ${fingerprint}
        ${after ? sql`AND (at, id) < (${after[0]}::timestamptz, ${after[1]}::bigint)` : sql``}
      ORDER BY at DESC, id DESC LIMIT ${limit + 1}`;
  },

  /** Alerts by state now; closed ones are the archive, not part of "now", and are not counted. */
  byState(): SQL {
    return sql`SELECT state AS key, count(*)::int AS n FROM alerts
      WHERE state IN ('firing', 'acknowledged', 'silenced', 'resolved') GROUP BY state`;
  },

  openBySeverity(): SQL {
    return sql`SELECT severity AS key, count(*)::int AS n FROM alerts WHERE state IN ${OPEN} GROUP BY severity`;
  },

  /** Instances whose `column` time falls in [from, to), per bucket and the severity they fired with. */
  buckets(column: 'starts_at' | 'resolved_at', from: Date, to: Date, bucketSeconds: number): SQL {
    const col = sql.raw(column);
    return sql`
      SELECT date_bin(${`${bucketSeconds} seconds`}::interval, ${col}, ${from.toISOString()}::timestamptz) AS at,
             COALESCE(severity, 'warning') AS severity, count(*)::int AS n
      FROM alert_instances
      WHERE ${col} >= ${from.toISOString()}::timestamptz AND ${col} < ${to.toISOString()}::timestamptz
      GROUP BY 1, 2 ORDER BY 1, 2`;
  },

  /** Mean seconds from start to `column` over the instances whose `column` falls in [from, to). */
  meanSince(column: 'acknowledged_at' | 'resolved_at', from: Date, to: Date): SQL {
    const col = sql.raw(column);
    return sql`
      SELECT avg(extract(epoch FROM ${col} - starts_at)) AS mean, count(*)::int AS n
      FROM alert_instances
      WHERE ${col} >= ${from.toISOString()}::timestamptz AND ${col} < ${to.toISOString()}::timestamptz`;
  },

  /**
   * Open alerts a housekeeping pass must look at, locked (SKIP LOCKED: an alert being ingested
   * now is looked at next pass), a page at a time by fingerprint. Every open alert while a
   * silence is active (matching is done in code); otherwise only silenced ones (to bring back)
   * and those past their endsAt or timeout, so a pass over thousands of quiet alerts reads
   * almost nothing.
   */
  openCandidates(opts: {
    now: Date;
    timeoutMs: number;
    anySilence: boolean;
    fingerprints?: string[];
    after: string;
    limit: number;
  }): SQL {
    const stale = new Date(opts.now.getTime() - opts.timeoutMs).toISOString();
    const due = opts.anySilence
      ? sql``
      : sql`AND (i.state = 'silenced' OR i.ends_at <= ${opts.now.toISOString()}::timestamptz
          OR (i.ends_at IS NULL AND i.last_seen <= ${stale}::timestamptz))`;
    const only = opts.fingerprints
      ? sql`AND a.fingerprint = ANY(${pgArray(opts.fingerprints)}::text[])`
      : sql``;
    return sql`
      SELECT a.fingerprint, a.labels, i.state, i.last_seen, i.ends_at
      FROM alert_instances i JOIN alerts a ON a.current_instance_id = i.id
      WHERE i.state IN ${OPEN} ${due} ${only} AND a.fingerprint > ${opts.after}
      ORDER BY a.fingerprint LIMIT ${opts.limit}
      FOR NO KEY UPDATE OF a SKIP LOCKED`;
  },

  /** Resolved alerts nobody re-opened since `before`: due to be closed. */
  dueToClose(before: Date, limit: number): SQL {
    return sql`
      SELECT a.fingerprint
      FROM alert_instances i JOIN alerts a ON a.current_instance_id = i.id
      WHERE i.state = 'resolved' AND i.resolved_at <= ${before.toISOString()}::timestamptz
      ORDER BY i.resolved_at LIMIT ${limit}
      FOR NO KEY UPDATE OF a SKIP LOCKED`;
  },
};
