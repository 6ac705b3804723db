import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { type PageKey, timeKeyset } from '../http/list-query.ts';
import type { CommandState } from './state.ts';

export interface CommandRow {
  id: string;
  agent_id: string;
  agent_name: string;
  kind: string;
  payload: unknown;
  state: CommandState;
  attempts: number;
  deadline: string | Date;
  delivered_at: string | Date | null;
  result: unknown;
  error: string | null;
  output_lines: number;
  created_by: string;
  created_at: string | Date;
  updated_at: string | Date;
  finished_at: string | Date | null;
  /** The database's clock when read. */
  now: string | Date;
}

export interface OutputLine {
  seq: number;
  stage: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  line: string;
  at: string;
}

export interface CommandFilter {
  agentId?: string;
  state?: CommandState;
  kind?: string;
  limit: number;
  cursor?: string;
}

type Tx = Pick<Db, 'execute'>;

const OPEN = sql`('queued', 'delivered', 'running')`;
const COLUMNS = sql`c.id, c.agent_id, c.agent_name, c.kind, c.payload, c.state, c.attempts, c.deadline,
  c.delivered_at, c.result, c.error, c.output_lines, c.created_by, c.created_at, c.updated_at, c.finished_at`;
const newestFirst = timeKeyset(sql`c.created_at`, sql`c.id`, 'uuid', 'desc');
const interval = (ms: number) => sql`(${ms}::double precision * interval '1 millisecond')`;

/**
 * The commands' tables. Times are the database's clock, so replicas agree on deadlines and on
 * when a delivery is old enough to hand out again.
 */
export const commandStore = {
  async insert(
    tx: Tx,
    c: {
      agentId: string;
      agentName: string;
      kind: string;
      payload: unknown;
      deadlineMs: number;
      createdBy: string;
    },
  ): Promise<CommandRow> {
    return rowsOf<CommandRow>(
      await tx.execute(sql`
        INSERT INTO commands AS c (agent_id, agent_name, kind, payload, state, deadline, created_by)
        VALUES (${c.agentId}::uuid, ${c.agentName}, ${c.kind}, ${JSON.stringify(c.payload)}::jsonb, 'queued',
                now() + ${interval(c.deadlineMs)}, ${c.createdBy})
        RETURNING ${COLUMNS}, now() AS now`),
    )[0]!;
  },

  /** The command, locked for the rest of the transaction. */
  async lock(tx: Tx, id: string): Promise<CommandRow | undefined> {
    return rowsOf<CommandRow>(
      await tx.execute(
        sql`SELECT ${COLUMNS}, now() AS now FROM commands c WHERE c.id = ${id}::uuid FOR UPDATE`,
      ),
    )[0];
  },

  async get(db: Tx, id: string): Promise<CommandRow | undefined> {
    return rowsOf<CommandRow>(
      await db.execute(sql`SELECT ${COLUMNS}, now() AS now FROM commands c WHERE c.id = ${id}::uuid`),
    )[0];
  },

  async setState(
    tx: Tx,
    id: string,
    state: CommandState,
    finish?: { result?: unknown; error?: string },
  ): Promise<CommandRow> {
    return rowsOf<CommandRow>(
      await tx.execute(sql`
        UPDATE commands c SET state = ${state}, updated_at = now(),
          result = CASE WHEN ${finish !== undefined}::boolean THEN ${finish?.result === undefined ? null : JSON.stringify(finish.result)}::jsonb ELSE c.result END,
          error = CASE WHEN ${finish !== undefined}::boolean THEN ${finish?.error ?? null} ELSE c.error END,
          finished_at = CASE WHEN ${finish !== undefined}::boolean THEN now() ELSE c.finished_at END
        WHERE c.id = ${id}::uuid
        RETURNING ${COLUMNS}, now() AS now`),
    )[0]!;
  },

  /**
   * Hands out the agent's open commands within their deadline that were never delivered, or
   * delivered at least `redeliverAfterMs` ago without a result: each one's attempts go up and
   * a queued one becomes delivered. Rows another replica is handing out right now are skipped.
   */
  async deliver(db: Tx, agentId: string, redeliverAfterMs: number, limit: number): Promise<CommandRow[]> {
    return rowsOf<CommandRow>(
      await db.execute(sql`
        WITH due AS (
          SELECT id FROM commands
          WHERE agent_id = ${agentId}::uuid AND state IN ${OPEN} AND deadline > now()
            AND (delivered_at IS NULL OR delivered_at <= now() - ${interval(redeliverAfterMs)})
          ORDER BY created_at, id
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        UPDATE commands c SET attempts = c.attempts + 1, delivered_at = now(), updated_at = now(),
          state = CASE WHEN c.state = 'queued' THEN 'delivered' ELSE c.state END
        FROM due WHERE c.id = due.id
        RETURNING ${COLUMNS}, now() AS now`),
    ).sort((a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime());
  },

  /** Milliseconds until the agent's next delivered command is due to be handed out again; null if none is. */
  async nextRedelivery(db: Tx, agentId: string, redeliverAfterMs: number): Promise<number | null> {
    const [row] = rowsOf<{ ms: number | null }>(
      await db.execute(sql`
        SELECT (extract(epoch FROM min(delivered_at) + ${interval(redeliverAfterMs)} - now()) * 1000)::float8 AS ms
        FROM commands
        WHERE agent_id = ${agentId}::uuid AND state IN ${OPEN} AND deadline > now() AND delivered_at IS NOT NULL`),
    );
    return row?.ms === null || row?.ms === undefined ? null : Math.max(0, Number(row.ms));
  },

  /** Writes down the expiry of every open command past its deadline; returns them. */
  async expireDue(db: Tx): Promise<CommandRow[]> {
    return rowsOf<CommandRow>(
      await db.execute(sql`
        UPDATE commands c SET state = 'expired', updated_at = now(), finished_at = c.deadline
        WHERE c.state IN ${OPEN} AND c.deadline <= now()
        RETURNING ${COLUMNS}, now() AS now`),
    );
  },

  /**
   * Stores the lines not stored yet (a batch sent again is stored once), up to `maxLines` per
   * command; returns how many were new and how many were dropped over the cap.
   */
  async addOutput(
    tx: Tx,
    id: string,
    lines: OutputLine[],
    maxLines: number,
  ): Promise<{ added: number; dropped: number }> {
    if (!lines.length) return { added: 0, dropped: 0 };
    const [row] = rowsOf<{ output_lines: number }>(
      await tx.execute(sql`SELECT output_lines FROM commands WHERE id = ${id}::uuid`),
    );
    const room = Math.max(0, maxLines - (row?.output_lines ?? 0));
    const kept = lines.slice(0, room);
    let added = 0;
    if (kept.length) {
      const values = sql.join(
        kept.map(
          (l) => sql`(${id}::uuid, ${l.seq}::int, ${l.stage}, ${l.level}, ${l.line}, ${l.at}::timestamptz)`,
        ),
        sql`, `,
      );
      added = rowsOf(
        await tx.execute(sql`
          INSERT INTO command_output (command_id, seq, stage, level, line, at) VALUES ${values}
          ON CONFLICT (command_id, seq) DO NOTHING RETURNING seq`),
      ).length;
      if (added)
        await tx.execute(
          sql`UPDATE commands SET output_lines = output_lines + ${added}, updated_at = now() WHERE id = ${id}::uuid`,
        );
    }
    return { added, dropped: lines.length - kept.length };
  },

  async output(db: Tx, id: string, afterSeq: number, limit: number): Promise<OutputLine[]> {
    return rowsOf<OutputLine & { at: string | Date }>(
      await db.execute(sql`
        SELECT seq, stage, level, line, at FROM command_output
        WHERE command_id = ${id}::uuid AND seq > ${afterSeq}
        ORDER BY seq LIMIT ${limit + 1}`),
    ).map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
  },

  async list(db: Tx, f: CommandFilter): Promise<(CommandRow & PageKey)[]> {
    const where: SQL[] = [newestFirst.after(f.cursor)];
    if (f.agentId) where.push(sql`c.agent_id = ${f.agentId}::uuid`);
    if (f.kind) where.push(sql`c.kind = ${f.kind}`);
    // Expired is also what an open command past its deadline reads as.
    if (f.state === 'expired')
      where.push(sql`(c.state = 'expired' OR (c.state IN ${OPEN} AND c.deadline <= now()))`);
    else if (f.state && ['queued', 'delivered', 'running'].includes(f.state))
      where.push(sql`c.state = ${f.state} AND c.deadline > now()`);
    else if (f.state) where.push(sql`c.state = ${f.state}`);
    return rowsOf<CommandRow & PageKey>(
      await db.execute(sql`
        SELECT ${COLUMNS}, now() AS now, ${newestFirst.key} FROM commands c
        WHERE ${sql.join(where, sql` AND `)}
        ORDER BY ${newestFirst.orderBy} LIMIT ${f.limit + 1}`),
    );
  },
};
