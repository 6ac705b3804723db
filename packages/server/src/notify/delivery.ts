import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import { pgArray } from '../db/pg-array.ts';
import { rowsOf } from '../db/rows.ts';
import type { Delivery as Outcome } from './channels/channel.ts';
import { CHANNELS } from './channels/index.ts';
import { allowance, backoffMs, DEFAULT_RETRY, type RetryPolicy } from './retry.ts';

/**
 * Drains the outbox. A claim leases due entries (so a crashed server's entries come back when
 * the lease ends), records an attempt as `sending` before anything leaves, and keeps each
 * rate-limited channel within its limit over a sliding minute; claims are serialised by an
 * advisory lock so replicas share one count. Each send's outcome is recorded on its own, so a
 * slow receiver holds up nobody else.
 */
export interface DeliveryOptions {
  db: Db;
  log: Logger;
  retry?: RetryPolicy;
  /** How long a claimed entry is reserved before another replica may try it (default 60 s). */
  leaseMs?: number;
  /** Sends in flight at once on this replica (default 16). */
  concurrency?: number;
  /** Hears each attempt's outcome (metrics). */
  onAttempt?: (kind: string, ok: boolean, ms: number) => void;
}

interface Claimed {
  id: string;
  channel_id: string;
  kind: string;
  config: Record<string, unknown> | string;
  title: string;
  markdown: string;
  payload: Record<string, unknown> | string;
  idempotency_key: string;
  attempts: number;
  max_attempts: number;
  attempt_id: string;
}

const CLAIM_LOCK = 7_310_512;
const parse = <T>(v: T | string): T => (typeof v === 'string' ? JSON.parse(v) : v);

export class Delivery {
  private readonly retry: RetryPolicy;
  private readonly leaseMs: number;
  private readonly concurrency: number;

  constructor(private readonly opts: DeliveryOptions) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.concurrency = opts.concurrency ?? 16;
  }

  /** Sends everything due until nothing is or `budgetMs` has passed; returns how many it tried. */
  async drain(budgetMs = 20_000): Promise<number> {
    const until = Date.now() + budgetMs;
    const inFlight = new Set<Promise<void>>();
    let tried = 0;
    while (Date.now() < until) {
      const room = this.concurrency - inFlight.size;
      const batch = room > 0 ? await this.claim(room) : [];
      for (const entry of batch) {
        const p = this.deliver(entry).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      tried += batch.length;
      if (!inFlight.size) break;
      await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return tried;
  }

  private async claim(limit: number): Promise<Claimed[]> {
    const now = Date.now();
    return this.opts.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${CLAIM_LOCK})`);
      const due = rowsOf<{ id: string; channel_id: string; kind: string }>(
        await tx.execute(sql`
          SELECT o.id, o.channel_id, c.kind FROM notify_outbox o JOIN notify_channels c ON c.id = o.channel_id
          WHERE o.state = 'pending' AND o.next_attempt_at <= now() AND (o.lease_until IS NULL OR o.lease_until < now())
          ORDER BY o.next_attempt_at LIMIT ${limit * 4} FOR UPDATE OF o SKIP LOCKED`),
      );
      if (!due.length) return [];
      const { take, defer } = await this.underRateLimits(tx, due, now);
      for (const [id, at] of defer)
        await tx.execute(
          sql`UPDATE notify_outbox SET next_attempt_at = ${new Date(at).toISOString()}::timestamptz WHERE id = ${id}::uuid`,
        );
      const ids = take.slice(0, limit);
      if (!ids.length) return [];
      // An attempt left `sending` belongs to a server that stopped mid-send.
      await tx.execute(sql`
        UPDATE notify_attempts SET status = 'interrupted', error = 'the server stopped before the answer came'
        WHERE outbox_id = ANY(${pgArray(ids)}::uuid[]) AND status = 'sending'`);
      return rowsOf<Claimed>(
        await tx.execute(sql`
          WITH claimed AS (
            UPDATE notify_outbox SET attempts = attempts + 1, lease_until = now() + ${this.leaseMs} * interval '1 millisecond'
            WHERE id = ANY(${pgArray(ids)}::uuid[]) RETURNING *),
          attempt AS (
            INSERT INTO notify_attempts (outbox_id, channel_id, attempt, status)
            SELECT id, channel_id, attempts, 'sending' FROM claimed RETURNING id, outbox_id)
          SELECT c.id, c.channel_id, ch.kind, ch.config, c.title, c.markdown, c.payload, c.idempotency_key,
                 c.attempts, c.max_attempts, a.id::text AS attempt_id
          FROM claimed c JOIN attempt a ON a.outbox_id = c.id JOIN notify_channels ch ON ch.id = c.channel_id`),
      );
    });
  }

  /** Splits due entries into those their channel's rate allows now and those to put off. */
  private async underRateLimits(
    tx: Parameters<Parameters<Db['transaction']>[0]>[0],
    due: { id: string; channel_id: string; kind: string }[],
    now: number,
  ): Promise<{ take: string[]; defer: [string, number][] }> {
    const limited = [...new Set(due.filter((d) => rateOf(d.kind)).map((d) => d.channel_id))];
    const sent = new Map<string, number[]>();
    if (limited.length) {
      const rows = rowsOf<{ channel_id: string; at: string | Date }>(
        await tx.execute(sql`
          SELECT channel_id, at FROM notify_attempts
          WHERE channel_id = ANY(${pgArray(limited)}::uuid[]) AND at > now() - interval '60 seconds'`),
      );
      for (const r of rows)
        sent.set(r.channel_id, [...(sent.get(r.channel_id) ?? []), new Date(r.at).getTime()]);
    }
    const take: string[] = [];
    const defer: [string, number][] = [];
    for (const d of due) {
      const rate = rateOf(d.kind);
      if (!rate) {
        take.push(d.id);
        continue;
      }
      const times = sent.get(d.channel_id) ?? [];
      const a = allowance(times, now, rate);
      if (a.allowed > 0) {
        take.push(d.id);
        sent.set(d.channel_id, [...times, now]);
      } else defer.push([d.id, a.freeAt!]);
    }
    return { take, defer };
  }

  private async deliver(entry: Claimed): Promise<void> {
    const channel = CHANNELS.find((c) => c.kind === entry.kind);
    let outcome: Outcome;
    try {
      outcome = channel
        ? await channel.send(
            {
              title: entry.title,
              markdown: entry.markdown,
              payload: parse(entry.payload),
              idempotencyKey: entry.idempotency_key,
            },
            parse(entry.config),
          )
        : { ok: false, retryable: false, error: `no channel kind ${entry.kind} in this build`, ms: 0 };
    } catch (err) {
      outcome = { ok: false, retryable: true, error: (err as Error).message, ms: 0 };
    }
    this.opts.onAttempt?.(entry.kind, outcome.ok, outcome.ms);
    try {
      await this.record(entry, outcome);
    } catch (err) {
      // The lease runs out and the entry is sent again under the same idempotency key.
      this.opts.log.warn({ outbox: entry.id, err: (err as Error).message }, 'could not record a delivery');
    }
  }

  private async record(entry: Claimed, outcome: Outcome): Promise<void> {
    const ms = Math.round(outcome.ms);
    const status = outcome.ok ? 'ok' : 'failed';
    const error = outcome.ok ? null : outcome.error.slice(0, 2000);
    const last = !outcome.ok && (!outcome.retryable || entry.attempts >= entry.max_attempts);
    const retryAt = new Date(Date.now() + backoffMs(entry.attempts, this.retry)).toISOString();
    const state = outcome.ok ? 'delivered' : last ? 'dead' : 'pending';
    await this.opts.db.execute(sql`
      WITH a AS (
        UPDATE notify_attempts SET status = ${status}, response_code = ${outcome.status ?? null}, error = ${error}, ms = ${ms}
        WHERE id = ${entry.attempt_id}::bigint)
      UPDATE notify_outbox SET state = ${state}, lease_until = NULL, last_error = ${error},
        delivered_at = CASE WHEN ${outcome.ok} THEN now() END,
        next_attempt_at = CASE WHEN ${state} = 'pending' THEN ${retryAt}::timestamptz ELSE next_attempt_at END
      WHERE id = ${entry.id}::uuid`);
    if (last)
      this.opts.log.warn({ outbox: entry.id, kind: entry.kind, error }, 'notification moved to dead letters');
  }
}

const rateOf = (kind: string) => CHANNELS.find((c) => c.kind === kind)?.ratePerMinute;
