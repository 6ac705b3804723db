import { z } from 'zod';
import type { App } from '../http/app.ts';
import { pageCursor, pageLimit } from '../http/list-query.ts';
import { actorOf } from '../identity/auth.ts';
import type { IdentityService } from '../identity/service.ts';
import { ATTEMPT_STATUSES, OUTBOX_STATES, type OutboxStore } from './outbox-store.ts';

const Id = z.object({ id: z.uuid() });

const Attempt = z.object({
  id: z.string(),
  outboxId: z.string(),
  channelId: z.string(),
  channelName: z.string().nullable(),
  event: z.string(),
  title: z.string(),
  attempt: z.number(),
  status: z.enum(ATTEMPT_STATUSES),
  responseCode: z.number().nullable(),
  error: z.string().nullable(),
  ms: z.number().nullable(),
  at: z.string(),
});

const Notification = z.object({
  id: z.string(),
  ruleId: z.string().nullable(),
  ruleName: z.string().nullable(),
  channelId: z.string(),
  channelName: z.string().nullable(),
  event: z.string(),
  title: z.string(),
  markdown: z.string(),
  payload: z.record(z.string(), z.unknown()),
  idempotencyKey: z.string(),
  state: z.enum(OUTBOX_STATES),
  attempts: z.number(),
  maxAttempts: z.number(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** The delivery log, the outbox and its dead letters (inspect, retry, discard). */
export function outboxRoutes(
  app: App,
  outbox: OutboxStore,
  identity: IdentityService,
  wake: () => void,
): void {
  const tags = ['notifications'];
  const read = { permission: 'notify:read' } as const;
  const write = { permission: 'notify:write' } as const;
  app.get(
    '/api/v1/notify/deliveries',
    {
      config: read,
      schema: {
        tags,
        summary: 'Delivery attempts, newest first',
        querystring: z.object({
          status: z.enum(ATTEMPT_STATUSES).optional(),
          channelId: z.uuid().optional(),
          outboxId: z.uuid().optional(),
          limit: pageLimit(),
          cursor: pageCursor,
        }),
        response: { 200: page(Attempt) },
      },
    },
    (req) => outbox.deliveries(req.query),
  );
  app.get(
    '/api/v1/notify/outbox',
    {
      config: read,
      schema: {
        tags,
        summary: 'Notifications, newest first',
        querystring: z.object({
          state: z.enum(OUTBOX_STATES).optional(),
          limit: pageLimit(),
          cursor: pageCursor,
        }),
        response: { 200: page(Notification) },
      },
    },
    (req) => outbox.list(req.query),
  );
  app.get(
    '/api/v1/notify/outbox/:id',
    {
      config: read,
      schema: { tags, params: Id, response: { 200: Notification.extend({ history: z.array(Attempt) }) } },
    },
    (req) => outbox.get(req.params.id),
  );
  app.get(
    '/api/v1/notify/dead-letters',
    {
      config: read,
      schema: {
        tags,
        summary: 'Dead letters, newest first',
        querystring: z.object({ limit: pageLimit(), cursor: pageCursor }),
        response: { 200: page(Notification) },
      },
    },
    (req) => outbox.list({ ...req.query, state: 'dead' }),
  );
  app.post(
    '/api/v1/notify/dead-letters/:id/retry',
    { config: write, schema: { tags, params: Id, response: { 200: Notification } } },
    async (req) => {
      const item = await outbox.retry(req.params.id);
      await identity.audit(
        actorOf(req),
        'notification.retry',
        `notification:${item.id}`,
        { state: 'dead' },
        { state: item.state },
      );
      wake();
      return item;
    },
  );
  app.delete(
    '/api/v1/notify/dead-letters/:id',
    { config: write, schema: { tags, params: Id, response: { 204: z.null().describe('discarded') } } },
    async (req, reply) => {
      const item = await outbox.discard(req.params.id);
      await identity.audit(
        actorOf(req),
        'notification.discard',
        `notification:${item.id}`,
        { state: 'dead' },
        { state: item.state },
      );
      return reply.code(204).send(null);
    },
  );
}
