import { z } from 'zod';
import type { App } from '../http/app.ts';
import type { Outbound } from '../http/outbound.ts';
import { Problem } from '../http/problem.ts';
import { actorOf } from '../identity/auth.ts';
import type { IdentityService } from '../identity/service.ts';
import { ChannelStore, channelKind } from './channel-store.ts';
import { DEFAULT_TEMPLATES, render } from './templates.ts';

const Id = z.object({ id: z.uuid() });
const Config = z.record(z.string(), z.unknown());
/** Answers name their fields, so nothing else (a secret, a receiver's answer) can be serialised into one. */
const Channel = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  config: Config.describe('secrets are shown as ••••••, never their value'),
  templateId: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const TestResult = z.object({
  delivered: z.literal(true),
  status: z
    .number()
    .optional()
    .describe("the receiver's HTTP status (or the SMTP reply code); never its body"),
  ms: z.number(),
});

/** Channels: CRUD (secrets masked in answers, audited) and "send test". */
export function channelRoutes(
  app: App,
  channels: ChannelStore,
  identity: IdentityService,
  consoleUrl: () => string,
  net: Outbound,
): void {
  const tags = ['notifications'];
  const read = { permission: 'notify:read' } as const;
  const write = { permission: 'notify:write' } as const;
  app.get(
    '/api/v1/notify/channels',
    { config: read, schema: { tags, response: { 200: z.array(Channel) } } },
    async () => (await channels.list()).map(ChannelStore.masked),
  );
  app.get(
    '/api/v1/notify/channels/:id',
    { config: read, schema: { tags, params: Id, response: { 200: Channel } } },
    async (req) => ChannelStore.masked(await channels.get(req.params.id)),
  );
  app.post(
    '/api/v1/notify/channels',
    {
      config: write,
      schema: {
        tags,
        body: z.object({
          name: z.string().min(1).max(100),
          kind: z.string(),
          config: Config,
          templateId: z.uuid().nullable().optional(),
        }),
        response: { 201: Channel },
      },
    },
    async (req, reply) => {
      const created = ChannelStore.masked(await channels.create(req.body, actorOf(req)));
      await identity.audit(actorOf(req), 'channel.create', `channel:${created.name}`, undefined, created);
      return reply.code(201).send(created);
    },
  );
  app.patch(
    '/api/v1/notify/channels/:id',
    {
      config: write,
      schema: {
        tags,
        params: Id,
        body: z.object({
          name: z.string().min(1).max(100).optional(),
          config: Config.optional(),
          templateId: z.uuid().nullable().optional(),
        }),
        response: { 200: Channel },
      },
    },
    async (req) => {
      const { before, after } = await channels.update(req.params.id, req.body);
      const shown = ChannelStore.masked(after);
      await identity.audit(
        actorOf(req),
        'channel.update',
        `channel:${after.name}`,
        ChannelStore.masked(before),
        shown,
      );
      return shown;
    },
  );
  app.delete(
    '/api/v1/notify/channels/:id',
    { config: write, schema: { tags, params: Id, response: { 204: z.null().describe('deleted') } } },
    async (req, reply) => {
      const gone = await channels.remove(req.params.id);
      await identity.audit(actorOf(req), 'channel.delete', `channel:${gone.name}`, ChannelStore.masked(gone));
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/v1/notify/channels/:id/test',
    { config: write, schema: { tags, params: Id, response: { 200: TestResult } } },
    async (req) => {
      const channel = await channels.get(req.params.id);
      const message = render(
        { title: `opsfleet test message for ${channel.name}`, body: `${DEFAULT_TEMPLATES.firing.body}` },
        {
          event: 'firing',
          alerts: [],
          consoleUrl: consoleUrl(),
          idempotencyKey: `test-${channel.id}-${Date.now()}`,
        },
      );
      const result = await channelKind(channel.kind).send(
        {
          ...message,
          markdown: `This is a test from opsfleet (${actorOf(req)}). If you read it, the channel works.`,
        },
        channel.config,
        net,
      );
      // The channel's own words (a status, an error code, a refusal), never the receiver's body:
      // an answer that carried it would let a test send read any page the server can reach.
      if (!result.ok)
        throw new Problem(502, 'Bad Gateway', `the ${channel.kind} channel failed: ${result.error}`);
      return {
        delivered: true as const,
        ...(result.status ? { status: result.status } : {}),
        ms: Math.round(result.ms),
      };
    },
  );
}
