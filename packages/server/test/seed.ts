import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/database.ts';
import { rowsOf } from '../src/db/rows.ts';

/**
 * Rows written straight to the tables, at chosen times: paging and retention are about how many
 * rows there are and how old they are, which the API cannot backdate.
 */
const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;

export const daysAgo = (days: number, now = Date.now()) => new Date(now - days * 86_400_000);

export async function seedChannel(db: Db, name = 'hook'): Promise<string> {
  const [row] = rowsOf<{ id: string }>(
    await db.execute(sql`
      INSERT INTO notify_channels (name, kind, config, created_by)
      VALUES (${name}, 'webhook', '{"url":"http://127.0.0.1:9/"}'::jsonb, 'test') RETURNING id`),
  );
  return row!.id;
}

/** A notification in `state`, created at `createdAt` (a time may be given as text, to the microsecond). */
export async function seedOutbox(
  db: Db,
  channelId: string,
  state: 'pending' | 'delivered' | 'dead' | 'discarded',
  createdAt: Date | string,
  attempts = 1,
): Promise<string> {
  const id = randomUUID();
  const created = typeof createdAt === 'string' ? sql`${createdAt}::timestamptz` : at(createdAt);
  await db.execute(sql`
    INSERT INTO notify_outbox (id, channel_id, event, title, markdown, payload, idempotency_key, state, attempts, max_attempts, created_at)
    VALUES (${id}::uuid, ${channelId}::uuid, 'firing', ${`title ${id}`}, 'body', '{}'::jsonb, ${id}, ${state}, ${attempts}, 8, ${created})`);
  for (let n = 1; n <= attempts; n++)
    await db.execute(sql`
      INSERT INTO notify_attempts (outbox_id, channel_id, attempt, status, at)
      VALUES (${id}::uuid, ${channelId}::uuid, ${n}, ${state === 'delivered' && n === attempts ? 'ok' : 'failed'}, ${created})`);
  return id;
}

export async function seedAudit(
  db: Db,
  entry: { at: Date | string; actor?: string; action?: string; resource?: string },
): Promise<void> {
  const time = typeof entry.at === 'string' ? sql`${entry.at}::timestamptz` : at(entry.at);
  await db.execute(sql`
    INSERT INTO audit_log (at, actor, action, resource)
    VALUES (${time}, ${entry.actor ?? 'admin'}, ${entry.action ?? 'user.update'}, ${entry.resource ?? 'user:alice'})`);
}

export async function seedSilence(db: Db, startsAt: Date, endsAt: Date, comment: string): Promise<string> {
  const [row] = rowsOf<{ id: string }>(
    await db.execute(sql`
      INSERT INTO silences (matchers, starts_at, ends_at, comment, created_by)
      VALUES ('[{"name":"team","value":"db","type":"="}]'::jsonb, ${at(startsAt)}, ${at(endsAt)}, ${comment}, 'test')
      RETURNING id`),
  );
  return row!.id;
}

/**
 * An alert with `episodes` instances, each with a fire and (unless open) a resolve and a close
 * in its history, last seen and closed at `lastSeen`; a member of a notification group.
 */
export async function seedAlert(
  db: Db,
  name: string,
  state: 'firing' | 'closed',
  lastSeen: Date,
  episodes = 1,
): Promise<void> {
  const ids = Array.from({ length: episodes }, () => randomUUID());
  await db.execute(sql`
    INSERT INTO alerts (fingerprint, name, labels, annotations, severity, source, state, current_instance_id, first_seen, last_seen)
    VALUES (${name}, ${name}, ${JSON.stringify({ alertname: name })}::jsonb, '{}'::jsonb, 'critical', 'test', ${state},
            ${ids.at(-1)!}::uuid, ${at(lastSeen)}, ${at(lastSeen)})`);
  for (const [n, id] of ids.entries()) {
    const starts = new Date(lastSeen.getTime() - (episodes - n) * 3_600_000);
    const open = state === 'firing' && n === episodes - 1;
    await db.execute(sql`
      INSERT INTO alert_instances (id, fingerprint, starts_at, state, last_seen, resolved_at, closed_at)
      VALUES (${id}::uuid, ${name}, ${at(starts)}, ${open ? 'firing' : 'closed'}, ${at(lastSeen)},
              ${open ? null : lastSeen.toISOString()}::timestamptz, ${open ? null : lastSeen.toISOString()}::timestamptz)`);
    const events = open
      ? [['fire', 'firing']]
      : [
          ['fire', 'firing'],
          ['resolve', 'resolved'],
          ['close', 'closed'],
        ];
    for (const [event, to] of events)
      await db.execute(sql`
        INSERT INTO alert_history (instance_id, fingerprint, at, event, to_state, actor)
        VALUES (${id}::uuid, ${name}, ${at(starts)}, ${event}, ${to}, 'test')`);
  }
  await db.execute(sql`
    WITH rule AS (
      INSERT INTO notify_rules (name, spec, created_by) VALUES (${`rule ${name}`}, '{}'::jsonb, 'test') RETURNING id),
    grp AS (
      INSERT INTO notify_groups (rule_id, group_key, labels, created_at)
      SELECT id, ${name}, '{}'::jsonb, now() FROM rule RETURNING id)
    INSERT INTO notify_members (group_id, fingerprint) SELECT id, ${name} FROM grp`);
}

/** Rows per table, for what a test expects to be kept or gone. */
export async function count(db: Db, table: string, where = sql`true`): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await db.execute(sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)} WHERE ${where}`),
  );
  return row!.n;
}
