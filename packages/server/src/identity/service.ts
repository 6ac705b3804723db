import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { type PageKey, pageOf } from '../http/list-query.ts';
import { badRequest, conflict, notFound, Problem } from '../http/problem.ts';
import { type AuditFilter, type AuditRow, auditQuery } from './audit.ts';
import type { Role } from './permissions.ts';
import {
  apiKeyPrefix,
  hashPassword,
  newApiKey,
  randomToken,
  sameSecret,
  tokenHash,
  verifyPassword,
} from './secrets.ts';
import { AccessTokens } from './tokens.ts';

/** Who is calling: a user (by token) or an API key. */
export interface Principal {
  kind: 'user' | 'apikey';
  id: string;
  /** For the audit log and history: `alice`, `apikey:alertmanager`. */
  name: string;
  role: Role;
}

export interface UserView {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: string;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserView;
}

const REFRESH_TTL_MS = 30 * 24 * 3600_000;
const RESET_TTL_MS = 3600_000;
/** An API key's `last_used_at` is written at most once in this window. */
const USED_LATELY = sql`now() - interval '1 minute'`;
const unauthorized = (detail: string) => new Problem(401, 'Unauthorized', detail);

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  disabled: boolean;
  must_change_password: boolean;
  created_at: string | Date;
}

const viewOf = (u: UserRow): UserView => ({
  id: u.id,
  username: u.username,
  role: u.role,
  disabled: u.disabled,
  mustChangePassword: u.must_change_password,
  createdAt: new Date(u.created_at).toISOString(),
});

/**
 * Users, sessions (short-lived access token + rotating refresh token), password changes and
 * resets, API keys, and the audit log of every change.
 */
export class IdentityService {
  private constructor(
    private readonly db: Db,
    readonly tokens: AccessTokens,
    private readonly now: () => Date,
  ) {}

  /**
   * The signing secret comes from `AUTH_SECRET`, else from the database (created once), so that
   * every replica accepts the tokens of every other.
   */
  static async open(db: Db, opts: { secret?: string; now?: () => Date } = {}): Promise<IdentityService> {
    let secret = opts.secret;
    if (!secret) {
      await db.execute(
        sql`INSERT INTO settings (key, value) VALUES ('jwt_secret', ${randomToken(48)}) ON CONFLICT (key) DO NOTHING`,
      );
      const [row] = rowsOf<{ value: string }>(
        await db.execute(sql`SELECT value FROM settings WHERE key = 'jwt_secret'`),
      );
      secret = row!.value;
    }
    return new IdentityService(db, new AccessTokens(secret), opts.now ?? (() => new Date()));
  }

  async audit(
    actor: string,
    action: string,
    resource: string,
    before?: unknown,
    after?: unknown,
  ): Promise<void> {
    await this.db.execute(sql`
      INSERT INTO audit_log (at, actor, action, resource, before, after)
      VALUES (${this.now().toISOString()}::timestamptz, ${actor}, ${action}, ${resource},
              ${before === undefined ? null : JSON.stringify(before)}::jsonb, ${after === undefined ? null : JSON.stringify(after)}::jsonb)`);
  }

  /**
   * At first start, an `admin` user: with `password` when given (from the environment), else a
   * random one returned so the caller prints it once. `undefined` when users exist already.
   */
  async ensureFirstAdmin(password?: string): Promise<{ username: string; password: string } | undefined> {
    const [n] = rowsOf<{ n: string }>(await this.db.execute(sql`SELECT count(*) AS n FROM users`));
    if (Number(n!.n) > 0) return undefined;
    const chosen = password || randomToken(12);
    const inserted = rowsOf<{ id: string }>(
      await this.db.execute(sql`
        INSERT INTO users (username, password_hash, role, must_change_password)
        VALUES ('admin', ${await hashPassword(chosen)}, 'admin', ${!password})
        ON CONFLICT (username) DO NOTHING RETURNING id`),
    );
    if (!inserted.length) return undefined;
    await this.audit('system', 'user.create', 'user:admin', undefined, { username: 'admin', role: 'admin' });
    return { username: 'admin', password: chosen };
  }

  async createUser(actor: string, username: string, password: string, role: Role): Promise<UserView> {
    const rows = rowsOf<UserRow>(
      await this.db.execute(sql`
        INSERT INTO users (username, password_hash, role) VALUES (${username}, ${await hashPassword(password)}, ${role})
        ON CONFLICT (username) DO NOTHING RETURNING *`),
    );
    if (!rows[0]) throw conflict(`a user named ${username} exists already`);
    await this.audit(actor, 'user.create', `user:${username}`, undefined, { username, role });
    return viewOf(rows[0]);
  }

  async listUsers(): Promise<UserView[]> {
    return rowsOf<UserRow>(await this.db.execute(sql`SELECT * FROM users ORDER BY username`)).map(viewOf);
  }

  async updateUser(
    actor: string,
    id: string,
    change: { role?: Role; disabled?: boolean },
  ): Promise<UserView> {
    const before = await this.user(id);
    const rows = rowsOf<UserRow>(
      await this.db.execute(sql`
        UPDATE users SET role = COALESCE(${change.role ?? null}, role), disabled = COALESCE(${change.disabled ?? null}::boolean, disabled)
        WHERE id = ${id}::uuid RETURNING *`),
    );
    // A disabled user's sessions end now, not when their refresh token expires.
    if (change.disabled) await this.revokeSessions(id);
    const after = viewOf(rows[0]!);
    await this.audit(actor, 'user.update', `user:${after.username}`, viewOf(before), after);
    return after;
  }

  private async user(id: string): Promise<UserRow> {
    const [row] = rowsOf<UserRow>(await this.db.execute(sql`SELECT * FROM users WHERE id = ${id}::uuid`));
    if (!row) throw notFound(`no user ${id}`);
    return row;
  }

  async login(username: string, password: string): Promise<Session> {
    const [row] = rowsOf<UserRow>(
      await this.db.execute(sql`SELECT * FROM users WHERE username = ${username}`),
    );
    // Same answer for an unknown user and a wrong password: the API does not confirm usernames.
    if (!row || row.disabled || !(await verifyPassword(row.password_hash, password)))
      throw unauthorized('wrong username or password');
    return this.issue(row, randomUUID());
  }

  private async issue(user: UserRow, family: string): Promise<Session> {
    const refreshToken = randomToken();
    const now = this.now();
    await this.db.execute(sql`
      INSERT INTO refresh_tokens (user_id, family, token_hash, expires_at)
      VALUES (${user.id}::uuid, ${family}::uuid, ${tokenHash(refreshToken)}, ${new Date(now.getTime() + REFRESH_TTL_MS).toISOString()}::timestamptz)`);
    return {
      accessToken: await this.tokens.sign({ sub: user.id, username: user.username, role: user.role }, now),
      refreshToken,
      expiresIn: this.tokens.ttlSeconds,
      user: viewOf(user),
    };
  }

  /**
   * Exchanges a refresh token for a new pair; the old one stops working. Presenting a token that
   * was already exchanged means it leaked: the whole family of tokens is revoked.
   */
  async refresh(refreshToken: string): Promise<Session> {
    const [row] = rowsOf<{
      id: string;
      user_id: string;
      family: string;
      expires_at: string;
      revoked_at: string | null;
    }>(
      await this.db.execute(sql`SELECT * FROM refresh_tokens WHERE token_hash = ${tokenHash(refreshToken)}`),
    );
    if (!row) throw unauthorized('unknown refresh token: log in again');
    if (row.revoked_at) {
      await this.db.execute(
        sql`UPDATE refresh_tokens SET revoked_at = now() WHERE family = ${row.family}::uuid AND revoked_at IS NULL`,
      );
      throw unauthorized('this refresh token was already used; every session of it is revoked: log in again');
    }
    if (new Date(row.expires_at) <= this.now()) throw unauthorized('refresh token expired: log in again');
    await this.db.execute(sql`UPDATE refresh_tokens SET revoked_at = now() WHERE id = ${row.id}::uuid`);
    const user = await this.user(row.user_id);
    if (user.disabled) throw unauthorized('this user is disabled');
    return this.issue(user, row.family);
  }

  async logout(refreshToken: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = ${tokenHash(refreshToken)} AND revoked_at IS NULL`,
    );
  }

  private async revokeSessions(userId: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = ${userId}::uuid AND revoked_at IS NULL`,
    );
  }

  async changePassword(userId: string, current: string, next: string): Promise<void> {
    const user = await this.user(userId);
    if (!(await verifyPassword(user.password_hash, current)))
      // 400, not 401: the session is fine, and a 401 would make the console log the user out.
      throw badRequest('the current password is wrong', [
        { path: 'body.current', message: 'type the password you logged in with' },
      ]);
    await this.setPassword(user, next, user.username);
  }

  private async setPassword(user: UserRow, password: string, actor: string): Promise<void> {
    await this.db.execute(sql`
      UPDATE users SET password_hash = ${await hashPassword(password)}, must_change_password = false, password_changed_at = now()
      WHERE id = ${user.id}::uuid`);
    await this.revokeSessions(user.id);
    await this.audit(actor, 'user.password', `user:${user.username}`);
  }

  /** An admin issues a one-hour reset token for a user (given to them out of band). */
  async createReset(actor: string, userId: string): Promise<{ token: string; expiresAt: string }> {
    const user = await this.user(userId);
    const token = randomToken();
    const expiresAt = new Date(this.now().getTime() + RESET_TTL_MS).toISOString();
    await this.db.execute(sql`
      INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (${tokenHash(token)}, ${user.id}::uuid, ${expiresAt}::timestamptz)`);
    await this.audit(actor, 'user.reset', `user:${user.username}`);
    return { token, expiresAt };
  }

  async reset(token: string, password: string): Promise<void> {
    const [row] = rowsOf<{ user_id: string; expires_at: string; used_at: string | null }>(
      await this.db.execute(sql`SELECT * FROM password_resets WHERE token_hash = ${tokenHash(token)}`),
    );
    if (!row || row.used_at || new Date(row.expires_at) <= this.now())
      throw unauthorized('this reset token is unknown, used or expired: ask an admin for a new one');
    await this.db.execute(
      sql`UPDATE password_resets SET used_at = now() WHERE token_hash = ${tokenHash(token)}`,
    );
    await this.setPassword(await this.user(row.user_id), password, 'reset-token');
  }

  /** A new API key; the key itself is returned here and never again. */
  async createApiKey(actor: string, name: string, role: Role) {
    const { key, prefix } = newApiKey();
    const [row] = rowsOf<{ id: string; created_at: string }>(
      await this.db.execute(sql`
        INSERT INTO api_keys (name, prefix, key_hash, role, created_by) VALUES (${name}, ${prefix}, ${tokenHash(key)}, ${role}, ${actor})
        RETURNING id, created_at`),
    );
    await this.audit(actor, 'apikey.create', `apikey:${name}`, undefined, { name, role, prefix });
    return { id: row!.id, name, role, prefix, key, createdAt: new Date(row!.created_at).toISOString() };
  }

  async listApiKeys() {
    const rows = rowsOf<Record<string, string | null>>(
      await this.db.execute(
        sql`SELECT id, name, prefix, role, created_by, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at`,
      ),
    );
    const iso = (v: string | null | undefined) => (v ? new Date(v).toISOString() : null);
    return rows.map((r) => ({
      id: r.id!,
      name: r.name!,
      prefix: r.prefix!,
      role: r.role as Role,
      createdBy: r.created_by!,
      createdAt: iso(r.created_at)!,
      lastUsedAt: iso(r.last_used_at),
      revokedAt: iso(r.revoked_at),
    }));
  }

  async revokeApiKey(actor: string, id: string): Promise<void> {
    const rows = rowsOf<{ name: string }>(
      await this.db.execute(
        sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${id}::uuid AND revoked_at IS NULL RETURNING name`,
      ),
    );
    if (!rows[0]) throw notFound(`no active API key ${id}`);
    await this.audit(actor, 'apikey.revoke', `apikey:${rows[0].name}`);
  }

  /** The principal behind a bearer credential: an access token or an API key. */
  async authenticate(credential: string): Promise<Principal | undefined> {
    const prefix = apiKeyPrefix(credential);
    if (prefix) {
      const [row] = rowsOf<{
        id: string;
        name: string;
        key_hash: string;
        role: Role;
        revoked_at: string | null;
        used_lately: boolean;
      }>(
        await this.db.execute(sql`
          SELECT id, name, key_hash, role, revoked_at, COALESCE(last_used_at > ${USED_LATELY}, false) AS used_lately
          FROM api_keys WHERE prefix = ${prefix}`),
      );
      if (!row || row.revoked_at || !sameSecret(row.key_hash, tokenHash(credential))) return undefined;
      // Senders call with their key many times a second: one write a minute says as much, and the
      // condition keeps replicas from writing it once each.
      if (!row.used_lately)
        await this.db.execute(sql`
          UPDATE api_keys SET last_used_at = now()
          WHERE id = ${row.id}::uuid AND NOT COALESCE(last_used_at > ${USED_LATELY}, false)`);
      return { kind: 'apikey', id: row.id, name: `apikey:${row.name}`, role: row.role };
    }
    const claims = await this.tokens.verify(credential, this.now());
    return claims ? { kind: 'user', id: claims.sub, name: claims.username, role: claims.role } : undefined;
  }

  async auditLog(f: AuditFilter) {
    const rows = rowsOf<AuditRow & PageKey>(await this.db.execute(auditQuery(f)));
    return pageOf(rows, f.limit, (r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action,
      resource: r.resource,
      before: r.before,
      after: r.after,
    }));
  }
}
