import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import type { RuleGroup } from './render.ts';

type Tx = Pick<Db, 'execute'>;

/** What a revision keeps: the group as saved, with the data source it is for. */
export interface GroupContent extends RuleGroup {
  datasourceId: string | null;
}

export interface GroupRow {
  id: string;
  name: string;
  datasource_id: string | null;
  revision: number;
  content: unknown;
  author: string;
  comment: string;
  created_at: string | Date;
  updated_at: string | Date;
}

export interface RevisionRow {
  revision: number;
  content: unknown;
  author: string;
  comment: string;
  created_at: string | Date;
}

const CURRENT = sql`g.id, g.name, g.datasource_id, g.revision, r.content, r.author, r.comment, g.created_at, g.updated_at
  FROM rule_groups g JOIN rule_group_revisions r ON r.group_id = g.id AND r.revision = g.revision`;

export const ruleStore = {
  async list(db: Tx): Promise<GroupRow[]> {
    return rowsOf(await db.execute(sql`SELECT ${CURRENT} ORDER BY g.name`));
  },

  async get(db: Tx, id: string, lock = false): Promise<GroupRow | undefined> {
    return rowsOf<GroupRow>(
      await db.execute(
        sql`SELECT ${CURRENT} WHERE g.id = ${id}::uuid ${lock ? sql`FOR UPDATE OF g` : sql``}`,
      ),
    )[0];
  },

  async insert(tx: Tx, id: string, c: GroupContent, author: string, comment: string): Promise<void> {
    await tx.execute(sql`
      INSERT INTO rule_groups (id, name, datasource_id, revision) VALUES (${id}::uuid, ${c.name}, ${c.datasourceId}::uuid, 1)`);
    await this.addRevision(tx, id, 1, c, author, comment);
  },

  /** The next revision of a locked group; it becomes the current one. */
  async revise(
    tx: Tx,
    id: string,
    revision: number,
    c: GroupContent,
    author: string,
    comment: string,
  ): Promise<void> {
    await tx.execute(sql`
      UPDATE rule_groups SET name = ${c.name}, datasource_id = ${c.datasourceId}::uuid, revision = ${revision},
        updated_at = now() WHERE id = ${id}::uuid`);
    await this.addRevision(tx, id, revision, c, author, comment);
  },

  async addRevision(tx: Tx, id: string, revision: number, c: GroupContent, author: string, comment: string) {
    await tx.execute(sql`
      INSERT INTO rule_group_revisions (group_id, revision, content, author, comment)
      VALUES (${id}::uuid, ${revision}, ${JSON.stringify(c)}::jsonb, ${author}, ${comment})`);
  },

  async revisions(db: Tx, id: string): Promise<RevisionRow[]> {
    return rowsOf(
      await db.execute(sql`
        SELECT revision, content, author, comment, created_at FROM rule_group_revisions
        WHERE group_id = ${id}::uuid ORDER BY revision DESC`),
    );
  },

  async revision(db: Tx, id: string, revision: number): Promise<RevisionRow | undefined> {
    return rowsOf<RevisionRow>(
      await db.execute(sql`
        SELECT revision, content, author, comment, created_at FROM rule_group_revisions
        WHERE group_id = ${id}::uuid AND revision = ${revision}`),
    )[0];
  },

  /** The group and name of a rule in its group's current revision. */
  async rule(
    db: Tx,
    ruleId: string,
  ): Promise<{ group_id: string; group_name: string; name: string } | undefined> {
    return rowsOf<{ group_id: string; group_name: string; name: string }>(
      await db.execute(sql`
        SELECT g.id AS group_id, g.name AS group_name, x->>'name' AS name
        FROM rule_groups g JOIN rule_group_revisions r ON r.group_id = g.id AND r.revision = g.revision,
          jsonb_array_elements(r.content->'rules') x
        WHERE x->>'id' = ${ruleId} LIMIT 1`),
    )[0];
  },

  async remove(db: Tx, id: string): Promise<boolean> {
    return (
      rowsOf(await db.execute(sql`DELETE FROM rule_groups WHERE id = ${id}::uuid RETURNING id`)).length > 0
    );
  },
};
