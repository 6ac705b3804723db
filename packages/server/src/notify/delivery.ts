import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import { pgArray } from '../db/pg-array.ts';
import { rowsOf } from '../db/rows.ts';
import { loggableError } from '../http/log-error.ts';
import type { Outbound } from '../http/outbound.ts';
import type { SecretBox } from '../identity/secret-box.ts';
import { openConfig } from './channel-store.ts';
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
  /** Opens the channels' sealed secrets. */
  box: SecretBox;
  /** The one outbound client, with the address policy. */
  net: Outbound;
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
  secrets: string | null;
  title: string;
  markdown: string;
  payload: Record<string, unknown> | string;
  idempotency_key: string;
  attempts: number;
  max_attempts: number;
  attempt_id: string;
}

const CLAIM_LOCK = 7_310_512;
const RECORD_EVERY = 8;
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

  /**
   * Sends everything due until nothing is or `budgetMs` has passed; returns how many it tried.
   * Entries are claimed a few batches ahead of the sends (their lease covers the wait) and
   * outcomes are written together, so the database sees a handful of statements per batch
   * rather than several per message.
   */
  async drain(budgetMs = 20_000): Promise<number> {
    const until = Date.now() + budgetMs;
    const queue: Claimed[] = [];
    const inFlight = new Set<Promise<void>>();
    const done: { entry: Claimed; outcome: Outcome }[] = [];
    let tried = 0;
    let more = true;
    for (;;) {
      if (more && queue.length < this.concurrency && Date.now() < until) {
        const batch = await this.claim(this.concurrency * 4);
        more = batch.length > 0;
        queue.push(...batch);
        tried += batch.length;
      }
      while (inFlight.size < this.concurrency && queue.length) {
        const entry = queue.shift()!;
        const p = this.send(entry)
          .then((outcome) => void done.push({ entry, outcome }))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      if (!inFlight.size) break;
      await Promise.race(inFlight);
      // Outcomes wait for a few more, not for a whole batch: an unrecorded send is repeated after
      // a crash, so at most twice the concurrency are sent again.
      if (done.length >= RECORD_EVERY || !queue.length) await this.record(done.splice(0));
    }
    await this.record(done.splice(0));
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
          SELECT c.id, c.channel_id, ch.kind, ch.config, ch.secrets, c.title, c.markdown, c.payload, c.idempotency_key,
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

  private async send(entry: Claimed): Promise<Outcome> {
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
            openConfig(this.opts.box, { id: entry.channel_id, config: entry.config, secrets: entry.secrets }),
            this.opts.net,
          )
        : { ok: false, retryable: false, error: `no channel kind ${entry.kind} in this build`, ms: 0 };
    } catch (err) {
      outcome = { ok: false, retryable: true, error: (err as Error).message, ms: 0 };
    }
    this.opts.onAttempt?.(entry.kind, outcome.ok, outcome.ms);
    return outcome;
  }

  /** Writes outcomes; on failure the leases run out and the entries are sent again under the same keys. */
  private async record(results: { entry: Claimed; outcome: Outcome }[]): Promise<void> {
    if (!results.length) return;
    const rows = results.map(({ entry, outcome }) => {
      const error = outcome.ok ? null : outcome.error.slice(0, 2000);
      const last = !outcome.ok && (!outcome.retryable || entry.attempts >= entry.max_attempts);
      if (last)
        this.opts.log.warn(
          { outbox: entry.id, kind: entry.kind, error },
          'notification moved to dead letters',
        );
      return {
        outbox_id: entry.id,
        attempt_id: entry.attempt_id,
        status: outcome.ok ? 'ok' : 'failed',
        code: outcome.status ?? null,
        error,
        ms: Math.round(outcome.ms),
        ok: outcome.ok,
        state: outcome.ok ? 'delivered' : last ? 'dead' : 'pending',
        retry_at: new Date(Date.now() + backoffMs(entry.attempts, this.retry)).toISOString(),
      };
    });
    try {
      await this.opts.db.execute(sql`
        WITH r AS (
          SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(
            outbox_id uuid, attempt_id bigint, status text, code int, error text, ms int, ok boolean, state text, retry_at timestamptz)),
        a AS (
          UPDATE notify_attempts t SET status = r.status, response_code = r.code, error = r.error, ms = r.ms
          FROM r WHERE t.id = r.attempt_id)
        UPDATE notify_outbox o SET state = r.state, lease_until = NULL, last_error = r.error,
          delivered_at = CASE WHEN r.ok THEN now() END,
          next_attempt_at = CASE WHEN r.state = 'pending' THEN r.retry_at ELSE o.next_attempt_at END
        FROM r WHERE o.id = r.outbox_id`);
    } catch (err) {
      this.opts.log.warn({ entries: rows.length, err: loggableError(err) }, 'could not record deliveries');
    }
  }
}

const rateOf = (kind: string) => CHANNELS.find((c) => c.kind === kind)?.ratePerMinute;
