import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';

/** A service as the agent reports it (the agent's `ServiceStatus`, plus its health). */
export interface ReportedService {
  name: string;
  state: string;
  backend: string;
  pid?: number;
  restarts: number;
  health?: string;
  startedAt?: string;
  reason?: string;
}

/** What an agent says about itself; its identity (id, name) comes from its API key instead. */
export interface AgentReport {
  /** The agent's own name; its key's name when it reports none. */
  name?: string;
  hostname: string;
  version: string;
  labels: Record<string, string>;
  services: ReportedService[];
  grpcAddress?: string;
  startedAt?: string;
}

export interface AgentRow {
  id: string;
  name: string;
  key_name: string;
  hostname: string;
  version: string;
  labels: Record<string, string> | string;
  services: ReportedService[] | string;
  grpc_address: string | null;
  remote_address: string | null;
  started_at: string | Date | null;
  registered_at: string | Date;
  first_seen: string | Date;
  last_seen: string | Date;
  status: 'online' | 'offline';
  status_at: string | Date;
  /** Computed at read time: last_seen is older than the offline threshold. */
  lapsed: boolean;
  /** The database's clock when read. */
  now: string | Date;
}

export interface HistoryRow {
  at: string | Date;
  event: 'registered' | 'online' | 'offline';
  detail: string;
}

export interface ListFilter {
  status?: 'online' | 'offline';
  labels?: Record<string, string>;
  text?: string;
  /** After this (name, id), in name order. */
  after?: [string, string];
  limit: number;
}

type Tx = Pick<Db, 'execute'>;

/** `ms` as an SQL interval. */
const interval = (ms: number) => sql`(${ms}::double precision * interval '1 millisecond')`;
const lapsed = (offlineAfterMs: number) => sql`(a.last_seen <= now() - ${interval(offlineAfterMs)})`;
const COLUMNS = sql`a.id, a.name, a.key_name, a.hostname, a.version, a.labels, a.services, a.grpc_address, a.remote_address,
  a.started_at, a.registered_at, a.first_seen, a.last_seen, a.status, a.status_at`;

/**
 * The agents' tables. Every time is the database's clock (`now()`), so replicas whose clocks
 * differ agree on who is offline.
 */
export const agentStore = {
  /** The agent's row, locked for the rest of the transaction; undefined for an unknown agent. */
  async lock(tx: Tx, id: string, offlineAfterMs: number): Promise<AgentRow | undefined> {
    return rowsOf<AgentRow>(
      await tx.execute(sql`
        SELECT ${COLUMNS}, ${lapsed(offlineAfterMs)} AS lapsed, now() AS now
        FROM agents a WHERE a.id = ${id}::uuid FOR UPDATE`),
    )[0];
  },

  /** Creates or replaces the agent's row (a registration), online as of now. */
  async upsert(
    tx: Tx,
    agent: { id: string; name: string; remoteAddress?: string },
    report: AgentReport,
    statusChanged: boolean,
  ): Promise<{ now: string | Date; created: boolean }> {
    const [row] = rowsOf<{ now: string | Date; created: boolean }>(
      await tx.execute(sql`
        INSERT INTO agents AS a (id, name, key_name, hostname, version, labels, services, grpc_address, remote_address,
                           started_at, registered_at, first_seen, last_seen, status, status_at)
        VALUES (${agent.id}::uuid, ${report.name ?? agent.name}, ${agent.name}, ${report.hostname}, ${report.version},
                ${JSON.stringify(report.labels)}::jsonb, ${JSON.stringify(report.services)}::jsonb,
                ${report.grpcAddress ?? null}, ${agent.remoteAddress ?? null}, ${report.startedAt ?? null}::timestamptz,
                now(), now(), now(), 'online', now())
        ON CONFLICT (id) DO UPDATE SET
          name = EXCLUDED.name, key_name = EXCLUDED.key_name, hostname = EXCLUDED.hostname, version = EXCLUDED.version,
          labels = EXCLUDED.labels, services = EXCLUDED.services, grpc_address = EXCLUDED.grpc_address,
          remote_address = EXCLUDED.remote_address, started_at = EXCLUDED.started_at,
          registered_at = now(), last_seen = now(), status = 'online',
          status_at = CASE WHEN ${statusChanged}::boolean THEN now() ELSE a.status_at END
        RETURNING now() AS now, (xmax = 0) AS created`),
    );
    return row!;
  },

  /** The key name of the agent listed under `name`. */
  async keyNameOf(db: Tx, name: string): Promise<string | undefined> {
    return rowsOf<{ key_name: string }>(
      await db.execute(sql`SELECT key_name FROM agents WHERE name = ${name}`),
    )[0]?.key_name;
  },

  /** A heartbeat: seen now, with this service list. */
  async touch(
    tx: Tx,
    id: string,
    services: ReportedService[],
    statusChanged: boolean,
  ): Promise<string | Date> {
    const [row] = rowsOf<{ now: string | Date }>(
      await tx.execute(sql`
        UPDATE agents a SET last_seen = now(), services = ${JSON.stringify(services)}::jsonb, status = 'online',
          status_at = CASE WHEN ${statusChanged}::boolean THEN now() ELSE a.status_at END
        WHERE a.id = ${id}::uuid
        RETURNING now() AS now`),
    );
    return row!.now;
  },

  async addHistory(
    tx: Tx,
    id: string,
    event: HistoryRow['event'],
    detail: string,
    at: SQL = sql`now()`,
  ): Promise<void> {
    await tx.execute(sql`
      INSERT INTO agent_status_history (agent_id, at, event, detail) VALUES (${id}::uuid, ${at}, ${event}, ${detail})`);
  },

  /**
   * Records the online → offline transition of every agent whose last heartbeat is too old, at
   * the moment it became too old (not when this pass noticed). A row another replica already
   * moved is skipped (the UPDATE re-checks it after the lock), so each transition is recorded once.
   */
  async markOffline(db: Tx, offlineAfterMs: number, detail: string): Promise<string[]> {
    const rows = rowsOf<{ agent_id: string }>(
      await db.execute(sql`
        WITH gone AS (
          UPDATE agents a SET status = 'offline', status_at = a.last_seen + ${interval(offlineAfterMs)}
          WHERE a.status = 'online' AND ${lapsed(offlineAfterMs)}
          RETURNING a.id, a.status_at)
        INSERT INTO agent_status_history (agent_id, at, event, detail)
        SELECT id, status_at, 'offline', ${detail} FROM gone
        RETURNING agent_id`),
    );
    return rows.map((r) => r.agent_id);
  },

  async list(db: Tx, filter: ListFilter, offlineAfterMs: number): Promise<AgentRow[]> {
    const where: SQL[] = [sql`true`];
    if (filter.status === 'online') where.push(sql`NOT ${lapsed(offlineAfterMs)}`);
    if (filter.status === 'offline') where.push(lapsed(offlineAfterMs));
    if (filter.labels && Object.keys(filter.labels).length)
      where.push(sql`a.labels @> ${JSON.stringify(filter.labels)}::jsonb`);
    if (filter.text) {
      const like = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(
        sql`(a.name ILIKE ${like} OR a.key_name ILIKE ${like} OR a.hostname ILIKE ${like} OR a.labels::text ILIKE ${like})`,
      );
    }
    if (filter.after) where.push(sql`(a.name, a.id) > (${filter.after[0]}, ${filter.after[1]}::uuid)`);
    return rowsOf<AgentRow>(
      await db.execute(sql`
        SELECT ${COLUMNS}, ${lapsed(offlineAfterMs)} AS lapsed, now() AS now
        FROM agents a WHERE ${sql.join(where, sql` AND `)}
        ORDER BY a.name, a.id
        LIMIT ${filter.limit + 1}`),
    );
  },

  async counts(db: Tx, offlineAfterMs: number): Promise<{ online: number; offline: number }> {
    const [row] = rowsOf<{ online: number; offline: number }>(
      await db.execute(sql`
        SELECT count(*) FILTER (WHERE NOT ${lapsed(offlineAfterMs)})::int AS online,
               count(*) FILTER (WHERE ${lapsed(offlineAfterMs)})::int AS offline
        FROM agents a`),
    );
    return row ?? { online: 0, offline: 0 };
  },

  async get(db: Tx, id: string, offlineAfterMs: number): Promise<AgentRow | undefined> {
    return rowsOf<AgentRow>(
      await db.execute(sql`
        SELECT ${COLUMNS}, ${lapsed(offlineAfterMs)} AS lapsed, now() AS now
        FROM agents a WHERE a.id = ${id}::uuid`),
    )[0];
  },

  async history(db: Tx, id: string, limit: number): Promise<HistoryRow[]> {
    return rowsOf<HistoryRow>(
      await db.execute(sql`
        SELECT at, event, detail FROM agent_status_history
        WHERE agent_id = ${id}::uuid ORDER BY at DESC, id DESC LIMIT ${limit}`),
    );
  },

  /** Forgets the agent and its history; the removed row, or undefined if there was none. */
  async remove(db: Tx, id: string): Promise<{ name: string; hostname: string } | undefined> {
    return rowsOf<{ name: string; hostname: string }>(
      await db.execute(sql`DELETE FROM agents WHERE id = ${id}::uuid RETURNING name, hostname`),
    )[0];
  },
};
