import { z } from 'zod';
import type { Db } from '../db/database.ts';
import type { App } from '../http/app.ts';
import { pageCursor, pageLimit, pageOf } from '../http/list-query.ts';
import { notFound } from '../http/problem.ts';
import { actorOf } from '../identity/auth.ts';
import type { IdentityService } from '../identity/service.ts';
import type { FileRunner } from './runner.ts';
import { taskStore as store, type TaskRow } from './task-store.ts';
import { TASK_STATES } from './transitions.ts';

const Id = z.object({ id: z.uuid() });
const iso = (t: string | Date | null) => (t === null ? null : new Date(t).toISOString());

const Task = z.object({
  id: z.string(),
  fileId: z.string(),
  action: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
  routeId: z.string().nullable(),
  afterTaskId: z.string().nullable().describe('in a sequence, the task that must be done first'),
  fallbackOf: z.string().nullable().describe('the failed task that started this fallback'),
  trigger: z.enum(['route', 'manual', 'retry', 'fallback']),
  idempotencyKey: z.string(),
  state: z.enum(TASK_STATES),
  attempts: z.number(),
  maxAttempts: z.number(),
  nextAttemptAt: z.string(),
  cancelRequested: z.boolean(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
  errorCause: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const TaskDetail = Task.extend({
  output: z.string().describe('the last 64 KiB the action printed (a Jenkins console tail, answers)'),
  history: z.array(
    z.object({
      from: z.string().nullable(),
      to: z.string(),
      reason: z.string().nullable(),
      actor: z.string().nullable(),
      at: z.string(),
    }),
  ),
});

function taskView(t: TaskRow): z.infer<typeof Task> {
  return {
    id: t.id,
    fileId: t.event_id,
    action: { id: t.action_id, name: t.action_name, kind: t.action_kind },
    routeId: t.route_id,
    afterTaskId: t.after_task_id,
    fallbackOf: t.fallback_of,
    trigger: t.trigger,
    idempotencyKey: t.idempotency_key,
    state: t.state,
    attempts: t.attempts,
    maxAttempts: t.max_attempts,
    nextAttemptAt: iso(t.next_attempt_at)!,
    cancelRequested: t.cancel_requested,
    startedAt: iso(t.started_at),
    finishedAt: iso(t.finished_at),
    durationMs: t.duration_ms,
    error: t.error,
    errorCause: t.error_cause,
    result: typeof t.result === 'string' ? JSON.parse(t.result) : t.result,
    createdAt: iso(t.created_at)!,
    updatedAt: iso(t.updated_at)!,
  };
}

/** File tasks: list and detail (files:read); retry, cancel and manual trigger (files:operate, audited). */
export function taskRoutes(app: App, db: Db, runner: FileRunner, identity: IdentityService): void {
  const tags = ['files'];
  const read = { permission: 'files:read' } as const;
  const operate = { permission: 'files:operate' } as const;
  const detail = async (id: string) => {
    const t = await store.get(db, id);
    if (!t) throw notFound(`no file task ${id}`);
    const history = await store.historyOf(db, id);
    return {
      ...taskView(t),
      output: t.output,
      history: history.map((h) => ({
        from: h.from_state,
        to: h.to_state,
        reason: h.reason,
        actor: h.actor,
        at: iso(h.at)!,
      })),
    };
  };

  app.get(
    '/api/v1/files/tasks',
    {
      config: read,
      schema: {
        tags,
        querystring: z.object({
          state: z.enum(TASK_STATES).optional(),
          action: z.uuid().optional().describe('an action id'),
          file: z.uuid().optional().describe('a file id'),
          cursor: pageCursor,
          limit: pageLimit(),
        }),
        response: { 200: z.object({ items: z.array(Task), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await store.list(db, {
        state: q.state,
        actionId: q.action,
        eventId: q.file,
        cursor: q.cursor,
        limit: q.limit,
      });
      return pageOf(rows, q.limit, taskView);
    },
  );
  app.get(
    '/api/v1/files/tasks/:id',
    { config: read, schema: { tags, params: Id, response: { 200: TaskDetail } } },
    async (req) => detail(req.params.id),
  );
  app.post(
    '/api/v1/files/tasks/:id/retry',
    { config: operate, schema: { tags, params: Id, response: { 200: TaskDetail } } },
    async (req) => {
      await runner.retry(req.params.id, actorOf(req));
      await identity.audit(actorOf(req), 'file-task.retry', `file-task:${req.params.id}`);
      return detail(req.params.id);
    },
  );
  app.post(
    '/api/v1/files/tasks/:id/cancel',
    { config: operate, schema: { tags, params: Id, response: { 200: TaskDetail } } },
    async (req) => {
      await runner.cancel(req.params.id, actorOf(req));
      await identity.audit(actorOf(req), 'file-task.cancel', `file-task:${req.params.id}`);
      return detail(req.params.id);
    },
  );
  app.post(
    '/api/v1/files/:fileId/trigger',
    {
      config: operate,
      schema: {
        tags,
        params: z.object({ fileId: z.uuid() }),
        body: z.object({ actionId: z.uuid() }),
        response: { 201: TaskDetail },
      },
    },
    async (req, reply) => {
      const id = await runner.trigger(req.params.fileId, req.body.actionId, actorOf(req));
      await identity.audit(actorOf(req), 'file-task.trigger', `file-task:${id}`, undefined, {
        file: req.params.fileId,
        action: req.body.actionId,
      });
      return reply.code(201).send(await detail(id));
    },
  );
}
