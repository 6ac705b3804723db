import { z } from 'zod';
import type { App } from '../http/app.ts';
import { actorOf } from '../identity/auth.ts';
import type { IdentityService } from '../identity/service.ts';
import type { RuleStore } from './rule-store.ts';

const Id = z.object({ id: z.uuid() });

const RuleBody = z.object({
  name: z.string().min(1).max(100),
  enabled: z.boolean().default(true),
  matchers: z
    .array(z.string())
    .default([])
    .describe('`team="db"`, `severity=~"critical|high"`; empty = every alert'),
  severities: z.array(z.string().min(1)).default([]).describe('empty = every severity'),
  windows: z
    .array(
      z.object({
        days: z.array(z.number().int().min(0).max(6)).describe('0 = Sunday … 6 = Saturday'),
        from: z.string().describe('HH:MM'),
        to: z.string().describe('HH:MM; before `from` spans midnight'),
        timeZone: z.string().describe('IANA name, e.g. Asia/Shanghai'),
      }),
    )
    .default([])
    .describe('empty = always'),
  groupBy: z.array(z.string().min(1)).default(['alertname']),
  groupWaitSeconds: z.number().int().min(0).max(86_400).default(30),
  groupIntervalSeconds: z.number().int().min(1).max(86_400).default(300),
  repeatIntervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(14_400),
  steps: z
    .array(z.object({ afterMinutes: z.number().int().min(0), channelIds: z.array(z.uuid()) }))
    .min(1)
    .describe('step 0 notifies at once; each later step if still not acknowledged after afterMinutes'),
  templateId: z.uuid().nullable().default(null),
});

const Rule = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  matchers: z.array(z.string()),
  severities: z.array(z.string()),
  windows: z.array(
    z.object({ days: z.array(z.number()), from: z.string(), to: z.string(), timeZone: z.string() }),
  ),
  groupBy: z.array(z.string()),
  groupWaitSeconds: z.number(),
  groupIntervalSeconds: z.number(),
  repeatIntervalSeconds: z.number(),
  steps: z.array(z.object({ afterMinutes: z.number(), channelIds: z.array(z.string()) })),
  templateId: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** Notification rules: CRUD, audited. */
export function ruleRoutes(app: App, rules: RuleStore, identity: IdentityService): void {
  const tags = ['notifications'];
  const read = { permission: 'notify:read' } as const;
  const write = { permission: 'notify:write' } as const;
  app.get('/api/v1/notify/rules', { config: read, schema: { tags, response: { 200: z.array(Rule) } } }, () =>
    rules.list(),
  );
  app.get(
    '/api/v1/notify/rules/:id',
    { config: read, schema: { tags, params: Id, response: { 200: Rule } } },
    (req) => rules.get(req.params.id),
  );
  app.post(
    '/api/v1/notify/rules',
    { config: write, schema: { tags, body: RuleBody, response: { 201: Rule } } },
    async (req, reply) => {
      const rule = await rules.create(req.body, actorOf(req));
      await identity.audit(actorOf(req), 'rule.create', `rule:${rule.name}`, undefined, rule);
      return reply.code(201).send(rule);
    },
  );
  app.put(
    '/api/v1/notify/rules/:id',
    { config: write, schema: { tags, params: Id, body: RuleBody, response: { 200: Rule } } },
    async (req) => {
      const { before, after } = await rules.replace(req.params.id, req.body);
      await identity.audit(actorOf(req), 'rule.update', `rule:${after.name}`, before, after);
      return after;
    },
  );
  app.delete(
    '/api/v1/notify/rules/:id',
    { config: write, schema: { tags, params: Id, response: { 204: z.null().describe('deleted') } } },
    async (req, reply) => {
      const gone = await rules.remove(req.params.id);
      await identity.audit(actorOf(req), 'rule.delete', `rule:${gone.name}`, gone);
      return reply.code(204).send(null);
    },
  );
}
