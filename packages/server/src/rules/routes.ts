import { z } from 'zod';
import type { App } from '../http/app.ts';
import { actorOf } from '../identity/auth.ts';
import type { GroupInput, RuleService } from './service.ts';

const Duration = z.string().max(20).default('').describe('a Prometheus duration such as 5m; empty: none');
const LabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name: letters, digits and _');
const Labels = z
  .record(LabelName, z.string().max(1000))
  .refine((l) => Object.keys(l).length <= 30, 'at most 30')
  .default({});

const RuleBody = z
  .object({
    id: z.uuid().optional().describe("an existing rule's id keeps its identity (and the alerts' link to it)"),
    name: z.string().trim().min(1).max(200),
    expr: z.string().trim().min(1).max(10_000),
    for: Duration,
    keep_firing_for: Duration,
    severity: z.string().trim().min(1).max(50).default('warning'),
    labels: Labels,
    annotations: z
      .record(LabelName, z.string().max(10_000))
      .refine((l) => Object.keys(l).length <= 30, 'at most 30')
      .default({})
      .describe('Go templates, rendered by Prometheus or vmalert'),
    enabled: z.boolean().default(true),
  })
  .strict();

const GroupBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    datasource_id: z.uuid().nullable().default(null),
    interval: Duration,
    rules: z.array(RuleBody).max(200),
    comment: z.string().max(2000).default(''),
  })
  .strict();

const Rule = z.object({
  id: z.string(),
  name: z.string(),
  expr: z.string(),
  for: z.string(),
  keepFiringFor: z.string(),
  severity: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  enabled: z.boolean(),
});
const Group = z.object({
  id: z.string(),
  name: z.string(),
  datasourceId: z.string().nullable(),
  interval: z.string(),
  rules: z.array(Rule),
  revision: z.number(),
  author: z.string(),
  comment: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const Id = z.object({ id: z.uuid() });
const Episode = z.object({ start: z.number(), end: z.number(), firingAt: z.number().nullable() });
const RuleTest = z.object({
  step: z.number(),
  start: z.number(),
  end: z.number(),
  firingNow: z.number(),
  series: z.array(z.object({ labels: z.record(z.string(), z.string()), episodes: z.array(Episode) })),
  truncated: z.boolean(),
});
const Revisions = z.object({
  items: z.array(
    z.object({
      revision: z.number(),
      author: z.string(),
      comment: z.string(),
      createdAt: z.string(),
      rules: z.number(),
    }),
  ),
});
const Rendered = z.object({
  text: z.string(),
  dropped: z.array(z.object({ rule: z.string(), field: z.string(), why: z.string() })),
});
const Diff = z.object({
  from: z.number(),
  to: z.number(),
  flavor: z.string(),
  diff: z.string(),
  changed: z.boolean(),
});
const Rev = z.object({ id: z.uuid(), revision: z.coerce.number().int().min(1) });
const Flavor = z.enum(['prometheus', 'vmalert']).default('prometheus');

const input = (b: z.infer<typeof GroupBody>): GroupInput => ({
  name: b.name,
  datasourceId: b.datasource_id,
  interval: b.interval,
  comment: b.comment,
  rules: b.rules.map((r) => ({
    ...(r.id ? { id: r.id } : {}),
    name: r.name,
    expr: r.expr,
    for: r.for,
    keepFiringFor: r.keep_firing_for,
    severity: r.severity,
    labels: r.labels,
    annotations: r.annotations,
    enabled: r.enabled,
  })),
});

/** Alerting rule groups under /api/v1/rule-groups: saves checked by promtool and vmalert, revisions, diff, restore. */
export function ruleGroupRoutes(app: App, rules: RuleService): void {
  const tags = ['rules'];
  const read = { permission: 'alertrule:read' as const };
  const write = { permission: 'alertrule:write' as const };
  const base = '/api/v1/rule-groups';

  app.get(
    base,
    { config: read, schema: { tags, response: { 200: z.object({ items: z.array(Group) }) } } },
    async () => ({
      items: await rules.list(),
    }),
  );
  app.post(
    base,
    {
      config: write,
      schema: {
        tags,
        summary: 'Create a group (revision 1); 400 with promtool/vmalert problems per rule field',
        body: GroupBody,
        response: { 201: Group },
      },
    },
    async (req, reply) => reply.code(201).send(await rules.create(actorOf(req), input(req.body))),
  );
  app.post(
    `${base}/test-rule`,
    {
      config: read,
      schema: {
        tags,
        summary:
          'Run an expression on a data source now and over the last hours: which series would be pending and firing when (nothing is saved)',
        body: z
          .object({
            datasource_id: z.uuid(),
            expr: z.string().trim().min(1).max(10_000),
            for: z.string().max(20).default(''),
            hours: z.number().int().min(1).max(24).default(3),
          })
          .strict(),
        response: { 200: RuleTest },
      },
    },
    async (req) =>
      rules.testRule({
        datasourceId: req.body.datasource_id,
        expr: req.body.expr,
        for: req.body.for,
        hours: req.body.hours,
      }),
  );
  app.get(
    `${base}/:id`,
    { config: read, schema: { tags, params: Id, response: { 200: Group } } },
    async (req) => rules.get(req.params.id),
  );
  app.put(
    `${base}/:id`,
    {
      config: write,
      schema: {
        tags,
        summary: 'Save a new revision (none when nothing changed)',
        params: Id,
        body: GroupBody,
        response: { 200: Group },
      },
    },
    async (req) => rules.update(actorOf(req), req.params.id, input(req.body)),
  );
  app.delete(
    `${base}/:id`,
    { config: write, schema: { tags, params: Id, response: { 204: z.null().describe('deleted') } } },
    async (req, reply) => {
      await rules.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.get(
    `${base}/:id/revisions`,
    {
      config: read,
      schema: { tags, summary: 'Revisions, newest first', params: Id, response: { 200: Revisions } },
    },
    async (req) => ({ items: await rules.revisions(req.params.id) }),
  );
  app.get(
    `${base}/:id/rendered`,
    {
      config: read,
      schema: {
        tags,
        summary: 'The rule file a peer gets (at a revision; default the current one)',
        params: Id,
        querystring: z.object({ flavor: Flavor, revision: z.coerce.number().int().min(1).optional() }),
        response: { 200: Rendered },
      },
    },
    async (req) => rules.rendered(req.params.id, req.query.flavor, req.query.revision),
  );
  app.get(
    `${base}/:id/diff`,
    {
      config: read,
      schema: {
        tags,
        summary: 'How the rule file changed between two revisions (unified diff)',
        params: Id,
        querystring: z.object({
          from: z.coerce.number().int().min(1),
          to: z.coerce.number().int().min(1),
          flavor: Flavor,
        }),
        response: { 200: Diff },
      },
    },
    async (req) => rules.diff(req.params.id, req.query.from, req.query.to, req.query.flavor),
  );
  app.post(
    `${base}/:id/revisions/:revision/restore`,
    {
      config: write,
      schema: {
        tags,
        summary: "Save an earlier revision's content as a new revision",
        params: Rev,
        body: z
          .object({ comment: z.string().max(2000).default('') })
          .strict()
          .default({ comment: '' }),
        response: { 200: Group },
      },
    },
    async (req) => rules.restore(actorOf(req), req.params.id, req.params.revision, req.body.comment),
  );
}
