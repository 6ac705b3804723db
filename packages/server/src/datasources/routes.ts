import { z } from 'zod';
import type { App } from '../http/app.ts';
import { Problem } from '../http/problem.ts';
import { actorOf } from '../identity/auth.ts';
import type { PeerAnswer } from './client.ts';
import type { DatasourceService } from './service.ts';
import { AUTH_TYPES, KINDS } from './store.ts';

const Labels = z
  .record(z.string().max(100), z.string().max(200))
  .refine((l) => Object.keys(l).length <= 50, 'at most 50 labels');

const Body = z
  .object({
    name: z.string().trim().min(1).max(100),
    kind: z.enum(KINDS),
    url: z
      .string()
      .max(2000)
      .describe('base URL of its HTTP API, e.g. http://prometheus:9090 or https://vm/select/0/prometheus'),
    auth: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('none') }).strict(),
        z
          .object({
            type: z.literal('basic'),
            username: z.string().min(1).max(200),
            password: z
              .string()
              .min(1)
              .max(1000)
              .optional()
              .describe('write-only; left out, the stored one is kept'),
          })
          .strict(),
        z
          .object({
            type: z.literal('bearer'),
            token: z
              .string()
              .min(1)
              .max(4000)
              .optional()
              .describe('write-only; left out, the stored one is kept'),
          })
          .strict(),
      ])
      .default({ type: 'none' }),
    tls: z
      .object({
        ca: z.string().max(20_000).optional().describe('PEM; write-only like a secret, shown as hasCa'),
        insecure_skip_verify: z.boolean().default(false),
        server_name: z.string().max(253).optional(),
      })
      .strict()
      .default({ insecure_skip_verify: false }),
    labels: Labels.default({}),
  })
  .strict();

const View = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(KINDS),
  url: z.string(),
  authType: z.enum(AUTH_TYPES),
  username: z.string(),
  hasSecret: z.boolean(),
  tls: z.object({ hasCa: z.boolean(), insecureSkipVerify: z.boolean(), serverName: z.string() }),
  labels: z.record(z.string(), z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const Id = z.object({ id: z.uuid() });
const Names = { 200: z.object({ items: z.array(z.string()) }) };
const QueryAnswer = {
  200: z
    .object({ resultType: z.string(), result: z.array(z.unknown()) })
    .describe("the data source's own answer: resultType (vector, matrix, scalar, string) and result"),
};
const Match = z.object({
  match: z.string().max(2000).optional().describe('a series selector to narrow by, e.g. {job="node"}'),
});

/** A peer's failure is the peer's, not ours: 502 with what it said (never its whole answer). */
function unwrap<T>(a: PeerAnswer<T>, what: string): T {
  if (a.ok) return a.data;
  throw new Problem(502, 'Bad Gateway', `${what}: ${a.error}`);
}

const input = (b: z.infer<typeof Body>) => ({
  name: b.name,
  kind: b.kind,
  url: b.url,
  authType: b.auth.type,
  ...(b.auth.type === 'basic' ? { username: b.auth.username, secret: b.auth.password } : {}),
  ...(b.auth.type === 'bearer' ? { secret: b.auth.token } : {}),
  tls: {
    ...(b.tls.ca !== undefined ? { ca: b.tls.ca } : {}),
    insecureSkipVerify: b.tls.insecure_skip_verify,
    ...(b.tls.server_name ? { serverName: b.tls.server_name } : {}),
  },
  labels: b.labels,
});

/** Data sources under /api/v1/datasources: CRUD, a connection test, metric and label browsing, query previews. */
export function datasourceRoutes(app: App, sources: DatasourceService): void {
  const tags = ['datasources'];
  const read = { permission: 'datasource:read' as const };
  const write = { permission: 'datasource:write' as const };
  const base = '/api/v1/datasources';
  const promOnly = ['prometheus', 'victoriametrics'] as const;

  app.get(
    base,
    { config: read, schema: { tags, response: { 200: z.object({ items: z.array(View) }) } } },
    async () => ({
      items: await sources.list(),
    }),
  );
  app.post(
    base,
    { config: write, schema: { tags, body: Body, response: { 201: View } } },
    async (req, reply) => reply.code(201).send(await sources.create(actorOf(req), input(req.body))),
  );
  app.get(
    `${base}/:id`,
    { config: read, schema: { tags, params: Id, response: { 200: View } } },
    async (req) => sources.get(req.params.id),
  );
  app.put(
    `${base}/:id`,
    { config: write, schema: { tags, params: Id, body: Body, response: { 200: View } } },
    async (req) => sources.update(actorOf(req), req.params.id, input(req.body)),
  );
  app.delete(
    `${base}/:id`,
    { config: write, schema: { tags, params: Id, response: { 204: z.null().describe('deleted') } } },
    async (req, reply) => {
      await sources.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.post(
    `${base}/:id/test`,
    {
      config: read,
      schema: {
        tags,
        summary: 'Reach the data source now: its version, or why it could not be reached',
        params: Id,
        response: {
          200: z.object({
            ok: z.boolean(),
            version: z.string().optional(),
            error: z.string().optional(),
            ms: z.number(),
          }),
        },
      },
    },
    async (req) => {
      const a = await (await sources.client(req.params.id)).check();
      return a.ok
        ? { ok: true, version: a.data.version, ms: Math.round(a.ms) }
        : { ok: false, error: a.error, ms: Math.round(a.ms) };
    },
  );
  app.get(
    `${base}/:id/metrics`,
    {
      config: read,
      schema: {
        tags,
        summary: 'Metric names (__name__ values)',
        params: Id,
        querystring: Match,
        response: Names,
      },
    },
    async (req) => ({
      items: unwrap(
        await (await sources.client(req.params.id, promOnly)).labelValues('__name__', req.query.match),
        'metric names',
      ),
    }),
  );
  app.get(
    `${base}/:id/labels`,
    {
      config: read,
      schema: { tags, summary: 'Label names', params: Id, querystring: Match, response: Names },
    },
    async (req) => ({
      items: unwrap(
        await (await sources.client(req.params.id, promOnly)).labels(req.query.match),
        'label names',
      ),
    }),
  );
  app.get(
    `${base}/:id/labels/:name/values`,
    {
      config: read,
      schema: {
        tags,
        summary: "A label's values",
        params: z.object({
          id: z.uuid(),
          name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name'),
        }),
        querystring: Match,
        response: Names,
      },
    },
    async (req) => ({
      items: unwrap(
        await (await sources.client(req.params.id, promOnly)).labelValues(req.params.name, req.query.match),
        `values of ${req.params.name}`,
      ),
    }),
  );
  const Expr = z.string().trim().min(1).max(10_000);
  const Time = z.string().max(40).describe('RFC 3339 or a Unix time in seconds');
  app.post(
    `${base}/:id/query`,
    {
      config: read,
      schema: {
        tags,
        summary: "An instant query's result, as the data source answers it (resultType and result)",
        params: Id,
        body: z.object({ query: Expr, time: Time.optional() }).strict(),
        response: QueryAnswer,
      },
    },
    async (req) =>
      unwrap(
        await (await sources.client(req.params.id, promOnly)).query(req.body.query, req.body.time),
        'query',
      ),
  );
  app.post(
    `${base}/:id/query_range`,
    {
      config: read,
      schema: {
        tags,
        summary: 'A range query for a preview chart (at most 11,000 points per series, as Prometheus allows)',
        params: Id,
        body: z
          .object({
            query: Expr,
            start: Time,
            end: Time,
            step: z.string().max(20).describe('seconds or a duration, e.g. 60 or 1m'),
          })
          .strict(),
        response: QueryAnswer,
      },
    },
    async (req) =>
      unwrap(
        await (await sources.client(req.params.id, promOnly)).queryRange(
          req.body.query,
          req.body.start,
          req.body.end,
          req.body.step,
        ),
        'range query',
      ),
  );
}
