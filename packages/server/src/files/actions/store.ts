import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import type { Outbound } from '../../http/outbound.ts';
import { badRequest, conflict, notFound, Problem } from '../../http/problem.ts';
import type { SecretBox } from '../../identity/secret-box.ts';
import type { FileAction } from './action.ts';
import { ACTIONS, actionKind } from './index.ts';

/**
 * Configured actions. A kind's secret fields are sealed with the server's key, bound to the
 * action's id (copied onto another row they do not open), and answered masked; a masked value
 * sent back keeps the stored one unless the action's URL changed, which would hand the stored
 * secret to whoever runs the new address.
 */
export const MASK = '••••••';

export interface StoredAction {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  timeoutMs: number;
  maxAttempts: number;
  maxConcurrency: number;
  fallbackActionId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ActionInput {
  name: string;
  kind: string;
  config: Record<string, unknown>;
  timeoutMs?: number;
  maxAttempts?: number;
  maxConcurrency?: number;
  fallbackActionId?: string | null;
}

interface Row {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown> | string;
  sealed_secrets: string | null;
  timeout_ms: number;
  max_attempts: number;
  max_concurrency: number;
  fallback_action_id: string | null;
  created_at: string | Date;
  updated_at: string | Date;
}

// biome-ignore lint/suspicious/noExplicitAny: each kind has its own config type
function kindOf(kind: string): FileAction<any> {
  const action = actionKind(kind);
  if (!action)
    throw badRequest(`unknown action kind ${kind}`, [
      { path: 'body.kind', message: `use one of ${ACTIONS.map((a) => a.kind).join(', ')}` },
    ]);
  return action;
}

const maskValue = (v: unknown) =>
  v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).map((k) => [k, MASK])) : MASK;

export function maskedConfig(kind: string, config: Record<string, unknown>): Record<string, unknown> {
  const secrets: readonly string[] = actionKind(kind)?.secrets ?? [];
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, secrets.includes(k) && v !== undefined ? maskValue(v) : v]),
  );
}

/** Masked values replaced by the stored ones; 400 naming each field when that is not allowed. */
function unmasked(
  kind: string,
  submitted: Record<string, unknown>,
  stored: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...submitted };
  const kept: string[] = [];
  for (const field of kindOf(kind).secrets) {
    const v = submitted[field];
    if (v === MASK) {
      out[field] = stored[field];
      kept.push(field);
    } else if (v && typeof v === 'object') {
      const old = (stored[field] ?? {}) as Record<string, unknown>;
      out[field] = Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          if (x !== MASK) return [k, x];
          kept.push(`${field}.${k}`);
          return [k, old[k]];
        }),
      );
    }
  }
  const missing = kept.filter(
    (f) => f.split('.').reduce<unknown>((o, k) => (o as never)?.[k], stored) === undefined,
  );
  if (missing.length)
    throw badRequest(
      'a masked value has nothing stored behind it',
      missing.map((f) => ({ path: `body.config.${f}`, message: 'enter its value' })),
    );
  if (kept.length && submitted.url !== stored.url)
    throw badRequest(
      'the URL changed: stored secrets are not sent to a new destination',
      kept.map((f) => ({ path: `body.config.${f}`, message: 'enter it again for the new URL' })),
    );
  return out;
}

/** The kind's check, plus the address policy on a literal host: 422 naming every field. */
function checked(kind: string, config: Record<string, unknown>, net: Outbound): Record<string, unknown> {
  const problems = kindOf(kind).check(config);
  if (typeof config.url === 'string' && !problems.some((p) => p.path === 'url')) {
    const why = net.hostRefusal(new URL(config.url).hostname);
    if (why) problems.push({ path: 'url', message: why });
  }
  if (problems.length)
    throw new Problem(
      422,
      'Unprocessable Content',
      `the ${kind} action is not usable: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      problems.map((p) => ({ path: `body.config.${p.path}`, message: p.message })),
    );
  return config;
}

export class ActionStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly net: Outbound,
  ) {}

  private toAction(r: Row): StoredAction {
    const shown = typeof r.config === 'string' ? JSON.parse(r.config) : r.config;
    let config = shown;
    if (r.sealed_secrets) {
      const { action, values } = JSON.parse(this.box.open(r.sealed_secrets)) as {
        action: string;
        values: object;
      };
      if (action !== r.id)
        throw new Error(`the sealed secrets of file action ${r.id} belong to another action`);
      config = { ...shown, ...values };
    }
    return {
      id: r.id,
      name: r.name,
      kind: r.kind,
      config,
      timeoutMs: r.timeout_ms,
      maxAttempts: r.max_attempts,
      maxConcurrency: r.max_concurrency,
      fallbackActionId: r.fallback_action_id,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  static masked(a: StoredAction): StoredAction {
    return { ...a, config: maskedConfig(a.kind, a.config) };
  }

  private sealed(id: string, kind: string, config: Record<string, unknown>) {
    const secrets: readonly string[] = kindOf(kind).secrets;
    const shown = Object.fromEntries(Object.entries(config).filter(([k]) => !secrets.includes(k)));
    const values = Object.fromEntries(Object.entries(config).filter(([k]) => secrets.includes(k)));
    return {
      config: JSON.stringify(shown),
      secrets: Object.keys(values).length ? this.box.seal(JSON.stringify({ action: id, values })) : null,
    };
  }

  private async knownFallback(id: string | null | undefined, self?: string): Promise<string | null> {
    if (!id) return null;
    if (id === self)
      throw badRequest('an action cannot be its own fallback', [
        { path: 'body.fallbackActionId', message: 'pick another action' },
      ]);
    const [row] = rowsOf(await this.db.execute(sql`SELECT 1 FROM file_actions WHERE id = ${id}::uuid`));
    if (!row)
      throw badRequest(`no action ${id}`, [
        { path: 'body.fallbackActionId', message: 'pick an existing action' },
      ]);
    return id;
  }

  async create(input: ActionInput): Promise<StoredAction> {
    const config = checked(input.kind, input.config, this.net);
    const fallback = await this.knownFallback(input.fallbackActionId);
    const id = randomUUID();
    const s = this.sealed(id, input.kind, config);
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`
        INSERT INTO file_actions (id, name, kind, config, sealed_secrets, timeout_ms, max_attempts, max_concurrency, fallback_action_id)
        VALUES (${id}::uuid, ${input.name}, ${input.kind}, ${s.config}::jsonb, ${s.secrets},
          ${input.timeoutMs ?? 600_000}, ${input.maxAttempts ?? 3}, ${input.maxConcurrency ?? 4}, ${fallback}::uuid)
        ON CONFLICT (name) DO NOTHING RETURNING *`),
    );
    if (!row) throw conflict(`an action named ${input.name} exists already`);
    return this.toAction(row);
  }

  async get(id: string): Promise<StoredAction> {
    const [row] = rowsOf<Row>(await this.db.execute(sql`SELECT * FROM file_actions WHERE id = ${id}::uuid`));
    if (!row) throw notFound(`no file action ${id}`);
    return this.toAction(row);
  }

  async list(): Promise<StoredAction[]> {
    return rowsOf<Row>(await this.db.execute(sql`SELECT * FROM file_actions ORDER BY name`)).map((r) =>
      this.toAction(r),
    );
  }

  async update(id: string, change: Partial<Omit<ActionInput, 'kind'>>) {
    const before = await this.get(id);
    const config = change.config
      ? checked(before.kind, unmasked(before.kind, change.config, before.config), this.net)
      : before.config;
    const fallback =
      change.fallbackActionId === undefined
        ? before.fallbackActionId
        : await this.knownFallback(change.fallbackActionId, id);
    const s = this.sealed(id, before.kind, config);
    const rows = rowsOf<Row>(
      await this.db.execute(sql`
        UPDATE file_actions SET name = ${change.name ?? before.name}, config = ${s.config}::jsonb,
          sealed_secrets = ${s.secrets}, timeout_ms = ${change.timeoutMs ?? before.timeoutMs},
          max_attempts = ${change.maxAttempts ?? before.maxAttempts},
          max_concurrency = ${change.maxConcurrency ?? before.maxConcurrency},
          fallback_action_id = ${fallback}::uuid, updated_at = now()
        WHERE id = ${id}::uuid
          AND NOT EXISTS (SELECT 1 FROM file_actions o WHERE o.name = ${change.name ?? before.name} AND o.id <> ${id}::uuid)
        RETURNING *`),
    );
    if (!rows[0]) throw conflict(`an action named ${change.name} exists already`);
    return { before, after: this.toAction(rows[0]) };
  }

  /** Refused while a route uses it, so no route is left pointing nowhere. */
  async remove(id: string): Promise<StoredAction> {
    const [user] = rowsOf<{ name: string }>(
      await this.db.execute(sql`SELECT name FROM file_routes WHERE ${id}::uuid = ANY(action_ids) LIMIT 1`),
    );
    if (user) throw conflict(`route ${user.name} runs this action; take it out of the route first`);
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`DELETE FROM file_actions WHERE id = ${id}::uuid RETURNING *`),
    );
    if (!row) throw notFound(`no file action ${id}`);
    return this.toAction(row);
  }
}
