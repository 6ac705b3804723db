import { sql } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';

const TASK_STATES = ['pending', 'processing', 'done', 'failed', 'retrying', 'cancelled'] as const;

/**
 * The file pipeline seen from the server, read from the database at scrape time so every
 * replica reports the same cluster-wide numbers; the shipped alert rules
 * (deploy/prometheus/opsfleet-files.rules.yml) use them.
 */
export function fileServerMetrics(registry: Registry, db: Db): void {
  new Gauge({
    name: 'opsfleet_file_tasks',
    help: 'File tasks by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const rows = rowsOf<{ state: string; n: number }>(
        await db.execute(sql`SELECT state, count(*)::int AS n FROM file_tasks GROUP BY state`),
      );
      for (const state of TASK_STATES) this.set({ state }, rows.find((r) => r.state === state)?.n ?? 0);
    },
  });
  new Gauge({
    name: 'opsfleet_file_tasks_overdue',
    help: "File tasks processing for longer than their action's timeout (a stuck action, or a runner that died).",
    registers: [registry],
    async collect() {
      const [row] = rowsOf<{ n: number }>(
        await db.execute(sql`
          SELECT count(*)::int AS n FROM file_tasks t JOIN file_actions a ON a.id = t.action_id
          WHERE t.state = 'processing'
            AND t.started_at < now() - make_interval(secs => a.timeout_ms / 1000.0)`),
      );
      this.set(row?.n ?? 0);
    },
  });
  new Gauge({
    name: 'opsfleet_file_agents',
    help: 'Agents that reported watched folders, by status (online, offline).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = rowsOf<{ status: string; n: number }>(
        await db.execute(sql`
          SELECT a.status, count(*)::int AS n FROM agents a
          WHERE a.id IN (SELECT DISTINCT agent_id FROM file_sources) GROUP BY a.status`),
      );
      for (const status of ['online', 'offline'])
        this.set({ status }, rows.find((r) => r.status === status)?.n ?? 0);
    },
  });
}
