import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from './db/database.ts';
import { loggableError } from './http/log-error.ts';

/**
 * Background jobs on pg-boss, in the server's own database (PGlite or PostgreSQL). A periodic
 * job is offered by every replica each half period, and pg-boss keeps one per period (a
 * singleton key per time slot): it runs once, on whichever replica takes it. No queue policy
 * beyond that: a job left active by a killed server would otherwise block its queue until it
 * expires, and the jobs here are safe to overlap (they take their rows with SKIP LOCKED).
 */
export class Jobs {
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(
    private readonly boss: PgBoss,
    private readonly log: Logger,
  ) {}

  static async start(database: Database, log: Logger): Promise<Jobs> {
    const boss = new PgBoss({
      ...database.jobsConnection(),
      schema: 'pgboss',
      max: 4,
    } as PgBoss.ConstructorOptions);
    boss.on('error', (err) => log.warn({ err: loggableError(err) }, 'job queue error'));
    await boss.start();
    return new Jobs(boss, log);
  }

  /** `run` gets the job's id: each id runs once, on one replica. */
  async every(name: string, seconds: number, run: (jobId: string) => Promise<void>): Promise<void> {
    const queue = { name, policy: 'standard', expireInSeconds: Math.max(60, seconds * 4) } as const;
    await this.boss.createQueue(name, queue);
    // A queue made by an earlier build keeps its old policy unless told.
    await this.boss.updateQueue(name, queue);
    await this.boss.work(
      name,
      { pollingIntervalSeconds: Math.max(0.5, Math.min(2, seconds / 4)) },
      async ([job]) => {
        if (job) await run(job.id);
      },
    );
    const offer = () =>
      this.boss
        .send(name, {}, { singletonKey: name, singletonSeconds: seconds, retryLimit: 0 })
        .catch((err) => this.log.warn({ job: name, err: loggableError(err) }, 'could not offer a job'));
    void offer();
    const timer = setInterval(offer, (seconds * 1000) / 2);
    timer.unref();
    this.timers.push(timer);
  }

  /** Jobs of a queue that completed: for tests and /metrics. */
  async completed(name: string): Promise<number> {
    const rows = (await this.boss
      .getDb()
      .executeSql("SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed'", [
        name,
      ])) as { rows: { n: number }[] };
    return rows.rows[0]?.n ?? 0;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.boss.stop({ graceful: true, wait: true, timeout: 5000 });
  }
}
