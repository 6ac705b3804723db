import type { FastifyRequest } from 'fastify';
import type { App } from '../http/app.ts';
import { Problem } from '../http/problem.ts';
import { can, type Permission } from './permissions.ts';
import type { IdentityService, Principal } from './service.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a route needs; routes without one are public (health, docs, login). */
    permission?: Permission;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * The credential of a request, in the three forms senders use: `X-API-Key`, `Authorization:
 * Bearer` (an access token or an API key), and Basic with user `api_key` (what Alertmanager's
 * `http_config.basic_auth` sends).
 */
export function credentialOf(headers: FastifyRequest['headers']): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const auth = headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(auth);
  if (bearer) return bearer[1]!.trim();
  const basic = /^Basic\s+(.+)$/i.exec(auth);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && decoded.slice(0, colon) === 'api_key') return decoded.slice(colon + 1);
  }
  return undefined;
}

/** The API routes anyone may call: signing in needs no credential. */
export const PUBLIC = new Set([
  '/api/v1/auth/login',
  '/api/v1/auth/refresh',
  '/api/v1/auth/logout',
  '/api/v1/auth/reset',
]);

/** What a user who must change the password may still call (logout is public). */
export const BEFORE_PASSWORD_CHANGE = new Set(['/api/v1/auth/password', '/api/v1/auth/me']);

export interface GuardedRoute {
  method: string;
  url: string;
  permission: Permission;
}
const guarded = new WeakMap<App, GuardedRoute[]>();

/** The routes of `app` that need a permission, as registered (for the generated roles document). */
export const guardedRoutes = (app: App): readonly GuardedRoute[] => guarded.get(app) ?? [];

/**
 * Enforces each route's `config.permission`: 401 without a valid credential, 403 without the
 * permission. An API route registered without a permission (and not public) stops the server at
 * start, so a forgotten one cannot ship open.
 */
export function enforcePermissions(app: App, identity: IdentityService): void {
  const routes: GuardedRoute[] = [];
  guarded.set(app, routes);
  app.addHook('onRoute', (route) => {
    const open = !route.url.startsWith('/api/') || route.url.startsWith('/api/docs') || PUBLIC.has(route.url);
    const permission = route.config?.permission;
    if (!open && !permission)
      throw new Error(`route ${route.method} ${route.url} declares no permission (config.permission)`);
    if (permission)
      for (const method of [route.method].flat())
        if (method !== 'HEAD') routes.push({ method, url: route.url, permission });
  });
  app.addHook('onRequest', async (req) => {
    const permission = req.routeOptions.config.permission;
    if (!permission) return;
    const credential = credentialOf(req.headers);
    const principal = credential ? await identity.authenticate(credential) : undefined;
    if (!principal)
      throw new Problem(
        401,
        'Unauthorized',
        credential
          ? 'the credential is invalid, expired or revoked'
          : 'send an access token (Authorization: Bearer) or an API key (X-API-Key, or Basic api_key:<key>)',
      );
    if (principal.mustChangePassword && !BEFORE_PASSWORD_CHANGE.has(req.routeOptions.url ?? ''))
      throw new Problem(
        403,
        'Password Change Required',
        `${principal.name} must change the password before anything else: POST /api/v1/auth/password {"current": "…", "password": "…"}`,
      );
    if (!can(principal.role, permission))
      throw new Problem(
        403,
        'Forbidden',
        `${principal.name} (${principal.role}) lacks the permission ${permission}`,
      );
    req.principal = principal;
  });
}

export const actorOf = (req: FastifyRequest) => req.principal?.name ?? 'anonymous';

/**
 * The agent a request comes from: its API key, of the role agent. A user's login or an admin's
 * key is not an agent, and nothing in a body says which agent this is. `how` ends the 403's
 * sentence: what the caller must use instead.
 */
export function agentOf(req: FastifyRequest, how: string): { id: string; actor: string } {
  const p = req.principal!;
  if (p.kind !== 'apikey' || p.role !== 'agent')
    throw new Problem(403, 'Forbidden', `${p.name} is not an agent: ${how}`);
  return { id: p.id, actor: p.name };
}
