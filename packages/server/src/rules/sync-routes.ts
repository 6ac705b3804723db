import { z } from 'zod';
import type { App } from '../http/app.ts';
import { actorOf, agentOf } from '../identity/auth.ts';
import type { SyncService } from './sync.ts';
import { TARGET_KINDS } from './sync-store.ts';

const Body = z
  .object({
    name: z.string().trim().min(1).max(200),
    kind: z.enum(TARGET_KINDS),
    agent_id: z.uuid().nullable().default(null).describe('the host whose ConfigAgent applies it'),
    datasource_id: z
      .uuid()
      .nullable()
      .default(null)
      .describe('prometheus/vmalert: its rules are this data source’s rule groups'),
    base_config: z
      .string()
      .max(1024 * 1024)
      .default('')
      .describe("alertmanager: the operator's alertmanager.yml"),
    webhook_url: z
      .string()
      .max(2000)
      .default('')
      .describe("alertmanager: the server's webhook URL as Alertmanager reaches it"),
    password_file: z
      .string()
      .max(1000)
      .default('')
      .describe('alertmanager: where the ingest key lives on its host'),
  })
  .strict();

const PeerHealth = z.object({
  up: z.boolean().describe('its /metrics answered'),
  reloadSuccessful: z
    .boolean()
    .nullable()
    .describe('its own *_config_last_reload_successful; null when it does not say'),
  error: z.string().max(1000).optional().describe('why it could not be read'),
});
const Target = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(TARGET_KINDS),
  agentId: z.string().nullable(),
  datasourceId: z.string().nullable(),
  baseConfig: z.string(),
  webhookUrl: z.string(),
  passwordFile: z.string(),
  hasIngestKey: z
    .boolean()
    .describe('alertmanager: an ingest key for its webhook exists; only its ConfigAgent receives it'),
  latestVersion: z.number().nullable(),
  pinnedVersion: z.number().nullable(),
  desiredVersion: z.number().nullable(),
  appliedVersion: z.number().nullable(),
  inSync: z.boolean(),
  lastAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  peer: PeerHealth.extend({ checkedAt: z.string() })
    .nullable()
    .describe('what its ConfigAgent last saw of the peer; null until it reported'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const Versions = z.object({
  items: z.array(
    z.object({ version: z.number(), hash: z.string(), files: z.array(z.string()), createdAt: z.string() }),
  ),
});
const VersionFiles = z.object({
  version: z.number(),
  hash: z.string(),
  files: z.record(z.string(), z.string()),
  createdAt: z.string(),
});
/** A target as its ConfigAgent loads it: the desired version's files. */
const AgentTarget = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(TARGET_KINDS),
  version: z.number().describe('the desired version: the pinned one, else the newest'),
  hash: z.string(),
  files: z.record(z.string(), z.string()).describe('file name → content'),
  passwordFile: z.string().nullable().describe('alertmanager: where to write ingestKey'),
  ingestKey: z
    .string()
    .nullable()
    .describe('alertmanager: the API key its webhook sends (basic auth api_key:<key>)'),
});
const Status = z
  .object({
    appliedVersion: z
      .number()
      .int()
      .min(1)
      .nullable()
      .describe('the version the peer runs now (after a revert: the last good one); null when unknown'),
    attemptedVersion: z.number().int().min(1).nullable().describe('the version this attempt tried to apply'),
    ok: z.boolean(),
    error: z.string().max(16_000).optional().describe('why it failed: the tool output, the reload error'),
    peer: PeerHealth.strict().optional().describe('the peer as the agent sees it now'),
  })
  .strict();
const AGENT_KEY = "a ConfigAgent calls with its agent's own API key (role agent)";
const Id = z.object({ id: z.uuid() });
const Version = z.object({ id: z.uuid(), version: z.coerce.number().int().min(1) });

/**
 * Config sync targets under /api/v1/sync-targets: versions, diff, dry run, pin (rollback); and
 * under /api/v1/agent/sync-targets what a ConfigAgent loads and reports.
 */
export function syncTargetRoutes(app: App, sync: SyncService): void {
  const tags = ['rules'];
  const read = { permission: 'alertrule:read' as const };
  const write = { permission: 'alertrule:write' as const };
  const base = '/api/v1/sync-targets';
  const input = (b: z.infer<typeof Body>) => ({
    name: b.name,
    kind: b.kind,
    agentId: b.agent_id,
    datasourceId: b.datasource_id,
    baseConfig: b.base_config,
    webhookUrl: b.webhook_url,
    passwordFile: b.password_file,
  });

  app.get(
    base,
    { config: read, schema: { tags, response: { 200: z.object({ items: z.array(Target) }) } } },
    async () => ({
      items: await sync.list(),
    }),
  );
  app.post(
    base,
    { config: write, schema: { tags, body: Body, response: { 201: Target } } },
    async (req, reply) => reply.code(201).send(await sync.create(actorOf(req), input(req.body))),
  );
  app.get(
    `${base}/:id`,
    { config: read, schema: { tags, params: Id, response: { 200: Target } } },
    async (req) => sync.get(req.params.id),
  );
  app.put(
    `${base}/:id`,
    { config: write, schema: { tags, params: Id, body: Body, response: { 200: Target } } },
    async (req) => sync.update(actorOf(req), req.params.id, input(req.body)),
  );
  app.delete(
    `${base}/:id`,
    { config: write, schema: { tags, params: Id, response: { 204: z.null().describe('deleted') } } },
    async (req, reply) => {
      await sync.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.get(
    `${base}/:id/versions`,
    {
      config: read,
      schema: { tags, summary: 'Versions, newest first', params: Id, response: { 200: Versions } },
    },
    async (req) => ({
      items: await sync.versions(req.params.id),
    }),
  );
  app.get(
    `${base}/:id/versions/:version`,
    {
      config: read,
      schema: { tags, summary: 'A version with its files', params: Version, response: { 200: VersionFiles } },
    },
    async (req) => sync.version(req.params.id, req.params.version),
  );
  app.get(
    `${base}/:id/diff`,
    {
      config: read,
      schema: {
        tags,
        params: Id,
        querystring: z.object({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) }),
        response: { 200: z.object({ from: z.number(), to: z.number(), diff: z.string() }) },
      },
    },
    async (req) => sync.diff(req.params.id, req.query.from, req.query.to),
  );
  app.get(
    `${base}/:id/dry-run`,
    {
      config: read,
      schema: {
        tags,
        summary: 'What a sync would change on the peer: applied version → what it should load now',
        params: Id,
        response: {
          200: z.object({ appliedVersion: z.number().nullable(), changed: z.boolean(), diff: z.string() }),
        },
      },
    },
    async (req) => sync.dryRun(req.params.id),
  );
  app.post(
    `${base}/:id/pin`,
    {
      config: write,
      schema: {
        tags,
        summary: 'Pin a version (roll back to it), or unpin with null: the target then follows the newest',
        params: Id,
        body: z.object({ version: z.number().int().min(1).nullable() }).strict(),
        response: { 200: Target },
      },
    },
    async (req) => sync.pin(actorOf(req), req.params.id, req.body.version),
  );

  const agent = { permission: 'agent:commands' as const };
  app.get(
    '/api/v1/agent/sync-targets',
    {
      config: agent,
      schema: {
        tags,
        summary: "The calling agent's targets that have a desired version, with that version's files",
        response: { 200: z.object({ items: z.array(AgentTarget) }) },
      },
    },
    async (req) => sync.agentTargets(agentOf(req, AGENT_KEY).id),
  );
  app.post(
    '/api/v1/agent/sync-targets/:id/status',
    {
      config: agent,
      schema: {
        tags,
        summary:
          'The outcome of a sync of one of its targets; a failure raises an alert, the next success resolves it',
        params: Id,
        body: Status,
        response: { 200: z.object({ inSync: z.boolean() }) },
      },
    },
    async (req) => sync.report(agentOf(req, AGENT_KEY), req.params.id, req.body),
  );
}
