import { z } from 'zod';
import type { App } from '../http/app.ts';
import { arrayPage, pageCursor, pageLimit } from '../http/list-query.ts';
import { actorOf } from '../identity/auth.ts';
import type { IdentityService } from '../identity/service.ts';
import type { AlertService } from './service.ts';
import { readMatchers, type SilenceStore } from './silences.ts';

const MatcherObject = z.object({
  name: z.string().min(1),
  value: z.string(),
  type: z.enum(['=', '!=', '=~', '!~']),
});

const CreateSilence = z.object({
  matchers: z
    .array(z.union([z.string(), MatcherObject]))
    .min(1)
    .describe('`name="value"`, `name!="v"`, `name=~"re"`, `name!~"re"`, or {name, value, type}'),
  startsAt: z.iso.datetime({ offset: true }).optional().describe('default: now'),
  endsAt: z.iso.datetime({ offset: true }),
  comment: z.string().min(1).max(2000),
});

const Silence = z.object({
  id: z.string(),
  matchers: z.array(MatcherObject),
  startsAt: z.string(),
  endsAt: z.string(),
  comment: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  state: z.enum(['pending', 'active', 'expired']),
});

/** Silences: create, list, expire; each change applies to the alerts at once and is audited. */
export function silenceRoutes(
  app: App,
  silences: SilenceStore,
  alerts: AlertService,
  identity: IdentityService,
): void {
  const tags = ['silences'];
  app.get(
    '/api/v1/silences',
    {
      config: { permission: 'silence:read' },
      schema: {
        tags,
        summary: 'Silences; a bare array, the next page named by the Link header (rel="next")',
        querystring: z.object({
          state: z.enum(['pending', 'active', 'expired']).optional(),
          limit: pageLimit(),
          cursor: pageCursor,
        }),
        response: { 200: z.array(Silence) },
      },
    },
    async (req, reply) => arrayPage(reply, req.url, await silences.list(req.query)),
  );
  app.post(
    '/api/v1/silences',
    {
      config: { permission: 'silence:write' },
      schema: { tags, body: CreateSilence, response: { 201: Silence } },
    },
    async (req, reply) => {
      const created = await silences.create(
        {
          matchers: readMatchers(req.body.matchers),
          startsAt: req.body.startsAt ? new Date(req.body.startsAt) : undefined,
          endsAt: new Date(req.body.endsAt),
          comment: req.body.comment,
        },
        actorOf(req),
      );
      await identity.audit(actorOf(req), 'silence.create', `silence:${created.id}`, undefined, created);
      await alerts.housekeep();
      return reply.code(201).send(created);
    },
  );
  app.delete(
    '/api/v1/silences/:id',
    {
      config: { permission: 'silence:write' },
      schema: { tags, params: z.object({ id: z.uuid() }), response: { 200: Silence } },
    },
    async (req) => {
      const expired = await silences.expire(req.params.id);
      await identity.audit(actorOf(req), 'silence.expire', `silence:${expired.id}`, undefined, expired);
      await alerts.housekeep();
      return expired;
    },
  );
}
