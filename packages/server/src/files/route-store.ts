import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { pgArray } from '../db/pg-array.ts';
import { rowsOf } from '../db/rows.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import type { Route, RouteMatch } from './routing.ts';

/** Routing rules as stored; routing.ts decides with them. */
export interface StoredRoute extends Route {
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface RouteInput {
  name: string;
  position?: number;
  enabled?: boolean;
  match?: RouteMatch;
  actionIds: string[];
  mode?: 'sequence' | 'parallel';
}

interface Row {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  match: RouteMatch | string;
  action_ids: string[] | string;
  mode: 'sequence' | 'parallel';
  created_at: string | Date;
  updated_at: string | Date;
}

/** node-postgres parses uuid[]; PGlite may hand back its text form. */
const ids = (v: string[] | string): string[] =>
  Array.isArray(v)
    ? v
    : v
        .replace(/^\{|\}$/g, '')
        .split(',')
        .filter(Boolean);

export const toRoute = (r: Row): StoredRoute => ({
  id: r.id,
  name: r.name,
  position: r.position,
  enabled: r.enabled,
  match: typeof r.match === 'string' ? JSON.parse(r.match) : r.match,
  actionIds: ids(r.action_ids),
  mode: r.mode,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export class RouteStore {
  constructor(private readonly db: Db) {}

  private async knownActions(actionIds: string[]): Promise<void> {
    const found = rowsOf<{ id: string }>(
      await this.db.execute(
        sql`SELECT id::text FROM file_actions WHERE id = ANY(${pgArray(actionIds)}::uuid[])`,
      ),
    ).map((r) => r.id);
    const problems = actionIds
      .map((id, i) => ({ id, i }))
      .filter(({ id }) => !found.includes(id))
      .map(({ id, i }) => ({ path: `body.actionIds.${i}`, message: `no action ${id}` }));
    if (problems.length) throw badRequest('a route runs only existing actions', problems);
  }

  async list(tx: Pick<Db, 'execute'> = this.db): Promise<StoredRoute[]> {
    return rowsOf<Row>(await tx.execute(sql`SELECT * FROM file_routes ORDER BY position, name`)).map(toRoute);
  }

  async get(id: string): Promise<StoredRoute> {
    const [row] = rowsOf<Row>(await this.db.execute(sql`SELECT * FROM file_routes WHERE id = ${id}::uuid`));
    if (!row) throw notFound(`no file route ${id}`);
    return toRoute(row);
  }

  async create(input: RouteInput): Promise<StoredRoute> {
    await this.knownActions(input.actionIds);
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`
        INSERT INTO file_routes (name, position, enabled, match, action_ids, mode)
        VALUES (${input.name}, ${input.position ?? 0}, ${input.enabled ?? true}, ${JSON.stringify(input.match ?? {})}::jsonb,
          ${pgArray(input.actionIds)}::uuid[], ${input.mode ?? 'sequence'})
        ON CONFLICT (name) DO NOTHING RETURNING *`),
    );
    if (!row) throw conflict(`a route named ${input.name} exists already`);
    return toRoute(row);
  }

  async update(id: string, change: Partial<RouteInput>) {
    const before = await this.get(id);
    if (change.actionIds) await this.knownActions(change.actionIds);
    const next = { ...before, ...change };
    const rows = rowsOf<Row>(
      await this.db.execute(sql`
        UPDATE file_routes SET name = ${next.name}, position = ${next.position}, enabled = ${next.enabled},
          match = ${JSON.stringify(next.match)}::jsonb, action_ids = ${pgArray(next.actionIds)}::uuid[],
          mode = ${next.mode}, updated_at = now()
        WHERE id = ${id}::uuid
          AND NOT EXISTS (SELECT 1 FROM file_routes o WHERE o.name = ${next.name} AND o.id <> ${id}::uuid)
        RETURNING *`),
    );
    if (!rows[0]) throw conflict(`a route named ${next.name} exists already`);
    return { before, after: toRoute(rows[0]) };
  }

  async remove(id: string): Promise<StoredRoute> {
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`DELETE FROM file_routes WHERE id = ${id}::uuid RETURNING *`),
    );
    if (!row) throw notFound(`no file route ${id}`);
    return toRoute(row);
  }
}
