import { z } from 'zod';
import type { App } from '../http/app.ts';
import { pageCursor, pageLimit } from '../http/list-query.ts';
import { actorOf } from '../identity/auth.ts';
import { INSTALLATION_STATES } from './select.ts';
import { OPERATIONS, projectView, type ReleaseService } from './service.ts';
import { TARGET_STATES, TASK_STATES } from './state.ts';
import { knownZone } from './window.ts';

const MAX_JSON = 64 * 1024;
const MAX_SCRIPT = 256 * 1024;
const fits = (v: unknown) => v === undefined || JSON.stringify(v).length <= MAX_JSON;
const JsonObject = z.record(z.string(), z.unknown()).refine(fits, 'at most 64 KiB of JSON');

const Name = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'letters, digits, dot, dash and underscore, starting with a letter or digit',
  );
const VersionText = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.+_-]*$/, 'letters, digits and . + _ -, e.g. 1.4.2 or 2026.12.07-1');
const Script = z.string().max(MAX_SCRIPT).describe('a shell script the agent runs for this operation');
const Sha256 = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits')
  .transform((s) => s.toLowerCase());
const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00 to 23:59');

const ContainerNaming = z
  .object({
    prefix: z.string().max(40).optional(),
    separator: z.enum(['-', '_', '.']).optional(),
    include_env: z.boolean().optional(),
    include_version: z.boolean().optional(),
    max_length: z.number().int().min(8).max(253).optional(),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholders are the naming syntax, not JS
    template: z.string().max(200).optional().describe('e.g. ${PREFIX}-${ENV}-${INDEX}'),
  })
  .strict()
  .describe('how containers of this project are named');

const ReleaseWindow = z
  .object({
    timezone: z
      .string()
      .min(1)
      .max(64)
      .refine(knownZone, 'not a time zone this server knows: use an IANA name such as Europe/Berlin or UTC')
      .describe('an IANA zone, e.g. Europe/Berlin'),
    days: z
      .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))
      .min(1)
      .max(7),
    start: Hhmm,
    end: Hhmm,
  })
  .strict()
  .nullable()
  .describe(
    'when deploys may start: local start–end on these days (end at or before start: past midnight); a batch started inside runs to its end',
  );

const Approvers = z
  .array(z.string().min(1).max(100))
  .max(50)
  .describe('usernames who may approve; empty: anyone with release:approve except the task creator');

const Labels = z
  .record(z.string().max(100), z.string().max(200))
  .refine((l) => Object.keys(l).length <= 50, 'at most 50 labels');

const ProjectBody = z
  .object({
    name: Name,
    description: z.string().max(2000).default(''),
    container_naming: ContainerNaming.default({}),
  })
  .strict();
const EnvironmentBody = z
  .object({
    name: Name,
    release_window: ReleaseWindow.default(null),
    approval_required: z.boolean().default(false),
    approvers: Approvers.default([]),
  })
  .strict();
const TargetBody = z
  .object({
    environment: z.uuid().describe("the environment's id"),
    agent: z.uuid().describe("a registered agent's id (GET /api/v1/agents)"),
    labels: Labels.default({}),
    priority: z
      .number()
      .int()
      .min(-1000)
      .max(1000)
      .default(0)
      .describe('higher goes first, and into a canary'),
  })
  .strict();
const VersionBody = z
  .object({
    version: VersionText,
    install_script: Script.optional(),
    update_script: Script.optional(),
    rollback_script: Script.optional(),
    uninstall_script: Script.optional(),
    artifact_url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .nullable()
      .optional(),
    artifact_sha256: Sha256.nullable().optional(),
    process_config: JsonObject.optional().describe('which processes belong to this version, for monitoring'),
    status: z.enum(['draft', 'active', 'deprecated']).optional(),
  })
  .strict();

const Strategy = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('all-at-once') }).strict(),
    z
      .object({
        type: z.literal('rolling'),
        batchSize: z.number().int().min(1).max(10_000),
        intervalSeconds: z.number().int().min(0).max(86_400).default(0),
      })
      .strict(),
    z
      .object({
        type: z.literal('canary'),
        targets: z.array(z.uuid()).min(1).max(1000).optional().describe('agent ids to go first'),
        percent: z.number().min(1).max(100).optional().describe('else this share of the targets, rounded up'),
      })
      .strict(),
  ])
  .default({ type: 'all-at-once' });

const Selection = {
  project: z.uuid(),
  environment: z.uuid(),
  client_ids: z.array(z.uuid()).min(1).max(10_000).optional().describe('agent ids to act on'),
  auto_select_clients: z
    .boolean()
    .default(false)
    .describe('take the targets that have source_version installed'),
  source_version: VersionText.optional(),
  strategy: Strategy,
};
const PreviewBody = z.object(Selection).strict();
const TaskBody = z
  .object({
    ...Selection,
    version: z.uuid().describe("the version's id"),
    operation: z.enum(OPERATIONS),
    failure_strategy: z.enum(['continue', 'pause', 'abort']).default('continue'),
    scheduled_at: z.iso.datetime({ offset: true }).optional().describe('start no earlier than this'),
  })
  .strict();

const Ref = z.object({ id: z.string(), name: z.string() });
const ProjectView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  containerNaming: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const EnvironmentView = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  releaseWindow: z.record(z.string(), z.unknown()).nullable(),
  approvalRequired: z.boolean(),
  approvers: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const TargetView = z.object({
  id: z.string(),
  projectId: z.string(),
  environment: Ref,
  agent: Ref,
  labels: z.record(z.string(), z.string()),
  priority: z.number(),
  createdAt: z.string(),
});
const VersionView = z.object({
  id: z.string(),
  projectId: z.string(),
  version: z.string(),
  installScript: z.string(),
  updateScript: z.string(),
  rollbackScript: z.string(),
  uninstallScript: z.string(),
  artifactUrl: z.string().nullable(),
  artifactSha256: z.string().nullable(),
  processConfig: z.record(z.string(), z.unknown()),
  status: z.enum(['draft', 'active', 'deprecated']),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const InstallationView = z.object({
  targetId: z.string(),
  environment: Ref,
  agent: Ref,
  version: z.string(),
  state: z.enum(INSTALLATION_STATES),
  previousVersion: z
    .string()
    .nullable()
    .describe('the version installed before this row’s step; after a failure, most likely what still runs'),
  taskId: z.string().nullable(),
  updatedAt: z.string(),
});
const PreviewView = z.object({
  environment: Ref,
  targets: z.array(z.object({ targetId: z.string(), agent: Ref, batch: z.number() })),
});
const TaskView = z.object({
  id: z.string(),
  projectId: z.string(),
  environment: Ref,
  version: z.object({ id: z.string(), version: z.string() }),
  operation: z.enum(OPERATIONS),
  autoSelectClients: z.boolean(),
  sourceVersion: z.string().nullable(),
  strategy: z.record(z.string(), z.unknown()),
  failureStrategy: z.enum(['continue', 'pause', 'abort']),
  state: z.enum(TASK_STATES),
  scheduledAt: z.string().nullable(),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  promotedBy: z.string().nullable(),
  promotedAt: z.string().nullable(),
  blockedBy: z
    .string()
    .nullable()
    .describe('why a task that is not over does not move now (window, schedule, approval, promotion)'),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  targets: z
    .array(
      z.object({
        targetId: z.string(),
        agent: Ref,
        batch: z.number(),
        state: z.enum(TARGET_STATES),
        commandId: z.string().nullable(),
        error: z.string().nullable(),
        startedAt: z.string().nullable(),
        finishedAt: z.string().nullable(),
      }),
    )
    .optional(),
});
const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const Id = z.object({ id: z.uuid() });
const Sub = z.object({ id: z.uuid(), sub: z.uuid() });
const Paging = { limit: pageLimit(), cursor: pageCursor };
const Deleted = { 204: z.null().describe('deleted') };

/**
 * The release manager's API under /api/v1/release: the seed's resource names, its snake_case
 * field names in request bodies and queries, and camelCase answers like the rest of the API.
 */
export function releaseRoutes(app: App, release: ReleaseService): void {
  const tags = ['release'];
  const read = { permission: 'release:read' as const };
  const deploy = { permission: 'release:deploy' as const };
  const base = '/api/v1/release';

  app.get(
    `${base}/projects`,
    { config: read, schema: { tags, querystring: z.object(Paging), response: { 200: page(ProjectView) } } },
    async (req) => release.listProjects(req.query.limit, req.query.cursor),
  );
  app.post(
    `${base}/projects`,
    { config: deploy, schema: { tags, body: ProjectBody, response: { 201: ProjectView } } },
    async (req, reply) =>
      reply.code(201).send(
        await release.createProject(actorOf(req), {
          name: req.body.name,
          description: req.body.description,
          containerNaming: req.body.container_naming,
        }),
      ),
  );
  app.get(
    `${base}/projects/:id`,
    { config: read, schema: { tags, params: Id, response: { 200: ProjectView } } },
    async (req) => projectView(await release.project(req.params.id)),
  );
  app.patch(
    `${base}/projects/:id`,
    {
      config: deploy,
      schema: { tags, params: Id, body: ProjectBody.partial(), response: { 200: ProjectView } },
    },
    async (req) =>
      release.updateProject(actorOf(req), req.params.id, {
        name: req.body.name,
        description: req.body.description,
        containerNaming: req.body.container_naming,
      }),
  );
  app.delete(
    `${base}/projects/:id`,
    {
      config: deploy,
      schema: {
        tags,
        summary: 'Delete a project with its environments, targets, versions, tasks and installations',
        params: Id,
        response: Deleted,
      },
    },
    async (req, reply) => {
      await release.deleteProject(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${base}/projects/:id/environments`,
    {
      config: read,
      schema: { tags, params: Id, response: { 200: z.object({ items: z.array(EnvironmentView) }) } },
    },
    async (req) => ({ items: await release.listEnvironments(req.params.id) }),
  );
  app.post(
    `${base}/projects/:id/environments`,
    {
      config: deploy,
      schema: { tags, params: Id, body: EnvironmentBody, response: { 201: EnvironmentView } },
    },
    async (req, reply) =>
      reply.code(201).send(
        await release.createEnvironment(actorOf(req), req.params.id, {
          name: req.body.name,
          releaseWindow: req.body.release_window,
          approvalRequired: req.body.approval_required,
          approvers: req.body.approvers,
        }),
      ),
  );
  app.patch(
    `${base}/projects/:id/environments/:sub`,
    {
      config: deploy,
      schema: { tags, params: Sub, body: EnvironmentBody.partial(), response: { 200: EnvironmentView } },
    },
    async (req) =>
      release.updateEnvironment(actorOf(req), req.params.id, req.params.sub, {
        name: req.body.name,
        releaseWindow: req.body.release_window,
        approvalRequired: req.body.approval_required,
        approvers: req.body.approvers,
      }),
  );
  app.delete(
    `${base}/projects/:id/environments/:sub`,
    { config: deploy, schema: { tags, params: Sub, response: Deleted } },
    async (req, reply) => {
      await release.deleteEnvironment(actorOf(req), req.params.id, req.params.sub);
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${base}/projects/:id/targets`,
    {
      config: read,
      schema: {
        tags,
        params: Id,
        querystring: z.object({ env: z.uuid().optional().describe("an environment's id"), ...Paging }),
        response: { 200: page(TargetView) },
      },
    },
    async (req) =>
      release.listTargets(req.params.id, {
        environmentId: req.query.env,
        limit: req.query.limit,
        cursor: req.query.cursor,
      }),
  );
  app.post(
    `${base}/projects/:id/targets`,
    {
      config: deploy,
      schema: {
        tags,
        summary: 'Make a registered agent a target of an environment',
        params: Id,
        body: TargetBody,
        response: { 201: TargetView },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await release.createTarget(actorOf(req), req.params.id, req.body)),
  );
  app.patch(
    `${base}/projects/:id/targets/:sub`,
    {
      config: deploy,
      schema: {
        tags,
        params: Sub,
        body: TargetBody.pick({ labels: true, priority: true }).partial(),
        response: { 200: TargetView },
      },
    },
    async (req) => release.updateTarget(actorOf(req), req.params.id, req.params.sub, req.body),
  );
  app.delete(
    `${base}/projects/:id/targets/:sub`,
    { config: deploy, schema: { tags, params: Sub, response: Deleted } },
    async (req, reply) => {
      await release.deleteTarget(actorOf(req), req.params.id, req.params.sub);
      return reply.code(204).send(null);
    },
  );

  const versionInput = (b: Partial<z.infer<typeof VersionBody>>) => ({
    version: b.version,
    installScript: b.install_script,
    updateScript: b.update_script,
    rollbackScript: b.rollback_script,
    uninstallScript: b.uninstall_script,
    artifactUrl: b.artifact_url,
    artifactSha256: b.artifact_sha256,
    processConfig: b.process_config,
    status: b.status,
  });
  app.get(
    `${base}/projects/:id/versions`,
    {
      config: read,
      schema: { tags, params: Id, querystring: z.object(Paging), response: { 200: page(VersionView) } },
    },
    async (req) => release.listVersions(req.params.id, req.query.limit, req.query.cursor),
  );
  app.post(
    `${base}/projects/:id/versions`,
    { config: deploy, schema: { tags, params: Id, body: VersionBody, response: { 201: VersionView } } },
    async (req, reply) =>
      reply.code(201).send(
        await release.createVersion(actorOf(req), req.params.id, {
          ...versionInput(req.body),
          version: req.body.version,
        }),
      ),
  );
  app.get(
    `${base}/projects/:id/versions/:sub`,
    { config: read, schema: { tags, params: Sub, response: { 200: VersionView } } },
    async (req) => release.getVersion(req.params.id, req.params.sub),
  );
  app.patch(
    `${base}/projects/:id/versions/:sub`,
    {
      config: deploy,
      schema: { tags, params: Sub, body: VersionBody.partial(), response: { 200: VersionView } },
    },
    async (req) => release.updateVersion(actorOf(req), req.params.id, req.params.sub, versionInput(req.body)),
  );
  app.delete(
    `${base}/projects/:id/versions/:sub`,
    { config: deploy, schema: { tags, params: Sub, response: Deleted } },
    async (req, reply) => {
      await release.deleteVersion(actorOf(req), req.params.id, req.params.sub);
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${base}/projects/:id/installations`,
    {
      config: read,
      schema: {
        tags,
        summary: 'What each target of the project has installed, in which state',
        params: Id,
        querystring: z.object({
          source_version: VersionText.optional().describe('only rows of this version'),
          env: z.uuid().optional().describe("only this environment's targets (its id)"),
          ...Paging,
        }),
        response: { 200: page(InstallationView) },
      },
    },
    async (req) =>
      release.listInstallations(req.params.id, {
        sourceVersion: req.query.source_version,
        environmentId: req.query.env,
        limit: req.query.limit,
        cursor: req.query.cursor,
      }),
  );

  const selection = (b: z.infer<typeof PreviewBody>) => ({
    project: b.project,
    environment: b.environment,
    clientIds: b.client_ids,
    autoSelectClients: b.auto_select_clients,
    sourceVersion: b.source_version,
    strategy: b.strategy,
  });
  app.post(
    `${base}/tasks/preview`,
    {
      config: read,
      schema: {
        tags,
        summary: 'The targets a task would take, in batches; 400 saying why when it would take none',
        body: PreviewBody,
        response: { 200: PreviewView },
      },
    },
    async (req) => (await release.preview(selection(req.body))).view,
  );
  app.post(
    `${base}/tasks`,
    {
      config: deploy,
      schema: {
        tags,
        summary:
          'Create a deploy task for named agents (client_ids) or those with source_version installed (auto_select_clients)',
        body: TaskBody,
        response: { 201: TaskView },
      },
    },
    async (req, reply) =>
      reply.code(201).send(
        await release.createTask(actorOf(req), {
          ...selection(req.body),
          version: req.body.version,
          operation: req.body.operation,
          failureStrategy: req.body.failure_strategy,
          scheduledAt: req.body.scheduled_at,
        }),
      ),
  );
  app.get(
    `${base}/projects/:id/tasks`,
    {
      config: read,
      schema: {
        tags,
        summary: 'Tasks, newest first',
        params: Id,
        querystring: z.object(Paging),
        response: { 200: page(TaskView) },
      },
    },
    async (req) => release.listTasks(req.params.id, req.query.limit, req.query.cursor),
  );
  app.get(
    `${base}/tasks/:id`,
    {
      config: read,
      schema: { tags, summary: 'A task with its targets', params: Id, response: { 200: TaskView } },
    },
    async (req) => release.getTask(req.params.id),
  );
  app.get(
    `${base}/tasks/:id/targets/:sub/log`,
    {
      config: read,
      schema: {
        tags,
        summary:
          "A target's deploy output, live: poll with after=nextAfter (the latest attempt after a retry)",
        params: Sub,
        querystring: z.object({
          after: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(1000).default(500),
        }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                seq: z.number(),
                stage: z.string(),
                level: z.string(),
                line: z.string(),
                at: z.string(),
              }),
            ),
            nextAfter: z.number().nullable(),
            commandId: z.string().nullable(),
          }),
        },
      },
    },
    async (req) => release.targetLog(req.params.id, req.params.sub, req.query.after, req.query.limit),
  );
  for (const event of ['approve', 'pause', 'resume', 'promote', 'cancel', 'retry'] as const)
    app.post(
      `${base}/tasks/:id/${event}`,
      {
        config: { permission: event === 'approve' ? 'release:approve' : 'release:deploy' },
        schema: { tags, params: Id, response: { 200: TaskView } },
      },
      async (req) => release.step(actorOf(req), req.params.id, event),
    );
}
