import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { App } from '../http/app.ts';
import { labelFilter } from '../http/list-query.ts';
import { badRequest } from '../http/problem.ts';
import { actorOf } from '../identity/auth.ts';
import type { Permission } from '../identity/permissions.ts';
import { RULE_LABEL } from '../rules/render.ts';
import { type InboundAlert, IngestError, parseAlertmanager, parseGeneric, parseVmalert } from './ingest.ts';
import type { AlertService, UserAction } from './service.ts';

const STATES = ['firing', 'acknowledged', 'silenced', 'resolved', 'closed'] as const;
const SEVERITIES = ['critical', 'high', 'warning', 'info', 'low'] as const;
const list = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(values)));

const ListQuery = z.object({
  status: list(STATES)
    .optional()
    .describe(`comma-separated: ${STATES.join(', ')}`),
  severity: list(SEVERITIES)
    .optional()
    .describe(`comma-separated: ${SEVERITIES.join(', ')}`),
  label: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('name=value, repeatable; every one must match'),
  source: z.enum(['alertmanager', 'vmalert', 'generic']).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('last seen at or after (RFC 3339)'),
  to: z.iso.datetime({ offset: true }).optional().describe('last seen before (RFC 3339)'),
  q: z.string().max(200).optional().describe('text in the name, labels or annotations'),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const Accepted = z.object({
  received: z.number(),
  created: z.number(),
  changed: z.number(),
  refreshed: z.number(),
});

// What the answers hold: the serializer sends exactly these fields, so a field a service adds
// reaches clients once it is described here.
const time = z.string().describe('RFC 3339, UTC');
const AlertSummary = z.object({
  fingerprint: z.string(),
  name: z.string(),
  state: z.enum(STATES),
  severity: z.string(),
  source: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: time.nullable(),
  lastSeen: time,
  instanceId: z.string().nullable(),
  generatorURL: z.string().nullish(),
});
const Instance = z.object({
  id: z.string(),
  state: z.enum(STATES),
  endedBy: z.string().nullable().describe('source, time, user or superseded'),
  acknowledgedBy: z.string().nullable(),
  generatorURL: z.string().nullable(),
  starts_at: time.nullish(),
  ends_at: time.nullish(),
  last_seen: time.nullish(),
  acknowledged_at: time.nullish(),
  resolved_at: time.nullish(),
  closed_at: time.nullish(),
});
const HistoryEntry = z.object({
  id: z.string(),
  instanceId: z.string(),
  at: time,
  event: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  actor: z.string().nullable(),
  note: z.string().nullable(),
});
const nextCursor = z.string().nullable().describe('pass as ?cursor= for the next page; null on the last');
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor });
const Buckets = z.array(z.object({ at: time, severity: z.string(), count: z.number() }));
const Stats = z.object({
  from: time,
  to: time,
  bucketSeconds: z.number(),
  now: z.object({
    byState: z.record(z.string(), z.number()),
    bySeverity: z.record(z.string(), z.number()),
  }),
  started: Buckets,
  resolved: Buckets,
  mttaSeconds: z.number().nullable(),
  acknowledgedCount: z.number(),
  mttrSeconds: z.number().nullable(),
  resolvedCount: z.number(),
});
const AlertDetail = z.object({
  alert: AlertSummary,
  rule: z
    .object({ groupId: z.string(), group: z.string(), ruleId: z.string(), name: z.string() })
    .nullable()
    .describe('the platform rule that raised it (its opsfleet_rule label), when it still exists'),
  instances: z.array(Instance),
  instancesCursor: nextCursor,
  history: z.array(HistoryEntry),
  historyCursor: nextCursor,
});

/**
 * Alert ingestion (Alertmanager webhook v4, vmalert's `/api/v2/alerts` array, a generic JSON
 * shape) and the alert center's query and action API. Ingestion answers 202 once the batch is
 * committed, so a re-send after a timeout is harmless.
 */
/** The platform rule an `opsfleet_rule` label names (rules/), when it still exists. */
export type RuleLookup = (
  ruleId: string,
) => Promise<{ groupId: string; group: string; ruleId: string; name: string } | null>;

export function alertRoutes(app: App, alerts: AlertService, ruleOf: RuleLookup = async () => null): void {
  const ingest = (parse: (body: unknown) => InboundAlert[]) => async (req: FastifyRequest) => {
    let batch: InboundAlert[];
    try {
      batch = parse(req.body);
    } catch (err) {
      if (err instanceof IngestError) throw badRequest(err.message, err.problems);
      throw err;
    }
    return alerts.ingest(batch, actorOf(req));
  };
  const webhook = { tags: ['alerts'], body: z.unknown(), response: { 202: Accepted } };
  const ingestConfig = { permission: 'alert:ingest' } as const;

  app.post(
    '/api/v1/webhooks/alertmanager',
    { config: ingestConfig, schema: { ...webhook, summary: 'Alertmanager webhook (v4 payload)' } },
    async (req, reply) => reply.code(202).send(await ingest(parseAlertmanager)(req)),
  );
  for (const url of ['/api/v1/webhooks/vmalert', '/api/v2/alerts'])
    app.post(
      url,
      {
        config: ingestConfig,
        schema: { ...webhook, summary: 'vmalert notifier (a bare array; point -notifier.url at the server)' },
      },
      async (req, reply) => reply.code(202).send(await ingest((b) => parseVmalert(b, new Date()))(req)),
    );
  app.post(
    '/api/v1/webhooks/generic',
    {
      config: ingestConfig,
      schema: { ...webhook, summary: 'Generic alerts: one object or {alerts: [...]}' },
    },
    async (req, reply) => reply.code(202).send(await ingest((b) => parseGeneric(b, new Date()))(req)),
  );

  app.get(
    '/api/v1/alerts',
    {
      config: { permission: 'alert:read' },
      schema: { tags: ['alerts'], querystring: ListQuery, response: { 200: page(AlertSummary) } },
    },
    async (req) => {
      const q = req.query;
      return alerts.list({
        states: q.status,
        severities: q.severity,
        labels: labelFilter(q.label),
        source: q.source,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        text: q.q,
        cursor: q.cursor,
        limit: q.limit,
      });
    },
  );

  app.get(
    '/api/v1/alerts/stats',
    {
      config: { permission: 'alert:read' },
      schema: {
        tags: ['alerts'],
        summary: 'Counts now, started/resolved per bucket by severity, MTTA and MTTR',
        querystring: z.object({
          from: z.iso.datetime({ offset: true }).optional().describe('default: 24 hours ago'),
          to: z.iso.datetime({ offset: true }).optional().describe('default: now'),
          bucket: z.coerce
            .number()
            .int()
            .min(60)
            .max(86_400 * 31)
            .default(3600)
            .describe('seconds'),
        }),
        response: { 200: Stats },
      },
    },
    async (req) => {
      const to = req.query.to ? new Date(req.query.to) : new Date();
      const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 86_400_000);
      if (from >= to)
        throw badRequest('from must be before to', [{ path: 'query.from', message: 'must be before to' }]);
      if ((to.getTime() - from.getTime()) / 1000 / req.query.bucket > 2000)
        throw badRequest('too many buckets: use a larger bucket or a shorter range', [
          { path: 'query.bucket', message: 'at most 2000 buckets per request' },
        ]);
      // The console's view (the last day, up to now) is served from a snapshot a few seconds old.
      if (!req.query.from && !req.query.to) return alerts.recentStats(86_400_000, req.query.bucket);
      return alerts.stats(from, to, req.query.bucket);
    },
  );

  const Fingerprint = z.object({ fingerprint: z.string().min(1).max(128) });
  app.get(
    '/api/v1/alerts/:fingerprint',
    {
      config: { permission: 'alert:read' },
      schema: { tags: ['alerts'], params: Fingerprint, response: { 200: AlertDetail } },
    },
    async (req) => {
      const detail = await alerts.get(req.params.fingerprint);
      const ruleId = detail.alert.labels[RULE_LABEL];
      return { ...detail, rule: ruleId ? await ruleOf(ruleId) : null };
    },
  );
  const Page = z.object({
    cursor: z.string().max(512).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  });
  app.get(
    '/api/v1/alerts/:fingerprint/instances',
    {
      config: { permission: 'alert:read' },
      schema: {
        tags: ['alerts'],
        summary: "An alert's episodes, newest first",
        params: Fingerprint,
        querystring: Page,
        response: { 200: page(Instance) },
      },
    },
    async (req) => alerts.instances(req.params.fingerprint, req.query.limit, req.query.cursor),
  );
  app.get(
    '/api/v1/alerts/:fingerprint/history',
    {
      config: { permission: 'alert:read' },
      schema: {
        tags: ['alerts'],
        summary: "An alert's state changes, newest first",
        params: Fingerprint,
        querystring: Page,
        response: { 200: page(HistoryEntry) },
      },
    },
    async (req) => alerts.history(req.params.fingerprint, req.query.limit, req.query.cursor),
  );
  const needs: Record<UserAction, Permission> = {
    acknowledge: 'alert:acknowledge',
    unacknowledge: 'alert:acknowledge',
    resolve: 'alert:resolve',
    close: 'alert:close',
  };
  for (const action of Object.keys(needs) as UserAction[])
    app.post(
      `/api/v1/alerts/:fingerprint/${action}`,
      {
        config: { permission: needs[action] },
        schema: {
          tags: ['alerts'],
          params: Fingerprint,
          body: z.object({ note: z.string().max(2000).optional() }).nullish(),
          response: { 200: AlertSummary },
        },
      },
      async (req) => alerts.act(req.params.fingerprint, action, actorOf(req), req.body?.note),
    );
}
