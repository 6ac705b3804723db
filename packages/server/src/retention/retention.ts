import { setTimeout as sleep } from 'node:timers/promises';
import type { SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { purgeClosedAlerts } from '../alerts/retention.ts';
import type { Database } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { loggableError } from '../http/log-error.ts';
import { purgeAudit } from '../identity/audit.ts';
import type { Jobs } from '../jobs.ts';
import { purgeOutbox } from '../notify/outbox-retention.ts';
import { purgeFinishedCommands } from './commands.ts';
import { DEFAULT_RETENTION, type RetentionSettings } from './settings.ts';

export interface RetentionOptions {
  database: Database;
  log: Logger;
  settings?: RetentionSettings;
  /** Where `opsfleet_retention_deleted_total` is registered. */
  registry?: Registry;
  /** Rows of the leading table (alerts, notifications, audit entries, commands) per statement (default 5,000). */
  batchSize?: number;
  /** The wait between two statements, so that other work gets the disk in between (default 200 ms). */
  pauseMs?: number;
  now?: () => Date;
}

/** A kind of record: the setting it follows, and the statement deleting one batch of it. */
interface Purge {
  setting: keyof RetentionSettings;
  /** The table the batch size counts; a batch short of it means nothing old is left. */
  leading: string;
  statement: (cutoff: Date, limit: number) => SQL;
}

const PURGES: Purge[] = [
  { setting: 'alertsMs', leading: 'alerts', statement: purgeClosedAlerts },
  { setting: 'notifyMs', leading: 'notify_outbox', statement: purgeOutbox },
  { setting: 'auditMs', leading: 'audit_log', statement: purgeAudit },
  { setting: 'commandsMs', leading: 'commands', statement: purgeFinishedCommands },
];

// Any constant shared by every replica and used for nothing else.
const LOCK_KEY = 7_400_233;

export type Deleted = Record<string, number>;

/**
 * Deletes what is older than its retention, in short statements of a bounded number of rows
 * with a pause between, so that no statement holds locks for long or floods the disk. One
 * replica at a time: a pass takes an advisory lock, and a replica that cannot have it leaves the
 * work to the one that has.
 */
export class Retention {
  private readonly deleted?: Counter<'table'>;
  private running?: Promise<Deleted | undefined>;
  private stopped = false;

  constructor(private readonly opts: RetentionOptions) {
    if (opts.registry)
      this.deleted = new Counter({
        name: 'opsfleet_retention_deleted_total',
        help: 'Rows deleted because they were older than their retention, by table.',
        labelNames: ['table'] as const,
        registers: [opts.registry],
      });
  }

  /** One pass over every kind; the rows deleted per table, or undefined when a pass runs elsewhere. */
  run(): Promise<Deleted | undefined> {
    // PGlite is one session, and a session may take its own advisory lock twice.
    this.running ??= this.locked().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Ends the pass in progress after its current statement. */
  stop(): void {
    this.stopped = true;
  }

  private async locked(): Promise<Deleted | undefined> {
    const conn = await this.opts.database.connect();
    try {
      const [lock] = await conn.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
      if (!lock?.ok) return undefined;
      try {
        return await this.purgeAll();
      } finally {
        await conn.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
      }
    } finally {
      conn.release();
    }
  }

  private async purgeAll(): Promise<Deleted> {
    const settings = this.opts.settings ?? DEFAULT_RETENTION;
    const now = (this.opts.now?.() ?? new Date()).getTime();
    const deleted: Deleted = {};
    for (const purge of PURGES) {
      const keepMs = settings[purge.setting];
      // One kind failing (a table a newer build refers to, a lost connection) keeps the others going.
      if (keepMs > 0)
        await this.purge(purge, new Date(now - keepMs), deleted).catch((err) =>
          this.opts.log.warn({ table: purge.leading, err: loggableError(err) }, 'retention failed'),
        );
    }
    if (Object.values(deleted).some((n) => n > 0)) this.opts.log.info({ deleted }, 'retention pass done');
    return deleted;
  }

  private async purge(purge: Purge, cutoff: Date, deleted: Deleted): Promise<void> {
    const batch = this.opts.batchSize ?? 5000;
    while (!this.stopped) {
      const [row = {}] = rowsOf<Deleted>(await this.opts.database.db.execute(purge.statement(cutoff, batch)));
      for (const [table, n] of Object.entries(row)) {
        deleted[table] = (deleted[table] ?? 0) + n;
        if (n > 0) this.deleted?.inc({ table }, n);
      }
      if ((row[purge.leading] ?? 0) < batch) return;
      await sleep(this.opts.pauseMs ?? 200);
    }
  }
}

/** The pass as a periodic job, hourly by default: once per period, on one replica. */
export async function scheduleRetention(
  jobs: Jobs,
  retention: Retention,
  everySeconds = 3600,
): Promise<void> {
  await jobs.every('retention', everySeconds, async () => {
    await retention.run();
  });
}
