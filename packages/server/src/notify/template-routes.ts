import { z } from 'zod';
import type { App } from '../http/app.ts';
import { actorOf } from '../identity/auth.ts';
import type { IdentityService } from '../identity/service.ts';
import type { TemplateStore } from './template-store.ts';
import { EVENTS, LIMITS } from './templates.ts';

const Id = z.object({ id: z.uuid() });
const Template = z.object({
  title: z.string().min(1).max(LIMITS.titleChars).describe('Liquid; docs/server.md, Templates'),
  body: z.string().min(1).max(LIMITS.bodyChars).describe('Liquid'),
});
const SetBody = z.object({
  name: z.string().min(1).max(100),
  templates: z.partialRecord(z.enum(EVENTS), Template).describe('only the events this set overrides'),
});

const TemplateSet = z.object({
  id: z.string(),
  name: z.string(),
  templates: z.partialRecord(z.enum(EVENTS), z.object({ title: z.string(), body: z.string() })),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** Template sets: CRUD, audited; checked for size and parse errors before they are stored. */
export function templateRoutes(app: App, sets: TemplateStore, identity: IdentityService): void {
  const tags = ['notifications'];
  const read = { permission: 'notify:read' } as const;
  const write = { permission: 'notify:write' } as const;
  app.get(
    '/api/v1/notify/templates',
    { config: read, schema: { tags, response: { 200: z.array(TemplateSet) } } },
    () => sets.list(),
  );
  app.get(
    '/api/v1/notify/templates/:id',
    { config: read, schema: { tags, params: Id, response: { 200: TemplateSet } } },
    (req) => sets.get(req.params.id),
  );
  app.post(
    '/api/v1/notify/templates',
    { config: write, schema: { tags, body: SetBody, response: { 201: TemplateSet } } },
    async (req, reply) => {
      const set = await sets.create(req.body, actorOf(req));
      await identity.audit(actorOf(req), 'templates.create', `templates:${set.name}`, undefined, set);
      return reply.code(201).send(set);
    },
  );
  app.put(
    '/api/v1/notify/templates/:id',
    { config: write, schema: { tags, params: Id, body: SetBody, response: { 200: TemplateSet } } },
    async (req) => {
      const { before, after } = await sets.replace(req.params.id, req.body);
      await identity.audit(actorOf(req), 'templates.update', `templates:${after.name}`, before, after);
      return after;
    },
  );
  app.delete(
    '/api/v1/notify/templates/:id',
    { config: write, schema: { tags, params: Id, response: { 204: z.null().describe('deleted') } } },
    async (req, reply) => {
      const gone = await sets.remove(req.params.id);
      await identity.audit(actorOf(req), 'templates.delete', `templates:${gone.name}`, gone);
      return reply.code(204).send(null);
    },
  );
}
