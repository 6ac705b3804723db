import { formatDuration, parseDuration } from '@opsfleet/core';
import { z } from 'zod';
import type { App } from '../http/app.ts';
import { pageCursor, pageLimit } from '../http/list-query.ts';
import { actorOf, agentOf } from '../identity/auth.ts';
import type { CommandService } from './service.ts';
import { COMMAND_STATES } from './state.ts';

const MAX_JSON = 64 * 1024;
const MAX_TIMEOUT_MS = 7 * 86_400_000;
const MAX_WAIT_MS = 60_000;

const fits = (v: unknown) => v === undefined || JSON.stringify(v).length <= MAX_JSON;
const TOO_BIG = 'at most 64 KiB of JSON';

/** `30s`, `10m`, `2h` between `min` and `max`; the message names the range. */
const DurationText = (min: number, max: number) =>
  z
    .string()
    .max(32)
    .transform((text, ctx) => {
      try {
        const ms = parseDuration(text);
        if (ms >= min && ms <= max) return ms;
      } catch {}
      ctx.addIssue({
        code: 'custom',
        message: `a duration from ${formatDuration(min)} to ${formatDuration(max)}, e.g. 30s, 10m, 2h`,
      });
      return z.NEVER;
    });

const Kind = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/, 'dotted lower-case words, e.g. ping, service.restart')
  .describe('what the agent is to do; it answers `failed` for a kind it has no handler for');

const Create = z.object({
  agent: z.uuid().describe("the agent's id (GET /api/v1/agents)"),
  kind: Kind,
  payload: z
    .record(z.string(), z.unknown())
    .default({})
    .refine(fits, TOO_BIG)
    .describe("the handler's input, at most 64 KiB; stored and shown as given: put no secrets in it"),
  timeout: DurationText(1000, MAX_TIMEOUT_MS)
    .default(600_000)
    .describe('the command must be finished within this (default 10m, at most 7d); after it, it is expired'),
});

const CommandView = z.object({
  id: z.string(),
  agent: z.object({ id: z.string(), name: z.string() }),
  kind: z.string(),
  payload: z.unknown(),
  state: z.enum(COMMAND_STATES),
  attempts: z.number().describe('how many times it was handed to the agent'),
  deadline: z.string(),
  deliveredAt: z.string().nullable(),
  result: z.unknown(),
  error: z.string().nullable(),
  outputLines: z.number(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});

const Level = z.enum(['debug', 'info', 'warn', 'error']);
const Line = z.object({
  seq: z
    .number()
    .int()
    .min(1)
    .max(2_000_000_000)
    .describe("the line's number in the command's output, from 1"),
  stage: z.string().min(1).max(64).describe('the step of the work that printed it: fetch, script, verify…'),
  level: Level,
  line: z.string().max(8192),
  time: z.iso.datetime({ offset: true }),
});
const OutputLine = z.object({
  seq: z.number(),
  stage: z.string(),
  level: Level,
  line: z.string(),
  at: z.string(),
});

const AGENT_KEY = 'agents take commands with their own API key (role agent)';
const Id = z.object({ id: z.uuid() });

/** Aborts when the client goes away, so a long poll of a gone agent stops waiting. */
function whileConnected(reply: { raw: { once(e: 'close', f: () => void): unknown } }): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => ac.abort());
  return ac.signal;
}

/**
 * The command channel: people create, read and cancel commands for an agent (`commands:*`);
 * the agent, with its own key (`agent:commands`), long-polls for its commands and sends output
 * and results for them only.
 */
export function commandRoutes(app: App, commands: CommandService): void {
  const tags = ['commands'];
  app.post(
    '/api/v1/commands',
    {
      config: { permission: 'commands:write' },
      schema: {
        tags,
        summary: 'Queue a command for an agent; it is delivered when the agent polls, until its deadline',
        body: Create,
        response: { 201: CommandView },
      },
    },
    async (req, reply) =>
      reply.code(201).send(
        await commands.create(actorOf(req), {
          agentId: req.body.agent,
          kind: req.body.kind,
          payload: req.body.payload,
          timeoutMs: req.body.timeout,
        }),
      ),
  );
  app.get(
    '/api/v1/commands',
    {
      config: { permission: 'commands:read' },
      schema: {
        tags,
        summary: 'Commands, newest first',
        querystring: z.object({
          agent: z.uuid().optional(),
          state: z.enum(COMMAND_STATES).optional(),
          kind: Kind.optional(),
          limit: pageLimit(),
          cursor: pageCursor,
        }),
        response: { 200: z.object({ items: z.array(CommandView), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query;
      return commands.list({
        agentId: q.agent,
        state: q.state,
        kind: q.kind,
        limit: q.limit,
        cursor: q.cursor,
      });
    },
  );
  app.get(
    '/api/v1/commands/:id',
    {
      config: { permission: 'commands:read' },
      schema: { tags, params: Id, response: { 200: CommandView } },
    },
    async (req) => commands.get(req.params.id),
  );
  app.get(
    '/api/v1/commands/:id/output',
    {
      config: { permission: 'commands:read' },
      schema: {
        tags,
        summary: "The command's output in order; page on with after=nextAfter",
        params: Id,
        querystring: z.object({
          after: z.coerce.number().int().min(0).default(0).describe('lines after this seq'),
          limit: pageLimit(5000),
        }),
        response: { 200: z.object({ items: z.array(OutputLine), nextAfter: z.number().nullable() }) },
      },
    },
    async (req) => commands.output(req.params.id, req.query.after, req.query.limit),
  );
  app.post(
    '/api/v1/commands/:id/cancel',
    {
      config: { permission: 'commands:write' },
      schema: {
        tags,
        summary: 'Cancel an open command; the agent stops it at its next output batch. 409 once it is over',
        params: Id,
        response: { 200: CommandView },
      },
    },
    async (req) => commands.cancel(actorOf(req), req.params.id),
  );

  app.get(
    '/api/v1/agent/commands',
    {
      config: { permission: 'agent:commands' },
      schema: {
        tags,
        summary:
          "The calling agent's commands that are due: waits up to `wait` for one, then answers (empty if none came)",
        querystring: z.object({
          wait: DurationText(0, MAX_WAIT_MS)
            .default(0)
            .describe('how long to hold the request open for a command (0 to 60s)'),
        }),
        response: {
          200: z.object({
            commands: z.array(
              z.object({
                id: z.string(),
                kind: z.string(),
                payload: z.unknown(),
                deadline: z.string(),
                attempt: z.number().describe('1 the first time; more when handed out again without a result'),
              }),
            ),
            serverTime: z.string(),
          }),
        },
      },
    },
    async (req, reply) => {
      const agent = agentOf(req, AGENT_KEY);
      const delivered = await commands.poll(agent, req.query.wait, whileConnected(reply));
      return { commands: delivered, serverTime: new Date().toISOString() };
    },
  );
  app.post(
    '/api/v1/agent/commands/:id/output',
    {
      config: { permission: 'agent:commands' },
      schema: {
        tags,
        summary: "Lines a command printed; answers the command's state (cancelled or expired: stop)",
        params: Id,
        body: z.object({ lines: z.array(Line).max(1000) }),
        response: {
          200: z.object({ state: z.enum(COMMAND_STATES), stored: z.number(), dropped: z.number() }),
        },
      },
    },
    async (req) =>
      commands.addOutput(
        agentOf(req, AGENT_KEY),
        req.params.id,
        req.body.lines.map((l) => ({ seq: l.seq, stage: l.stage, level: l.level, line: l.line, at: l.time })),
      ),
  );
  app.post(
    '/api/v1/agent/commands/:id/result',
    {
      config: { permission: 'agent:commands' },
      schema: {
        tags,
        summary:
          'The outcome of a command; the same outcome again is accepted, a command that is over answers 409',
        params: Id,
        body: z.object({
          status: z.enum(['succeeded', 'failed']),
          result: z.unknown().refine(fits, TOO_BIG).optional().describe("the handler's answer"),
          error: z.string().max(4000).optional().describe('why it failed, for people'),
        }),
        response: { 200: z.object({ state: z.enum(COMMAND_STATES) }) },
      },
    },
    async (req) => {
      const done = await commands.finish(agentOf(req, AGENT_KEY), req.params.id, {
        ok: req.body.status === 'succeeded',
        result: req.body.result,
        error: req.body.error,
      });
      return { state: done.state };
    },
  );
}
