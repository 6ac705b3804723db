import { sql } from 'drizzle-orm';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { OUTBOX_STATES } from './outbox-store.ts';

/**
 * What an operator alerts on: attempts by channel kind and outcome, send latency, and the
 * outbox by state (a growing `pending` or any `dead` wants a look). The outbox gauge is read
 * from the database at scrape time, so every replica reports the same cluster-wide numbers.
 */
export function notifyMetrics(registry: Registry, db: Db) {
  const attempts = new Counter({
    name: 'opsfleet_notify_attempts_total',
    help: 'Notification delivery attempts by channel kind and outcome (ok, failed).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'opsfleet_notify_send_seconds',
    help: 'Time a channel took to accept (or refuse) a notification.',
    labelNames: ['kind'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'opsfleet_notify_outbox',
    help: 'Notifications in the outbox by state (pending, delivered, dead, discarded).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const rows = rowsOf<{ state: string; n: number }>(
        await db.execute(sql`SELECT state, count(*)::int AS n FROM notify_outbox GROUP BY state`),
      );
      for (const state of OUTBOX_STATES) this.set({ state }, rows.find((r) => r.state === state)?.n ?? 0);
    },
  });
  return {
    attempt(kind: string, ok: boolean, ms: number) {
      attempts.inc({ kind, outcome: ok ? 'ok' : 'failed' });
      seconds.observe({ kind }, ms / 1000);
    },
  };
}
