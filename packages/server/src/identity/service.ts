import { EventEmitter } from 'node:events';
import { sql } from 'drizzle-orm';
import type { Database, Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { type PageKey, pageOf } from '../http/list-query.ts';
import { badRequest, conflict, notFound, Problem } from '../http/problem.ts';
import { type AuditFilter, type AuditRow, auditQuery } from './audit.ts';
import type { Role } from './permissions.ts';
import type { SecretBox } from './secret-box.ts';
import {
  apiKeyPrefix,
  hashPassword,
  newApiKey,
  randomToken,
  sameSecret,
  tokenHash,
  verifyPassword,
} from './secrets.ts';
import { LoginThrottle, type ThrottlePolicy } from './throttle.ts';
import { AccessTokens } from './tokens.ts';

/** A refresh token presented again within this of its use is a race, not a theft (see refresh). */
const REUSE_LEEWAY_MS = 10_000;
/** Who is calling: a user (by token) or an API key. */
export interface Principal {
  kind: 'user' | 'apikey';
  id: string;
  /** For the audit log and history: `alice`, `apikey:alertmanager`. */
  name: string;
  role: Role;
  /** A user's login (absent for API keys). */
  sessionId?: string;
  /** A user who must change the password may call nothing else until they have. */
  mustChangePassword?: boolean;
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

export interface IdentityOptions {
  /** `AUTH_SECRET`; without it a secret is made once and kept in the database sealed by `box`. */
  secret?: string;
  box: SecretBox;
  now?: () => Date;
  throttle?: ThrottlePolicy;
  /** How long a checked API key is trusted without asking the database again (default 10 s). */
  keyCacheMs?: number;
}

const REFRESH_TTL_MS = 30 * 24 * 3600_000;
const RESET_TTL_MS = 3600_000;
/** An API key's `last_used_at` is written at most once in this window. */
const USED_LATELY = sql`now() - interval '1 minute'`;
/** Every replica hears here whose access changed (a user's or an API key's id), to re-check open streams. */
const ACCESS_CHANNEL = 'opsfleet_access';
const SIGNING_SECRET = 'jwt_secret_sealed';
/**
 * A sender posts with its API key many times a second, and each check was a database round trip,
 * the largest share of an ingested webhook's after its own transaction. A revocation or a new
 * role drops the key from every replica's cache at once (the access channel); the time limit
 * covers a replica that missed the notification while its listening connection was down.
 */
const KEY_CACHE_MS = 10_000;
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
 * Users, sessions (short-lived access token + rotating refresh token, both tied to a session row
 * checked on every request), password changes and resets, API keys, and the audit log of every
 * change.
 */
export class IdentityService {
  private readonly access = new EventEmitter();
  /** Checked API keys by the SHA-256 of the key. */
  private readonly keys = new Map<string, { principal: Principal; at: number }>();
  private readonly throttle: LoginThrottle;
  private unlisten?: () => Promise<void>;

  private constructor(
    private readonly database: Database,
    readonly tokens: AccessTokens,
    private readonly now: () => Date,
    /** What an unknown user's password is checked against, so that it takes as long as a known one's. */
    private readonly dummyHash: string,
    throttle: ThrottlePolicy | undefined,
    private readonly keyCacheMs: number,
  ) {
    this.throttle = new LoginThrottle(database.db, now, throttle);
    this.access.setMaxListeners(0);
    this.access.on('change', (id: string) => this.forgetKey(id));
  }

  private forgetKey(id: string): void {
    for (const [hash, k] of this.keys) if (k.principal.id === id) this.keys.delete(hash);
  }

  private get db(): Db {
    return this.database.db;
  }

  /**
   * The signing secret is `AUTH_SECRET`, else one made once and kept in the database sealed with
   * the encryption key, so that every replica (sharing that key) accepts the tokens of every other.
   */
  static async open(database: Database, opts: IdentityOptions): Promise<IdentityService> {
    const { db } = database;
    let secret = opts.secret;
    if (!secret) {
      await db.execute(
        sql`INSERT INTO settings (key, value) VALUES (${SIGNING_SECRET}, ${opts.box.seal(randomToken(48))}) ON CONFLICT (key) DO NOTHING`,
      );
      const [row] = rowsOf<{ value: string }>(
        await db.execute(sql`SELECT value FROM settings WHERE key = ${SIGNING_SECRET}`),
      );
      try {
        secret = opts.box.open(row!.value);
      } catch (err) {
        throw new Error(`cannot read the token signing secret: ${(err as Error).message}`);
      }
      // Finishes a key rotation: sealed again with the new key, the previous one can be dropped.
      if (!opts.box.isCurrent(row!.value))
        await db.execute(
          sql`UPDATE settings SET value = ${opts.box.seal(secret)} WHERE key = ${SIGNING_SECRET} AND value = ${row!.value}`,
        );
    }
    const service = new IdentityService(
      database,
      new AccessTokens(secret),
      opts.now ?? (() => new Date()),
      await hashPassword(randomToken()),
      opts.throttle,
      opts.keyCacheMs ?? KEY_CACHE_MS,
    );
    service.unlisten = await database.listen(ACCESS_CHANNEL, (id) => service.access.emit('change', id));
    return service;
  }

  async close(): Promise<void> {
    await this.unlisten?.();
  }

  /**
   * Calls `listener` with the id of a user or API key whose access may have changed (logout,
   * disabled, role, password, revoked), on whichever replica the change was made.
   */
  onAccessChange(listener: (id: string) => void): () => void {
    this.access.on('change', listener);
    return () => this.access.off('change', listener);
  }

  private async accessChanged(id: string): Promise<void> {
    await this.database.notify(ACCESS_CHANNEL, id);
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

  /**
   * A change of role or disabled flag. The last active admin can be neither demoted nor disabled:
   * the admin rows are locked first, so two admins demoting each other at once cannot both succeed.
   */
  async updateUser(
    actor: string,
    id: string,
    change: { role?: Role; disabled?: boolean },
  ): Promise<UserView> {
    const [before, after] = await this.db.transaction(async (tx) => {
      const admins = rowsOf<{ id: string }>(
        await tx.execute(sql`SELECT id FROM users WHERE role = 'admin' AND NOT disabled FOR UPDATE`),
      ).map((r) => r.id);
      const [row] = rowsOf<UserRow>(await tx.execute(sql`SELECT * FROM users WHERE id = ${id}::uuid`));
      if (!row) throw notFound(`no user ${id}`);
      const stillAdmin = (change.role ?? row.role) === 'admin' && !(change.disabled ?? row.disabled);
      if (admins.length === 1 && admins[0] === id && !stillAdmin)
        throw conflict(
          `${row.username} is the last active admin; make another user admin first (PATCH /api/v1/users/{id} {"role": "admin"}), so that someone can still manage users`,
        );
      const [updated] = rowsOf<UserRow>(
        await tx.execute(sql`
          UPDATE users SET role = COALESCE(${change.role ?? null}, role), disabled = COALESCE(${change.disabled ?? null}::boolean, disabled)
          WHERE id = ${id}::uuid RETURNING *`),
      );
      return [row, updated!];
    });
    // A disabled user's sessions end now, not when their refresh token expires.
    if (after.disabled) await this.endSessions(id);
    await this.accessChanged(id);
    await this.audit(actor, 'user.update', `user:${after.username}`, viewOf(before), viewOf(after));
    return viewOf(after);
  }

  private async user(id: string): Promise<UserRow> {
    const [row] = rowsOf<UserRow>(await this.db.execute(sql`SELECT * FROM users WHERE id = ${id}::uuid`));
    if (!row) throw notFound(`no user ${id}`);
    return row;
  }

  /**
   * `address` is where the attempt came from, for the per-address back-off. Unknown users, wrong
   * passwords and disabled users get the same answer after the same work (a password hash is
   * checked in each case), so neither the answer nor its time tells which usernames exist.
   */
  async login(username: string, password: string, address = 'local'): Promise<Session> {
    const keys = LoginThrottle.keys(username, address);
    await this.throttle.check(keys);
    const [row] = rowsOf<UserRow>(
      await this.db.execute(sql`SELECT * FROM users WHERE username = ${username}`),
    );
    const matches = await verifyPassword(row?.password_hash ?? this.dummyHash, password);
    if (!row || row.disabled || !matches) {
      await this.throttle.failed(keys);
      throw unauthorized('wrong username or password');
    }
    await this.throttle.succeeded(keys);
    const [session] = rowsOf<{ id: string }>(
      await this.db.execute(
        sql`INSERT INTO sessions (id, user_id) VALUES (gen_random_uuid(), ${row.id}::uuid) RETURNING id`,
      ),
    );
    return this.issue(row, session!.id);
  }

  private async issue(user: UserRow, sessionId: string): Promise<Session> {
    const refreshToken = randomToken();
    const now = this.now();
    await this.db.execute(sql`
      INSERT INTO refresh_tokens (user_id, family, token_hash, expires_at)
      VALUES (${user.id}::uuid, ${sessionId}::uuid, ${tokenHash(refreshToken)}, ${new Date(now.getTime() + REFRESH_TTL_MS).toISOString()}::timestamptz)`);
    return {
      accessToken: await this.tokens.sign({ sub: user.id, sid: sessionId }, now),
      refreshToken,
      expiresIn: this.tokens.ttlSeconds,
      user: viewOf(user),
    };
  }

  /**
   * Exchanges a refresh token for a new pair; the old one stops working. The exchange claims the
   * token in one conditional UPDATE, so of several concurrent exchanges exactly one succeeds.
   * Presenting a token that was already exchanged means it leaked: its session ends.
   */
  async refresh(refreshToken: string): Promise<Session> {
    const hash = tokenHash(refreshToken);
    const now = this.now().toISOString();
    const [claimed] = rowsOf<{ family: string }>(
      await this.db.execute(sql`
        UPDATE refresh_tokens SET revoked_at = ${now}::timestamptz
        WHERE token_hash = ${hash} AND revoked_at IS NULL AND expires_at > ${now}::timestamptz
        RETURNING family`),
    );
    if (!claimed) {
      const [row] = rowsOf<{ family: string; revoked_at: string | null }>(
        await this.db.execute(sql`SELECT family, revoked_at FROM refresh_tokens WHERE token_hash = ${hash}`),
      );
      if (!row) throw unauthorized('unknown refresh token: log in again');
      if (!row.revoked_at) throw unauthorized('refresh token expired: log in again');
      // Used a moment ago: a racing duplicate of the refresh that won (two tabs, a retry), not
      // a stolen token; ending the session here would log the winner out too.
      if (this.now().getTime() - new Date(row.revoked_at).getTime() < REUSE_LEEWAY_MS)
        throw unauthorized(
          'this refresh token was used a moment ago by another request: use the tokens that request got',
        );
      await this.endSession(row.family);
      throw unauthorized('this refresh token was already used; its session is ended: log in again');
    }
    const [user] = rowsOf<UserRow>(
      await this.db.execute(sql`
        SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ${claimed.family}::uuid AND s.ended_at IS NULL AND NOT u.disabled`),
    );
    if (!user)
      throw unauthorized('this session has ended (logout, password change or disabled user): log in again');
    return this.issue(user, claimed.family);
  }

  /** Ends the session of `refreshToken`: its access tokens stop working at once. */
  async logout(refreshToken: string): Promise<void> {
    const [row] = rowsOf<{ family: string }>(
      await this.db.execute(
        sql`SELECT family FROM refresh_tokens WHERE token_hash = ${tokenHash(refreshToken)}`,
      ),
    );
    if (row) await this.endSession(row.family);
  }

  private async endSession(sessionId: string): Promise<void> {
    const [ended] = rowsOf<{ user_id: string }>(
      await this.db.execute(sql`
        UPDATE sessions SET ended_at = ${this.now().toISOString()}::timestamptz
        WHERE id = ${sessionId}::uuid AND ended_at IS NULL RETURNING user_id`),
    );
    if (ended) await this.accessChanged(ended.user_id);
  }

  private async endSessions(userId: string): Promise<void> {
    await this.db.execute(sql`
      UPDATE sessions SET ended_at = ${this.now().toISOString()}::timestamptz
      WHERE user_id = ${userId}::uuid AND ended_at IS NULL`);
    await this.accessChanged(userId);
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
    await this.endSessions(user.id);
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

  /** Uses a reset token; claimed in one conditional UPDATE, so it works once however many race for it. */
  async reset(token: string, password: string): Promise<void> {
    const now = this.now().toISOString();
    const [claimed] = rowsOf<{ user_id: string }>(
      await this.db.execute(sql`
        UPDATE password_resets SET used_at = ${now}::timestamptz
        WHERE token_hash = ${tokenHash(token)} AND used_at IS NULL AND expires_at > ${now}::timestamptz
        RETURNING user_id`),
    );
    if (!claimed)
      throw unauthorized('this reset token is unknown, used or expired: ask an admin for a new one');
    await this.setPassword(await this.user(claimed.user_id), password, 'reset-token');
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
    this.forgetKey(id);
    await this.accessChanged(id);
    await this.audit(actor, 'apikey.revoke', `apikey:${rows[0].name}`);
  }

  /**
   * The principal behind a bearer credential: an access token or an API key. For a token, the
   * session and the user are read now (one indexed query), so a logout, a disabled user or a new
   * role applies from the next request on.
   */
  async authenticate(credential: string): Promise<Principal | undefined> {
    const prefix = apiKeyPrefix(credential);
    if (prefix) {
      const hash = tokenHash(credential);
      const now = this.now().getTime();
      const known = this.keys.get(hash);
      if (known && now - known.at < this.keyCacheMs) return known.principal;
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
      if (!row || row.revoked_at || !sameSecret(row.key_hash, hash)) {
        this.keys.delete(hash);
        return undefined;
      }
      // Senders call with their key many times a second: one write a minute says as much, and the
      // condition keeps replicas from writing it once each.
      if (!row.used_lately)
        await this.db.execute(sql`
          UPDATE api_keys SET last_used_at = now()
          WHERE id = ${row.id}::uuid AND NOT COALESCE(last_used_at > ${USED_LATELY}, false)`);
      const principal: Principal = { kind: 'apikey', id: row.id, name: `apikey:${row.name}`, role: row.role };
      // Only keys that passed are kept, so guessing cannot grow the cache.
      if (this.keyCacheMs > 0) this.keys.set(hash, { principal, at: now });
      return principal;
    }
    const claims = await this.tokens.verify(credential, this.now());
    return claims ? this.sessionPrincipal(claims.sid, claims.sub) : undefined;
  }

  /**
   * `principal` as it stands now, for a credential accepted earlier (a live stream's): undefined
   * once its session ended, its user was disabled or its API key revoked; the role may have changed.
   */
  async recheck(principal: Principal): Promise<Principal | undefined> {
    if (principal.kind === 'user') return this.sessionPrincipal(principal.sessionId!, principal.id);
    const [row] = rowsOf<{ role: Role }>(
      await this.db.execute(
        sql`SELECT role FROM api_keys WHERE id = ${principal.id}::uuid AND revoked_at IS NULL`,
      ),
    );
    return row ? { ...principal, role: row.role } : undefined;
  }

  private async sessionPrincipal(sessionId: string, userId: string): Promise<Principal | undefined> {
    const [row] = rowsOf<{ username: string; role: Role; must_change_password: boolean }>(
      await this.db.execute(sql`
        SELECT u.username, u.role, u.must_change_password FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ${sessionId}::uuid AND s.user_id = ${userId}::uuid AND s.ended_at IS NULL AND NOT u.disabled`),
    );
    if (!row) return undefined;
    return {
      kind: 'user',
      id: userId,
      name: row.username,
      role: row.role,
      sessionId,
      mustChangePassword: row.must_change_password,
    };
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
