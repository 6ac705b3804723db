import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { pgArray } from '../db/pg-array.ts';
import { rowsOf } from '../db/rows.ts';
import { decodeCursor, encodeCursor, timeKeyset } from '../http/list-query.ts';
import { badRequest } from '../http/problem.ts';
import type { FileState, MergeState } from './reports.ts';

type Tx = Pick<Db, 'execute'>;
type Time = string | Date;

export interface FileRow {
  id: string;
  agent_id: string;
  agent_name: string | null;
  file_id: string;
  source: string;
  path: string;
  size: string | number;
  mtime: Time;
  hash: string | null;
  labels: unknown;
  state: FileState;
  seq: string | number;
  bytes_uploaded: string | number;
  error: string | null;
  object: unknown;
  detected_at: Time;
  reported_at: Time;
  received_at: Time;
  routed_at: Time | null;
}

export interface TimelineRow {
  seq: string | number;
  state: FileState;
  at: Time;
  bytes_uploaded: string | number;
  error: string | null;
  received_at: Time;
}

export interface TaskRow {
  id: string;
  action_id: string;
  action_name: string;
  state: string;
  trigger: string;
  attempts: number;
  max_attempts: number;
  duration_ms: number | null;
  error: string | null;
  error_cause: string | null;
  created_at: Time;
  started_at: Time | null;
  finished_at: Time | null;
}

export interface SourceRow {
  agent_id: string;
  agent_name: string | null;
  source: string;
  first_seen: Time;
  last_seen: Time;
  detected: string | number;
  uploading: string | number;
  uploaded: string | number;
  failed: string | number;
}

export interface FileFilter {
  states?: FileState[];
  agentId?: string;
  source?: string;
  /** Text anywhere in the path (3 characters at least, which the trigram index needs). */
  path?: string;
  /** Reported at or after. */
  since?: Date;
  /** Reported before. */
  until?: Date;
  cursor?: string;
  limit: number;
}

/** Per (agent, source) counts; the statistics add them up (stats.ts). */
export interface SourceCountRow {
  agent_id: string;
  source: string;
  key: string;
  n: string | number;
}

/** Percentiles per (agent, source), and over everything where agent_id is null. */
export interface PercentileRow {
  agent_id: string | null;
  source: string | null;
  n: string | number;
  p50: number | null;
  p95: number | null;
}

const FILE_COLUMNS = sql`e.id, e.agent_id, a.name AS agent_name, e.file_id, e.source, e.path, e.size, e.mtime,
  e.hash, e.labels, e.state, e.seq, e.bytes_uploaded, e.error, e.object, e.detected_at, e.reported_at,
  e.received_at, e.routed_at`;
const RECENT = timeKeyset(sql`e.reported_at`, sql`e.id`, 'uuid', 'desc');
/** The columns a newer report (higher seq) replaces. */
const REPLACED = [
  'source',
  'path',
  'size',
  'mtime',
  'hash',
  'labels',
  'state',
  'seq',
  'bytes_uploaded',
  'error',
  'object',
  'reported_at',
];
const like = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;

export const fileStore = {
  /**
   * Writes one agent's merged batch: a file's row takes the batch's report only when its seq is
   * higher than the kept one, and its detected time is the earliest seen; each (file, seq) enters
   * the timeline once. Rows go in file id order, so two batches of one agent lock in one order.
   * Answers the files whose row changed, with their state now.
   */
  async apply(tx: Tx, agentId: string, merged: MergeState): Promise<{ state: FileState }[]> {
    const files = [...merged.files.values()]
      .sort((x, y) => (x.report.id < y.report.id ? -1 : 1))
      .map(({ report: r, detectedAt }) => ({
        file_id: r.id,
        source: r.source,
        path: r.path,
        size: r.size,
        mtime: r.mtime,
        hash: r.hash ?? null,
        labels: r.labels,
        state: r.state,
        seq: r.seq,
        bytes_uploaded: r.bytesUploaded ?? 0,
        error: r.error ?? null,
        object: r.object ?? null,
        detected_at: detectedAt,
        reported_at: r.at,
      }));
    if (!files.length) return [];
    const newer = (c: string) =>
      sql.raw(`${c} = CASE WHEN e.seq < EXCLUDED.seq THEN EXCLUDED.${c} ELSE e.${c} END`);
    const changed = rowsOf<{ state: FileState }>(
      await tx.execute(sql`
        INSERT INTO file_events AS e (agent_id, file_id, source, path, size, mtime, hash, labels, state, seq,
          bytes_uploaded, error, object, detected_at, reported_at)
        SELECT ${agentId}::uuid, r.file_id, r.source, r.path, r.size, r.mtime, r.hash, r.labels, r.state, r.seq,
          r.bytes_uploaded, r.error, r.object, r.detected_at, r.reported_at
        FROM jsonb_to_recordset(${JSON.stringify(files)}::jsonb) AS r(file_id text, source text, path text,
          size bigint, mtime timestamptz, hash text, labels jsonb, state text, seq bigint, bytes_uploaded bigint,
          error text, object jsonb, detected_at timestamptz, reported_at timestamptz)
        ORDER BY r.file_id
        ON CONFLICT (agent_id, file_id) DO UPDATE SET ${sql.join(REPLACED.map(newer), sql`, `)},
          received_at = CASE WHEN e.seq < EXCLUDED.seq THEN now() ELSE e.received_at END,
          detected_at = LEAST(e.detected_at, EXCLUDED.detected_at)
        WHERE e.seq < EXCLUDED.seq OR EXCLUDED.detected_at < e.detected_at
        RETURNING e.state`),
    );
    const timeline = [...merged.timeline.values()].map((t) => ({
      file_id: t.fileId,
      seq: t.seq,
      state: t.state,
      at: t.at,
      bytes_uploaded: t.bytesUploaded,
      error: t.error,
    }));
    await tx.execute(sql`
      INSERT INTO file_event_history (event_id, seq, state, at, bytes_uploaded, error)
      SELECT e.id, h.seq, h.state, h.at, h.bytes_uploaded, h.error
      FROM jsonb_to_recordset(${JSON.stringify(timeline)}::jsonb) AS h(file_id text, seq bigint, state text,
        at timestamptz, bytes_uploaded bigint, error text)
      JOIN file_events e ON e.agent_id = ${agentId}::uuid AND e.file_id = h.file_id
      ORDER BY e.id, h.seq
      ON CONFLICT (event_id, seq) DO NOTHING`);
    const sources = [...new Set(files.map((f) => f.source))].sort();
    await tx.execute(sql`
      INSERT INTO file_sources (agent_id, name)
      SELECT ${agentId}::uuid, s FROM unnest(${pgArray(sources)}::text[]) AS s
      ON CONFLICT (agent_id, name) DO UPDATE SET last_seen = now()`);
    return changed;
  },

  /** A page of files, newest report first. */
  list(f: FileFilter): SQL {
    const where: SQL[] = [RECENT.after(f.cursor)];
    if (f.states?.length) where.push(sql`e.state = ANY(${pgArray(f.states)}::text[])`);
    if (f.agentId) where.push(sql`e.agent_id = ${f.agentId}::uuid`);
    if (f.source) where.push(sql`e.source = ${f.source}`);
    if (f.path) where.push(sql`e.path ILIKE ${like(f.path)}`);
    if (f.since) where.push(sql`e.reported_at >= ${at(f.since)}`);
    if (f.until) where.push(sql`e.reported_at < ${at(f.until)}`);
    return sql`
      SELECT ${FILE_COLUMNS}, ${RECENT.key}
      FROM file_events e LEFT JOIN agents a ON a.id = e.agent_id
      WHERE ${sql.join(where, sql` AND `)}
      ORDER BY ${RECENT.orderBy} LIMIT ${f.limit + 1}`;
  },

  file(id: string): SQL {
    return sql`
      SELECT ${FILE_COLUMNS} FROM file_events e LEFT JOIN agents a ON a.id = e.agent_id WHERE e.id = ${id}::uuid`;
  },

  /** A file's timeline in seq order from after the cursor's seq; `limit + 1` rows. */
  timeline(id: string, limit: number, cursor?: string): SQL {
    return sql`
      SELECT seq, state, at, bytes_uploaded, error, received_at FROM file_event_history
      WHERE event_id = ${id}::uuid AND seq > ${cursor ? seqOf(cursor, id) : 0}
      ORDER BY seq LIMIT ${limit + 1}`;
  },

  /** The tasks run on a file, oldest first (routing makes a few per file). */
  tasks(id: string, limit: number): SQL {
    return sql`
      SELECT t.id, t.action_id, a.name AS action_name, t.state, t.trigger, t.attempts, t.max_attempts,
        t.duration_ms, t.error, t.error_cause, t.created_at, t.started_at, t.finished_at
      FROM file_tasks t JOIN file_actions a ON a.id = t.action_id
      WHERE t.event_id = ${id}::uuid ORDER BY t.created_at, t.id LIMIT ${limit}`;
  },

  /** Watched folders with how many of their files reported since `since` are in each state. */
  sources(since: Date, limit: number): SQL {
    return sql`
      SELECT s.agent_id, a.name AS agent_name, s.name AS source, s.first_seen, s.last_seen,
        c.detected, c.uploading, c.uploaded, c.failed
      FROM file_sources s LEFT JOIN agents a ON a.id = s.agent_id
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE e.state = 'detected') AS detected,
          count(*) FILTER (WHERE e.state = 'uploading') AS uploading,
          count(*) FILTER (WHERE e.state = 'uploaded') AS uploaded,
          count(*) FILTER (WHERE e.state = 'failed') AS failed
        FROM file_events e
        WHERE e.agent_id = s.agent_id AND e.source = s.name AND e.reported_at >= ${at(since)}) c
      ORDER BY a.name NULLS LAST, s.agent_id, s.name LIMIT ${limit + 1}`;
  },

  agentNames(ids: string[]): SQL {
    return sql`SELECT id, name FROM agents WHERE id = ANY(${pgArray(ids)}::uuid[])`;
  },

  /** Files first seen in [from, to), per source. */
  detected(from: Date, to: Date): SQL {
    return sql`
      SELECT agent_id, source, 'detected' AS key, count(*) AS n FROM file_events
      WHERE detected_at >= ${at(from)} AND detected_at < ${at(to)}
      GROUP BY agent_id, source`;
  },

  /** Files whose last report in [from, to) said failed, per source and cause: the error's first word. */
  failed(from: Date, to: Date): SQL {
    return sql`
      SELECT agent_id, source,
        COALESCE(substring(error FROM '^\\s*([A-Za-z0-9_.-]+)'), 'unknown') AS key, count(*) AS n
      FROM file_events
      WHERE state = 'failed' AND reported_at >= ${at(from)} AND reported_at < ${at(to)}
      GROUP BY 1, 2, 3`;
  },

  /**
   * Files detected, uploaded and failed in [from, to) per bucket of `stepSeconds` (counted as in
   * `detected`, `uploads` and `failed`); buckets start at multiples of the step since the epoch.
   */
  buckets(from: Date, to: Date, stepSeconds: number): SQL {
    const bucket = (column: SQL) =>
      sql`(floor(EXTRACT(EPOCH FROM ${column}) / ${stepSeconds}) * ${stepSeconds})::bigint`;
    return sql`
      SELECT bucket, key, count(*) AS n FROM (
        SELECT ${bucket(sql`detected_at`)} AS bucket, 'detected' AS key FROM file_events
        WHERE detected_at >= ${at(from)} AND detected_at < ${at(to)}
        UNION ALL
        SELECT ${bucket(sql`reported_at`)}, state FROM file_events
        WHERE state IN ('uploaded', 'failed') AND reported_at >= ${at(from)} AND reported_at < ${at(to)}
      ) b GROUP BY 1, 2`;
  },

  /** Files waiting or uploading now, per source and state. */
  queuedFiles(): SQL {
    return sql`
      SELECT agent_id, source, state AS key, count(*) AS n FROM file_events
      WHERE state IN ('detected', 'uploading') GROUP BY 1, 2, 3`;
  },

  /** Tasks not yet finished now, per source of their file and state. */
  queuedTasks(): SQL {
    return sql`
      SELECT e.agent_id, e.source, t.state AS key, count(*) AS n
      FROM file_tasks t JOIN file_events e ON e.id = t.event_id
      WHERE t.state IN ('pending', 'retrying', 'processing') GROUP BY 1, 2, 3`;
  },

  /** Failed attempts of tasks last changed in [from, to), per source and the action's cause. */
  taskFailures(from: Date, to: Date): SQL {
    return sql`
      SELECT e.agent_id, e.source, COALESCE(t.error_cause, 'unknown') AS key, count(*) AS n
      FROM file_tasks t JOIN file_events e ON e.id = t.event_id
      WHERE t.state IN ('failed', 'retrying') AND t.updated_at >= ${at(from)} AND t.updated_at < ${at(to)}
      GROUP BY 1, 2, 3`;
  },

  /** Files uploaded in [from, to): how many, and seconds from detected to uploaded. */
  uploads(from: Date, to: Date): SQL {
    return percentiles(
      sql`EXTRACT(EPOCH FROM reported_at - detected_at)`,
      sql`file_events`,
      sql`state = 'uploaded' AND reported_at >= ${at(from)} AND reported_at < ${at(to)}`,
    );
  },

  /** Tasks finished in [from, to): how many, and their run time in seconds. */
  taskRuns(from: Date, to: Date): SQL {
    return percentiles(
      sql`t.duration_ms / 1000.0`,
      sql`file_tasks t JOIN file_events e ON e.id = t.event_id`,
      sql`t.state IN ('done', 'failed') AND t.duration_ms IS NOT NULL
        AND t.updated_at >= ${at(from)} AND t.updated_at < ${at(to)}`,
    );
  },
};

/** p50 and p95 of `value` per (agent, source) and over all rows (the row whose agent_id is null). */
function percentiles(value: SQL, from: SQL, where: SQL): SQL {
  return sql`
    SELECT agent_id, source, count(*) AS n,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY ${value}) AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY ${value}) AS p95
    FROM ${from} WHERE ${where}
    GROUP BY GROUPING SETS ((agent_id, source), ())`;
}

/** A timeline page's cursor: the last seq shown, bound to its file. */
export const timelineCursor = (fileId: string, seq: string | number) => encodeCursor(String(seq), fileId);

function seqOf(cursor: string, fileId: string): string {
  const [seq, id] = decodeCursor(cursor);
  if (!/^\d{1,18}$/.test(seq) || id !== fileId)
    throw badRequest("cursor is not one of this file's timeline: start again without it", [
      { path: 'querystring.cursor', message: "use the timeline's nextCursor of the page before" },
    ]);
  return seq;
}
