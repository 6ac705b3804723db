import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { type PageKey, pageOf, timeKeyset } from '../http/list-query.ts';
import { conflict, notFound } from '../http/problem.ts';
import { DEFAULT_RETRY } from './retry.ts';

/** The outbox and its attempts as the API shows them: delivery log, dead letters, retry, discard. */
export const OUTBOX_STATES = ['pending', 'delivered', 'dead', 'discarded'] as const;
export const ATTEMPT_STATUSES = ['sending', 'ok', 'failed', 'interrupted'] as const;

export interface Attempt {
  id: string;
  outboxId: string;
  channelId: string;
  channelName: string | null;
  event: string;
  title: string;
  attempt: number;
  status: (typeof ATTEMPT_STATUSES)[number];
  responseCode: number | null;
  error: string | null;
  ms: number | null;
  at: string;
}

export interface OutboxItem {
  id: string;
  ruleId: string | null;
  ruleName: string | null;
  channelId: string;
  channelName: string | null;
  event: string;
  title: string;
  markdown: string;
  payload: Record<string, unknown>;
  idempotencyKey: string;
  state: (typeof OUTBOX_STATES)[number];
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());

// biome-ignore lint/suspicious/noExplicitAny: raw rows, mapped field by field below
const toAttempt = (r: any): Attempt => ({
  id: String(r.id),
  outboxId: r.outbox_id,
  channelId: r.channel_id,
  channelName: r.channel_name,
  event: r.event,
  title: r.title,
  attempt: r.attempt,
  status: r.status,
  responseCode: r.response_code,
  error: r.error,
  ms: r.ms,
  at: iso(r.at)!,
});

// biome-ignore lint/suspicious/noExplicitAny: raw rows, mapped field by field below
const toItem = (r: any): OutboxItem => ({
  id: r.id,
  ruleId: r.rule_id,
  ruleName: r.rule_name,
  channelId: r.channel_id,
  channelName: r.channel_name,
  event: r.event,
  title: r.title,
  markdown: r.markdown,
  payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
  idempotencyKey: r.idempotency_key,
  state: r.state,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  nextAttemptAt: r.state === 'pending' ? iso(r.next_attempt_at) : null,
  lastError: r.last_error,
  createdAt: iso(r.created_at)!,
  deliveredAt: iso(r.delivered_at),
});

const ITEM = sql`o.*, r.name AS rule_name, c.name AS channel_name
  FROM notify_outbox o LEFT JOIN notify_rules r ON r.id = o.rule_id LEFT JOIN notify_channels c ON c.id = o.channel_id`;

const ATTEMPT = sql`a.*, o.event, o.title, c.name AS channel_name
  FROM notify_attempts a JOIN notify_outbox o ON o.id = a.outbox_id LEFT JOIN notify_channels c ON c.id = a.channel_id`;

const attemptOrder = timeKeyset(sql`a.at`, sql`a.id`, 'bigint', 'desc');
const itemOrder = timeKeyset(sql`o.created_at`, sql`o.id`, 'uuid', 'desc');

export interface DeliveryFilter {
  status?: string;
  channelId?: string;
  outboxId?: string;
  limit: number;
  cursor?: string;
}

export interface OutboxFilter {
  state?: string;
  limit: number;
  cursor?: string;
}

/** The statements the lists run, for the store and for the test that checks their plans. */
export const outboxQueries = {
  /** Attempts, newest first. */
  deliveries(f: DeliveryFilter): SQL {
    const where = [attemptOrder.after(f.cursor)];
    if (f.status) where.push(sql`a.status = ${f.status}`);
    if (f.channelId) where.push(sql`a.channel_id = ${f.channelId}::uuid`);
    if (f.outboxId) where.push(sql`a.outbox_id = ${f.outboxId}::uuid`);
    return sql`SELECT ${attemptOrder.key}, ${ATTEMPT}
      WHERE ${sql.join(where, sql` AND `)} ORDER BY ${attemptOrder.orderBy} LIMIT ${f.limit + 1}`;
  },

  /** Outbox entries, newest first. */
  items(f: OutboxFilter): SQL {
    const where = [itemOrder.after(f.cursor)];
    if (f.state) where.push(sql`o.state = ${f.state}`);
    return sql`SELECT ${itemOrder.key}, ${ITEM}
      WHERE ${sql.join(where, sql` AND `)} ORDER BY ${itemOrder.orderBy} LIMIT ${f.limit + 1}`;
  },
};

export class OutboxStore {
  constructor(private readonly db: Db) {}

  async deliveries(f: DeliveryFilter): Promise<{ items: Attempt[]; nextCursor: string | null }> {
    return pageOf(rowsOf<PageKey>(await this.db.execute(outboxQueries.deliveries(f))), f.limit, toAttempt);
  }

  async list(f: OutboxFilter): Promise<{ items: OutboxItem[]; nextCursor: string | null }> {
    return pageOf(rowsOf<PageKey>(await this.db.execute(outboxQueries.items(f))), f.limit, toItem);
  }

  async get(id: string): Promise<OutboxItem & { history: Attempt[] }> {
    const [row] = rowsOf(await this.db.execute(sql`SELECT ${ITEM} WHERE o.id = ${id}::uuid`));
    if (!row) throw notFound(`no notification ${id}`);
    const history = rowsOf(
      await this.db.execute(sql`SELECT ${ATTEMPT} WHERE a.outbox_id = ${id}::uuid ORDER BY a.attempt`),
    ).map(toAttempt);
    return { ...toItem(row), history };
  }

  /** A dead letter goes back to the queue with a fresh set of attempts; its history stays. */
  async retry(id: string): Promise<OutboxItem> {
    return this.fromDead(
      id,
      sql`state = 'pending', max_attempts = attempts + ${DEFAULT_RETRY.maxAttempts}, next_attempt_at = now(), lease_until = NULL`,
    );
  }

  /** Kept for the record as `discarded`, never sent. */
  async discard(id: string): Promise<OutboxItem> {
    return this.fromDead(id, sql`state = 'discarded'`);
  }

  private async fromDead(id: string, set: SQL): Promise<OutboxItem> {
    const [moved] = rowsOf(
      await this.db.execute(
        sql`UPDATE notify_outbox SET ${set} WHERE id = ${id}::uuid AND state = 'dead' RETURNING id`,
      ),
    );
    const item = await this.get(id);
    if (!moved)
      throw conflict(
        `notification ${id} is ${item.state}, not a dead letter; only dead letters are retried or discarded`,
      );
    return item;
  }
}
