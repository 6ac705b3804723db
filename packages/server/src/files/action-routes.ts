import { z } from 'zod';
import type { App } from '../http/app.ts';
import { actorOf } from '../identity/auth.ts';
import type { IdentityService } from '../identity/service.ts';
import { ActionStore } from './actions/store.ts';
import type { RouteStore } from './route-store.ts';
import { routeMatchSchema } from './routing.ts';

const Id = z.object({ id: z.uuid() });
const Config = z.record(z.string(), z.unknown());
/** Answers name their fields, so a secret cannot be serialised into one by accident. */
const Action = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  config: Config.describe('secret fields (tokens, passwords, signing secrets, headers) are shown as ••••••'),
  timeoutMs: z.number(),
  maxAttempts: z.number(),
  maxConcurrency: z.number(),
  fallbackActionId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const ActionSettings = {
  timeoutMs: z.number().int().min(1000).max(86_400_000).optional(),
  maxAttempts: z.number().int().min(1).max(100).optional(),
  maxConcurrency: z.number().int().min(1).max(1000).optional(),
  fallbackActionId: z.uuid().nullable().optional(),
};
const Route = z.object({
  id: z.string(),
  name: z.string(),
  position: z.number(),
  enabled: z.boolean(),
  match: z.record(z.string(), z.unknown()),
  actionIds: z.array(z.string()),
  mode: z.enum(['sequence', 'parallel']),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const RouteFields = {
  position: z.number().int().min(0).max(1_000_000).optional(),
  enabled: z.boolean().optional(),
  match: routeMatchSchema.optional(),
  mode: z.enum(['sequence', 'parallel']).optional(),
};

/** File actions and routing rules: CRUD under files:configure, audited, secrets masked. */
export function actionRoutes(
  app: App,
  actions: ActionStore,
  routes: RouteStore,
  identity: IdentityService,
): void {
  const tags = ['files'];
  const read = { permission: 'files:read' } as const;
  const configure = { permission: 'files:configure' } as const;

  app.get(
    '/api/v1/files/actions',
    { config: read, schema: { tags, response: { 200: z.array(Action) } } },
    async () => (await actions.list()).map(ActionStore.masked),
  );
  app.get(
    '/api/v1/files/actions/:id',
    { config: read, schema: { tags, params: Id, response: { 200: Action } } },
    async (req) => ActionStore.masked(await actions.get(req.params.id)),
  );
  app.post(
    '/api/v1/files/actions',
    {
      config: configure,
      schema: {
        tags,
        body: z.object({
          name: z.string().min(1).max(100),
          kind: z.string().max(50),
          config: Config,
          ...ActionSettings,
        }),
        response: { 201: Action },
      },
    },
    async (req, reply) => {
      const created = ActionStore.masked(await actions.create(req.body));
      await identity.audit(
        actorOf(req),
        'file-action.create',
        `file-action:${created.name}`,
        undefined,
        created,
      );
      return reply.code(201).send(created);
    },
  );
  app.patch(
    '/api/v1/files/actions/:id',
    {
      config: configure,
      schema: {
        tags,
        params: Id,
        body: z.object({
          name: z.string().min(1).max(100).optional(),
          config: Config.optional(),
          ...ActionSettings,
        }),
        response: { 200: Action },
      },
    },
    async (req) => {
      const { before, after } = await actions.update(req.params.id, req.body);
      const shown = ActionStore.masked(after);
      await identity.audit(
        actorOf(req),
        'file-action.update',
        `file-action:${after.name}`,
        ActionStore.masked(before),
        shown,
      );
      return shown;
    },
  );
  app.delete(
    '/api/v1/files/actions/:id',
    { config: configure, schema: { tags, params: Id, response: { 204: z.null().describe('deleted') } } },
    async (req, reply) => {
      const gone = await actions.remove(req.params.id);
      await identity.audit(
        actorOf(req),
        'file-action.delete',
        `file-action:${gone.name}`,
        ActionStore.masked(gone),
      );
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/files/routes',
    { config: read, schema: { tags, response: { 200: z.array(Route) } } },
    async () => routes.list(),
  );
  app.get(
    '/api/v1/files/routes/:id',
    { config: read, schema: { tags, params: Id, response: { 200: Route } } },
    async (req) => routes.get(req.params.id),
  );
  app.post(
    '/api/v1/files/routes',
    {
      config: configure,
      schema: {
        tags,
        body: z.object({
          name: z.string().min(1).max(100),
          actionIds: z.array(z.uuid()).min(1).max(20),
          ...RouteFields,
        }),
        response: { 201: Route },
      },
    },
    async (req, reply) => {
      const created = await routes.create(req.body);
      await identity.audit(
        actorOf(req),
        'file-route.create',
        `file-route:${created.name}`,
        undefined,
        created,
      );
      return reply.code(201).send(created);
    },
  );
  app.patch(
    '/api/v1/files/routes/:id',
    {
      config: configure,
      schema: {
        tags,
        params: Id,
        body: z.object({
          name: z.string().min(1).max(100).optional(),
          actionIds: z.array(z.uuid()).min(1).max(20).optional(),
          ...RouteFields,
        }),
        response: { 200: Route },
      },
    },
    async (req) => {
      const { before, after } = await routes.update(req.params.id, req.body);
      await identity.audit(actorOf(req), 'file-route.update', `file-route:${after.name}`, before, after);
      return after;
    },
  );
  app.delete(
    '/api/v1/files/routes/:id',
    { config: configure, schema: { tags, params: Id, response: { 204: z.null().describe('deleted') } } },
    async (req, reply) => {
      const gone = await routes.remove(req.params.id);
      await identity.audit(actorOf(req), 'file-route.delete', `file-route:${gone.name}`, gone);
      return reply.code(204).send(null);
    },
  );
}
