import { z } from 'zod';
import type { App } from '../http/app.ts';
import { arrayPage, pageCursor, pageLimit } from '../http/list-query.ts';
import { Problem } from '../http/problem.ts';
import { actorOf } from './auth.ts';
import { ROLES } from './permissions.ts';
import type { IdentityService } from './service.ts';
import { TooManyAttempts } from './throttle.ts';

const Password = z.string().min(10, 'use at least 10 characters').max(200);
const Username = z
  .string()
  .regex(
    /^[a-z][a-z0-9._-]{1,39}$/,
    'lowercase letters, digits, . _ - ; 2 to 40 characters, starting with a letter',
  );
const Role = z.enum(ROLES);
/** `agent` is for API keys only: a person never logs in as a host agent. */
const UserRole = z.enum(
  ROLES.filter((r) => r !== 'agent') as [
    Exclude<(typeof ROLES)[number], 'agent'>,
    ...Exclude<(typeof ROLES)[number], 'agent'>[],
  ],
);
const Id = z.object({ id: z.uuid() });

const User = z.object({
  id: z.string(),
  username: z.string(),
  role: Role,
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  createdAt: z.string(),
});
const Session = z.object({
  accessToken: z.string(),
  refreshToken: z.string().describe('single use: refreshing answers a new one'),
  expiresIn: z.number().describe('seconds the access token is valid'),
  user: User,
});
const ApiKey = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: Role,
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
const Done = { 204: z.null().describe('done') };

/** Sessions, users, API keys and the audit log. */
export function identityRoutes(app: App, identity: IdentityService): void {
  const tags = ['identity'];
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in; failed logins back off per account and per address (429 with Retry-After)',
        body: z.object({ username: z.string().max(100), password: z.string().max(1000) }),
        response: { 200: Session },
      },
    },
    async (req, reply) => {
      try {
        return await identity.login(req.body.username, req.body.password, req.ip);
      } catch (err) {
        if (err instanceof TooManyAttempts) reply.header('retry-after', String(err.retryAfterSeconds));
        throw err;
      }
    },
  );
  app.post(
    '/api/v1/auth/refresh',
    { schema: { tags, body: z.object({ refreshToken: z.string() }), response: { 200: Session } } },
    async (req) => identity.refresh(req.body.refreshToken),
  );
  app.post(
    '/api/v1/auth/logout',
    { schema: { tags, body: z.object({ refreshToken: z.string() }), response: Done } },
    async (req, reply) => {
      await identity.logout(req.body.refreshToken);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/v1/auth/reset',
    { schema: { tags, body: z.object({ token: z.string(), password: Password }), response: Done } },
    async (req, reply) => {
      await identity.reset(req.body.token, req.body.password);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/v1/auth/password',
    {
      config: { permission: 'alert:read' },
      schema: { tags, body: z.object({ current: z.string(), password: Password }), response: Done },
    },
    async (req, reply) => {
      if (req.principal?.kind !== 'user') throw new Problem(403, 'Forbidden', 'API keys have no password');
      await identity.changePassword(req.principal.id, req.body.current, req.body.password);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/api/v1/auth/me',
    {
      config: { permission: 'alert:read' },
      schema: {
        tags,
        response: {
          200: z.object({
            kind: z.enum(['user', 'apikey']),
            id: z.string(),
            name: z.string(),
            role: Role,
            sessionId: z.string().optional(),
            mustChangePassword: z.boolean().optional(),
          }),
        },
      },
    },
    async (req) => req.principal,
  );

  app.get(
    '/api/v1/users',
    { config: { permission: 'user:read' }, schema: { tags, response: { 200: z.array(User) } } },
    async () => identity.listUsers(),
  );
  app.post(
    '/api/v1/users',
    {
      config: { permission: 'user:write' },
      schema: {
        tags,
        body: z.object({ username: Username, password: Password, role: UserRole }),
        response: { 201: User },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await identity.createUser(actorOf(req), req.body.username, req.body.password, req.body.role)),
  );
  app.patch(
    '/api/v1/users/:id',
    {
      config: { permission: 'user:write' },
      schema: {
        tags,
        params: Id,
        body: z.object({ role: UserRole.optional(), disabled: z.boolean().optional() }),
        response: { 200: User },
      },
    },
    async (req) => identity.updateUser(actorOf(req), req.params.id, req.body),
  );
  app.post(
    '/api/v1/users/:id/reset',
    {
      config: { permission: 'user:write' },
      schema: {
        tags,
        params: Id,
        response: {
          200: z.object({
            token: z.string().describe('give it to the user out of band; single use'),
            expiresAt: z.string(),
          }),
        },
      },
    },
    async (req) => identity.createReset(actorOf(req), req.params.id),
  );

  app.get(
    '/api/v1/api-keys',
    { config: { permission: 'apikey:read' }, schema: { tags, response: { 200: z.array(ApiKey) } } },
    async () => identity.listApiKeys(),
  );
  app.post(
    '/api/v1/api-keys',
    {
      config: { permission: 'apikey:write' },
      schema: {
        tags,
        body: z.object({ name: z.string().min(1).max(100), role: Role.default('ingest') }),
        response: {
          201: ApiKey.pick({ id: true, name: true, role: true, prefix: true, createdAt: true }).extend({
            key: z.string().describe('shown once; only its hash is kept'),
          }),
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await identity.createApiKey(actorOf(req), req.body.name, req.body.role)),
  );
  app.delete(
    '/api/v1/api-keys/:id',
    { config: { permission: 'apikey:write' }, schema: { tags, params: Id, response: Done } },
    async (req, reply) => {
      await identity.revokeApiKey(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/api/v1/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags,
        summary:
          'The audit log, newest first; a bare array, the next page named by the Link header (rel="next")',
        querystring: z.object({
          actor: z.string().min(1).optional().describe('exactly this actor: `alice`, `apikey:alertmanager`'),
          action: z.string().min(1).optional().describe('exactly this action: `user.update`'),
          resource: z.string().min(1).optional().describe('resources starting so: `user:`, `silence:1b2c`'),
          from: z.iso.datetime({ offset: true }).optional().describe('entries at or after'),
          to: z.iso.datetime({ offset: true }).optional().describe('entries before'),
          limit: pageLimit(1000),
          cursor: pageCursor,
        }),
        response: {
          200: z.array(
            z.object({
              id: z.string(),
              at: z.string(),
              actor: z.string(),
              action: z.string(),
              resource: z.string(),
              before: z.unknown(),
              after: z.unknown(),
            }),
          ),
        },
      },
    },
    async (req, reply) => {
      const { from, to, ...rest } = req.query;
      const page = await identity.auditLog({
        ...rest,
        ...(from ? { from: new Date(from) } : {}),
        ...(to ? { to: new Date(to) } : {}),
      });
      return arrayPage(reply, req.url, page);
    },
  );
}
