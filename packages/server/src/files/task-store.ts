import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { timeKeyset } from '../http/list-query.ts';
import type { UploadedFile } from './actions/action.ts';
import type { RoutedFile } from './routing.ts';
import type { TaskState } from './transitions.ts';

/**
 * The task tables: what the runner claims and records, what the task routes read. Every state
 * change writes a history row in the same statement batch as the change, inside the caller's
 * transaction.
 */
type Tx = Pick<Db, 'execute'>;
type Time = string | Date;

/** The runner keeps the last 64 KiB of a task's output. */
export const OUTPUT_LIMIT = 64 * 1024;

export interface TaskRow {
  id: string;
  event_id: string;
  action_id: string;
  action_name: string;
  action_kind: string;
  timeout_ms: number;
  max_concurrency: number;
  route_id: string | null;
  after_task_id: string | null;
  fallback_of: string | null;
  idempotency_key: string;
  state: TaskState;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Time;
  cancel_requested: boolean;
  trigger: 'route' | 'manual' | 'retry' | 'fallback';
  claimed_by: string | null;
  started_at: Time | null;
  finished_at: Time | null;
  duration_ms: number | null;
  error: string | null;
  error_cause: string | null;
  result: Record<string, unknown> | string | null;
  output: string;
  created_at: Time;
  updated_at: Time;
}

export interface HistoryRow {
  from_state: string | null;
  to_state: string;
  reason: string | null;
  actor: string | null;
  at: Time;
}

export interface FileRow {
  id: string;
  agent_id: string;
  agent_name: string | null;
  file_id: string;
  state: string;
  source: string;
  path: string;
  size: string | number;
  mtime: Time;
  hash: string | null;
  labels: Record<string, string> | string;
  object: UploadedFile['object'] | string | null;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? JSON.parse(v) : v);

export function uploadedFile(f: FileRow): UploadedFile {
  return {
    id: f.id,
    agent: f.agent_name ?? f.agent_id,
    source: f.source,
    path: f.path,
    size: Number(f.size),
    mtime: new Date(f.mtime).toISOString(),
    ...(f.hash ? { hash: f.hash } : {}),
    labels: json(f.labels),
    object: json(f.object ?? { bucket: '', key: '', url: '', etag: '', size: 0 }),
  };
}

export const routedFile = (f: FileRow): RoutedFile => ({
  path: f.path,
  source: f.source,
  agentId: f.agent_id,
  agentName: f.agent_name ?? '',
  labels: json(f.labels),
  size: Number(f.size),
});

const TASK_COLUMNS = sql`t.*, a.name AS action_name, a.kind AS action_kind, a.timeout_ms, a.max_concurrency`;
const FILE_COLUMNS = sql`e.id, e.agent_id, ag.name AS agent_name, e.file_id, e.state, e.source, e.path, e.size, e.mtime,
  e.hash, e.labels, e.object`;

export const taskStore = {
  /** Uploaded files no route has looked at yet, locked so one replica routes each. */
  async unroutedFiles(tx: Tx, limit: number): Promise<FileRow[]> {
    return rowsOf<FileRow>(
      await tx.execute(sql`
        SELECT ${FILE_COLUMNS} FROM file_events e LEFT JOIN agents ag ON ag.id = e.agent_id
        WHERE e.state = 'uploaded' AND e.routed_at IS NULL
        ORDER BY e.received_at LIMIT ${limit} FOR UPDATE OF e SKIP LOCKED`),
    );
  },

  async file(tx: Tx, id: string): Promise<FileRow | undefined> {
    return rowsOf<FileRow>(
      await tx.execute(sql`
        SELECT ${FILE_COLUMNS} FROM file_events e LEFT JOIN agents ag ON ag.id = e.agent_id
        WHERE e.id = ${id}::uuid`),
    )[0];
  },

  async markRouted(tx: Tx, eventId: string): Promise<void> {
    await tx.execute(sql`UPDATE file_events SET routed_at = now() WHERE id = ${eventId}::uuid`);
  },

  /** A new task; undefined when its idempotency key exists (the file has that action already). */
  async insert(
    tx: Tx,
    t: {
      eventId: string;
      actionId: string;
      routeId?: string | null;
      afterTaskId?: string | null;
      fallbackOf?: string | null;
      key: string;
      trigger: TaskRow['trigger'];
      actor: string;
    },
  ): Promise<string | undefined> {
    const [row] = rowsOf<{ id: string }>(
      await tx.execute(sql`
        INSERT INTO file_tasks (event_id, action_id, route_id, after_task_id, fallback_of, idempotency_key, state, max_attempts, trigger)
        SELECT ${t.eventId}::uuid, a.id, ${t.routeId ?? null}::uuid, ${t.afterTaskId ?? null}::uuid, ${t.fallbackOf ?? null}::uuid,
          ${t.key}, 'pending', a.max_attempts, ${t.trigger}
        FROM file_actions a WHERE a.id = ${t.actionId}::uuid
        ON CONFLICT (idempotency_key) DO NOTHING RETURNING id::text`),
    );
    if (row) await this.history(tx, row.id, null, 'pending', `created (${t.trigger})`, t.actor);
    return row?.id;
  },

  async taskIdOfKey(tx: Tx, key: string): Promise<string | undefined> {
    return rowsOf<{ id: string }>(
      await tx.execute(sql`SELECT id::text FROM file_tasks WHERE idempotency_key = ${key}`),
    )[0]?.id;
  },

  async history(tx: Tx, id: string, from: string | null, to: string, reason: string | null, actor: string) {
    await tx.execute(sql`
      INSERT INTO file_task_history (task_id, from_state, to_state, reason, actor)
      VALUES (${id}::uuid, ${from}, ${to}, ${reason}, ${actor})`);
  },

  async get(tx: Tx, id: string, lock = false): Promise<TaskRow | undefined> {
    return rowsOf<TaskRow>(
      await tx.execute(sql`
        SELECT ${TASK_COLUMNS} FROM file_tasks t JOIN file_actions a ON a.id = t.action_id
        WHERE t.id = ${id}::uuid ${lock ? sql`FOR UPDATE OF t` : sql``}`),
    )[0];
  },

  /**
   * One due task whose turn has come (the task before it in a sequence is done) and whose
   * action runs fewer attempts than it allows, locked; others' locked rows are skipped, so
   * replicas never claim the same task. The action's row is locked too and its running attempts
   * counted again under that lock, so two replicas cannot both take the last free slot.
   */
  async claimable(tx: Tx): Promise<TaskRow | undefined> {
    const [row] = rowsOf<TaskRow>(
      await tx.execute(sql`
        SELECT ${TASK_COLUMNS} FROM file_tasks t JOIN file_actions a ON a.id = t.action_id
        WHERE t.state IN ('pending', 'retrying') AND t.next_attempt_at <= now()
          AND (t.after_task_id IS NULL OR EXISTS (
            SELECT 1 FROM file_tasks p WHERE p.id = t.after_task_id AND p.state = 'done'))
          AND (SELECT count(*) FROM file_tasks r WHERE r.action_id = t.action_id AND r.state = 'processing') < a.max_concurrency
        ORDER BY t.next_attempt_at, t.created_at LIMIT 1 FOR UPDATE OF t SKIP LOCKED`),
    );
    if (!row) return undefined;
    await tx.execute(sql`SELECT id FROM file_actions WHERE id = ${row.action_id}::uuid FOR UPDATE`);
    const [{ n }] = rowsOf<{ n: number }>(
      await tx.execute(sql`
        SELECT count(*)::int AS n FROM file_tasks WHERE action_id = ${row.action_id}::uuid AND state = 'processing'`),
    ) as [{ n: number }];
    return n < row.max_concurrency ? row : undefined;
  },

  async update(
    tx: Tx,
    id: string,
    set: {
      state?: TaskState;
      attempts?: number;
      maxAttempts?: number;
      cancelRequested?: boolean;
      delayMs?: number;
      claimedBy?: string | null;
      started?: boolean;
      finished?: boolean;
      error?: string | null;
      errorCause?: string | null;
      result?: Record<string, unknown> | null;
    },
  ): Promise<void> {
    const parts: SQL[] = [sql`updated_at = now()`];
    if (set.state) parts.push(sql`state = ${set.state}`);
    if (set.attempts !== undefined) parts.push(sql`attempts = ${set.attempts}`);
    if (set.maxAttempts !== undefined) parts.push(sql`max_attempts = ${set.maxAttempts}`);
    if (set.cancelRequested !== undefined) parts.push(sql`cancel_requested = ${set.cancelRequested}`);
    if (set.delayMs !== undefined)
      parts.push(sql`next_attempt_at = now() + ${set.delayMs} * interval '1 millisecond'`);
    if (set.claimedBy !== undefined) parts.push(sql`claimed_by = ${set.claimedBy}`);
    if (set.started) parts.push(sql`started_at = now(), finished_at = NULL, duration_ms = NULL`);
    if (set.finished)
      parts.push(sql`finished_at = now(),
        duration_ms = (extract(epoch FROM now() - coalesce(started_at, now())) * 1000)::int`);
    if (set.error !== undefined) parts.push(sql`error = ${set.error}`);
    if (set.errorCause !== undefined) parts.push(sql`error_cause = ${set.errorCause}`);
    if (set.result !== undefined)
      parts.push(sql`result = ${set.result === null ? null : JSON.stringify(set.result)}::jsonb`);
    await tx.execute(sql`UPDATE file_tasks SET ${sql.join(parts, sql`, `)} WHERE id = ${id}::uuid`);
  },

  /** Appends to the output, keeping its end; also says the claim is alive. */
  async appendOutput(tx: Tx, id: string, text: string): Promise<void> {
    await tx.execute(sql`
      UPDATE file_tasks SET output = right(output || ${text}, ${OUTPUT_LIMIT}), updated_at = now()
      WHERE id = ${id}::uuid`);
  },

  /** Of these tasks, the ones whose cancel was requested. */
  async cancelRequested(tx: Tx, ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    return rowsOf<{ id: string }>(
      await tx.execute(sql`
        SELECT id::text FROM file_tasks WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[]) AND cancel_requested`),
    ).map((r) => r.id);
  },

  async touch(tx: Tx, ids: string[]): Promise<void> {
    if (!ids.length) return;
    await tx.execute(
      sql`UPDATE file_tasks SET updated_at = now() WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[])`,
    );
  },

  /** Processing tasks whose runner has not shown life for `staleMs`: its server stopped. */
  async stale(tx: Tx, staleMs: number): Promise<TaskRow[]> {
    return rowsOf<TaskRow>(
      await tx.execute(sql`
        SELECT ${TASK_COLUMNS} FROM file_tasks t JOIN file_actions a ON a.id = t.action_id
        WHERE t.state = 'processing' AND t.updated_at < now() - ${staleMs} * interval '1 millisecond'
        FOR UPDATE OF t SKIP LOCKED`),
    );
  },

  /** Tasks after this one in its sequence, however far down, still waiting. */
  async followers(tx: Tx, id: string, states: TaskState[]): Promise<{ id: string; state: TaskState }[]> {
    return rowsOf<{ id: string; state: TaskState }>(
      await tx.execute(sql`
        WITH RECURSIVE f AS (
          SELECT id, state, error_cause FROM file_tasks WHERE after_task_id = ${id}::uuid
          UNION ALL SELECT t.id, t.state, t.error_cause FROM file_tasks t JOIN f ON t.after_task_id = f.id)
        SELECT id::text, state FROM f WHERE state = ANY(${`{${states.join(',')}}`}::text[])
          AND (state <> 'cancelled' OR error_cause = 'earlier_task_ended')`),
    );
  },

  async fallbackOf(tx: Tx, actionId: string): Promise<string | null> {
    const [row] = rowsOf<{ fallback_action_id: string | null }>(
      await tx.execute(sql`SELECT fallback_action_id FROM file_actions WHERE id = ${actionId}::uuid`),
    );
    return row?.fallback_action_id ?? null;
  },

  async historyOf(tx: Tx, id: string): Promise<HistoryRow[]> {
    return rowsOf<HistoryRow>(
      await tx.execute(sql`
        SELECT from_state, to_state, reason, actor, at FROM file_task_history WHERE task_id = ${id}::uuid ORDER BY id`),
    );
  },

  async list(
    tx: Tx,
    q: { state?: TaskState; actionId?: string; eventId?: string; cursor?: string; limit: number },
  ): Promise<(TaskRow & { page_at: string; page_id: string })[]> {
    const k = timeKeyset(sql`t.created_at`, sql`t.id`, 'uuid', 'desc');
    return rowsOf(
      await tx.execute(sql`
        SELECT ${TASK_COLUMNS}, ${k.key} FROM file_tasks t JOIN file_actions a ON a.id = t.action_id
        WHERE ${k.after(q.cursor)}
          ${q.state ? sql`AND t.state = ${q.state}` : sql``}
          ${q.actionId ? sql`AND t.action_id = ${q.actionId}::uuid` : sql``}
          ${q.eventId ? sql`AND t.event_id = ${q.eventId}::uuid` : sql``}
        ORDER BY ${k.orderBy} LIMIT ${q.limit + 1}`),
    );
  },
};
