import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface Credential {
  username: string;
  password: string;
}

type Env = Record<string, string | undefined>;

const truthy = (v: unknown) => (typeof v === 'boolean' ? v : /^(1|true|yes)$/i.test(String(v ?? '').trim()));

/** A JSON field looked up the way Go's encoding/json does: exact name first, then any case. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : obj[key];
}

function parseJsonPairs(raw: string): Credential[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object' && !Array.isArray(p))
    .map((p) => ({ username: field(p, 'username'), password: field(p, 'password') }))
    .filter((c) => typeof c.username === 'string' && c.username !== '')
    .map((c) => ({
      username: c.username as string,
      password: typeof c.password === 'string' ? c.password : '',
    }));
}

/**
 * ADMIN_AUTH: a JSON array `[{"username":"u","password":"p"}]`; when that does not parse or
 * yields no pair, `u:p,u2:p2` split on the first ':' of each entry. An entry needs a user
 * name; an empty password is kept (dropping the pair could switch auth off altogether).
 */
export function parseAdminAuth(raw: string): Credential[] {
  const json = parseJsonPairs(raw);
  if (json.length) return json;
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.includes(':'))
    .map((entry) => {
      const i = entry.indexOf(':');
      return { username: entry.slice(0, i).trim(), password: entry.slice(i + 1).trim() };
    })
    .filter((c) => c.username !== '');
}

/**
 * Admin credentials: from the environment when ADMIN_AUTH_ENABLED is 1/true/yes (ADMIN_AUTH as
 * a JSON array or `u:p,u2:p2`, plus ADMIN_USERNAME/ADMIN_PASSWORD), else from the server file
 * when its admin_auth_enabled is true. No credentials means auth is off.
 */
export function collectAuthPairs(
  env: Env,
  serverConf?: { admin_auth_enabled?: boolean | string; admin_auth?: Credential[] | null },
): Credential[] {
  const pairs: Credential[] = [];
  if (truthy(env.ADMIN_AUTH_ENABLED)) {
    if (env.ADMIN_AUTH) pairs.push(...parseAdminAuth(env.ADMIN_AUTH));
    if (env.ADMIN_USERNAME && env.ADMIN_PASSWORD)
      pairs.push({ username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD });
  }
  if (!pairs.length && serverConf && truthy(serverConf.admin_auth_enabled))
    pairs.push(...(serverConf.admin_auth ?? []));
  return pairs;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time check against every pair (no early exit, digests hide lengths). */
export function credentialsMatch(pairs: Credential[], username: string, password: string): boolean {
  const u = digest(username);
  const p = digest(password);
  let ok = false;
  for (const pair of pairs) {
    const userOk = timingSafeEqual(u, digest(pair.username));
    const passOk = timingSafeEqual(p, digest(pair.password));
    ok = (userOk && passOk) || ok;
  }
  return ok;
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/**
 * Fastify onRequest hook: missing or malformed credentials → 401 with a Basic challenge,
 * wrong ones → 403, the public exporter's behaviour. With no pairs every request passes.
 */
export function adminAuth(pairs: Credential[]) {
  const configured = pairs.map((p) => ({ username: p.username, password: p.password }));
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!configured.length) return;
    const given = parseBasic(req.headers.authorization);
    if (!given) {
      reply
        .code(401)
        .header('WWW-Authenticate', 'Basic realm="restricted"')
        .type('text/plain')
        .send('unauthorized');
      return reply;
    }
    if (!credentialsMatch(configured, given.username, given.password)) {
      reply.code(403).type('text/plain').send('forbidden');
      return reply;
    }
  };
}
