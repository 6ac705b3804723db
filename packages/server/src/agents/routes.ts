import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { App } from '../http/app.ts';
import { decodeCursor, labelFilter } from '../http/list-query.ts';
import { badRequest, Problem } from '../http/problem.ts';
import { actorOf } from '../identity/auth.ts';
import type { IdentityService } from '../identity/service.ts';
import type { AgentIdentity, AgentService } from './service.ts';

const Word = z
  .string()
  .max(32)
  .regex(/^[a-z][a-z0-9_-]*$/, 'a lower-case word');

/** A service as the agent reports it; fields the server does not know are dropped. */
export const ReportedServiceSchema = z.object({
  name: z.string().min(1).max(200),
  state: Word.describe('stopped, starting, running, backoff, fatal, paused, stopping, waiting'),
  backend: Word.describe('direct or systemd'),
  pid: z.number().int().positive().optional(),
  restarts: z.number().int().min(0),
  health: Word.optional().describe('passing, warning, critical, unknown'),
  startedAt: z.iso.datetime({ offset: true }).optional(),
  reason: z.string().max(1000).optional(),
});

const Services = z
  .array(ReportedServiceSchema)
  .max(1000)
  .superRefine((services, ctx) => {
    const seen = new Set<string>();
    services.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `service ${s.name} is listed twice` });
      seen.add(s.name);
    });
  });

const Labels = z
  .record(z.string().min(1).max(100), z.string().max(500))
  .refine((l) => Object.keys(l).length <= 64, 'at most 64 labels');

const REFUSED_ID =
  'an agent cannot choose who it is: its identity is the API key it signs in with (one key per agent)';
const Id = z.unknown().optional().describe(`refused: ${REFUSED_ID}`);

const Register = z.object({
  id: Id,
  name: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("the agent's name (agent.yaml `agent.name`, default its hostname); the key's name when absent"),
  hostname: z.string().min(1).max(255),
  version: z.string().min(1).max(100),
  labels: Labels.default({}),
  services: Services.default([]),
  grpcAddress: z.string().min(1).max(255).optional().describe('where the agent serves its gRPC API'),
  startedAt: z.iso.datetime({ offset: true }).optional().describe('when the agent process started'),
});

const Heartbeat = z.object({ id: Id, services: Services.default([]) });

const ListQuery = z.object({
  status: z.enum(['online', 'offline']).optional(),
  label: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('name=value, repeatable; every one must match'),
  q: z.string().max(200).optional().describe('text in the name, key name, hostname or labels'),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const HeartbeatAnswer = z.object({
  serverTime: z.string().describe('RFC 3339, UTC'),
  heartbeatMs: z.number().describe('send the next heartbeat within this'),
  offlineAfterMs: z.number().describe('no heartbeat for this long and the agent is listed offline'),
});

const AgentSummary = z.object({
  id: z.string().describe("the id of the agent's API key"),
  name: z.string().describe('the name the agent reports (the `host` label of its alerts)'),
  keyName: z.string().describe('the name of the API key the agent signs in with (its identity)'),
  hostname: z.string(),
  version: z.string(),
  labels: z.record(z.string(), z.string()),
  status: z.enum(['online', 'offline']),
  statusSince: z.string(),
  lastSeen: z.string(),
  firstSeen: z.string(),
  registeredAt: z.string(),
  startedAt: z.string().nullable(),
  grpcAddress: z.string().nullable(),
  remoteAddress: z.string().nullable(),
  serviceCounts: z.object({
    total: z.number(),
    byState: z.record(z.string(), z.number()),
    unhealthy: z.number(),
    restarts: z.number(),
  }),
});

const AgentDetail = AgentSummary.extend({
  services: z.array(
    z.object({
      name: z.string(),
      state: z.string(),
      backend: z.string(),
      pid: z.number().optional(),
      restarts: z.number(),
      health: z.string().optional(),
      startedAt: z.string().optional(),
      reason: z.string().optional(),
    }),
  ),
  history: z
    .array(
      z.object({ at: z.string(), event: z.enum(['registered', 'online', 'offline']), detail: z.string() }),
    )
    .describe('newest first'),
});

/**
 * The agent a request comes from: the API key it was authenticated with. Only a key of the
 * `agent` role is an agent — not a user's login, nor an admin's key, even though admins hold
 * every permission — and nothing in the body can say otherwise.
 */
function agentOf(req: FastifyRequest, body: { id?: unknown }): AgentIdentity {
  const p = req.principal!;
  if (p.kind !== 'apikey' || p.role !== 'agent')
    throw new Problem(
      403,
      'Forbidden',
      `${p.name} is not an agent: agents sign in with an API key of the role agent, one per agent`,
    );
  if (body.id !== undefined) throw badRequest(REFUSED_ID, [{ path: 'body.id', message: 'not accepted' }]);
  return { id: p.id, name: p.name.replace(/^apikey:/, ''), remoteAddress: req.ip };
}

/**
 * The agent registry: agents register and heartbeat with their own key (`agent:register`);
 * people list them, look at one and forget one.
 */
export function agentRoutes(app: App, agents: AgentService, identity: IdentityService): void {
  const tags = ['agents'];
  app.post(
    '/api/v1/agents/register',
    {
      config: { permission: 'agent:register' },
      schema: {
        tags,
        summary: 'An agent announces itself at start (the agent is the API key it signs in with)',
        body: Register,
        response: { 200: HeartbeatAnswer.extend({ id: z.string(), name: z.string(), keyName: z.string() }) },
      },
    },
    async (req) => {
      const agent = agentOf(req, req.body);
      const { id: _refused, ...report } = req.body;
      const { created: _created, ...answer } = await agents.register(agent, report);
      return { id: agent.id, name: report.name ?? agent.name, keyName: agent.name, ...answer };
    },
  );
  app.post(
    '/api/v1/agents/heartbeat',
    {
      config: { permission: 'agent:register' },
      schema: {
        tags,
        summary: 'An agent is alive, with its services; 404 means: register again',
        body: Heartbeat,
        response: { 200: HeartbeatAnswer },
      },
    },
    async (req) => agents.heartbeat(agentOf(req, req.body), req.body.services),
  );
  app.get(
    '/api/v1/agents',
    {
      config: { permission: 'agents:read' },
      schema: {
        tags,
        querystring: ListQuery,
        response: {
          200: z.object({
            items: z.array(AgentSummary),
            nextCursor: z.string().nullable(),
            counts: z
              .object({ online: z.number(), offline: z.number() })
              .describe('every agent, whatever the filter'),
          }),
        },
      },
    },
    async (req) => {
      const q = req.query;
      // Agent ids are uuids: a forged cursor is refused before the database casts it.
      if (q.cursor) decodeCursor(q.cursor, 'uuid');
      return agents.list({
        status: q.status,
        labels: labelFilter(q.label),
        text: q.q,
        cursor: q.cursor,
        limit: q.limit,
      });
    },
  );
  app.get(
    '/api/v1/agents/:id',
    {
      config: { permission: 'agents:read' },
      schema: {
        tags,
        summary: 'An agent, its services and its recent history',
        params: z.object({ id: z.uuid() }),
        response: { 200: AgentDetail },
      },
    },
    async (req) => agents.get(req.params.id),
  );
  app.delete(
    '/api/v1/agents/:id',
    {
      config: { permission: 'agents:write' },
      schema: {
        tags,
        summary: 'Forget an agent (it registers again if its key still works: revoke the key to keep it out)',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null().describe('forgotten') },
      },
    },
    async (req, reply) => {
      const removed = await agents.remove(req.params.id);
      await identity.audit(actorOf(req), 'agent.delete', `agent:${removed.name}`, removed, undefined);
      return reply.code(204).send(null);
    },
  );
}
