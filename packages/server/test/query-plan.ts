import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/database.ts';
import { rowsOf } from '../src/db/rows.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] ? [node['Relation Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

/** The plan the planner picks for `query` with the given kinds of plan node turned off. */
async function planWithout(db: Db, query: SQL, off: string[]): Promise<PlanNode> {
  return db.transaction(async (tx) => {
    for (const setting of off) await tx.execute(sql.raw(`SET LOCAL ${setting} = off`));
    const [row] = rowsOf<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(
      await tx.execute(sql`EXPLAIN (FORMAT JSON) ${query}`),
    );
    const plan = row!['QUERY PLAN'];
    return (typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan;
  });
}

/**
 * The tables a query reads with a sequential scan when the planner is told to avoid them
 * (`enable_seqscan = off`). A scan that remains means no index can serve the query, which on
 * a table of millions of rows is a scan of millions of rows; on a small test table the
 * planner would pick a scan anyway, so its own choice proves nothing. PostgreSQL only.
 */
export async function unindexedScans(db: Db, query: SQL, allowed: string[] = []): Promise<string[]> {
  return seqScans(await planWithout(db, query, ['enable_seqscan'])).filter((t) => !allowed.includes(t));
}

interface IndexRead {
  index: string;
  cond: string | undefined;
  limited: boolean;
}

function indexReads(node: PlanNode, limited: boolean): IndexRead[] {
  const under = limited || node['Node Type'] === 'Limit';
  const own = node['Index Name']
    ? [{ index: node['Index Name'], cond: node['Index Cond'], limited: under }]
    : [];
  return [...own, ...(node.Plans ?? []).flatMap((p) => indexReads(p, under))];
}

/**
 * The indexes a query reads from end to end: an index scan with no limit whose condition does
 * not name the index's first column visits every entry, as a sequential scan would. With
 * sequential scans off, a table no index serves is often read that way, through an index on
 * other columns, where `unindexedScans` sees no scan; hash and merge joins are turned off too,
 * so a join reads its inner side by index when an index can serve it, as it would on a large
 * table. PostgreSQL only.
 */
export async function wholeIndexScans(db: Db, query: SQL): Promise<string[]> {
  const reads = indexReads(
    await planWithout(db, query, ['enable_seqscan', 'enable_hashjoin', 'enable_mergejoin']),
    false,
  );
  const leading = new Map(
    rowsOf<{ index: string; column: string }>(
      await db.execute(sql`
        SELECT c.relname AS index, a.attname AS column FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]`),
    ).map((r) => [r.index, r.column]),
  );
  const narrows = (r: IndexRead) => {
    const column = leading.get(r.index);
    // An index on an expression has no first column to name; its condition is trusted.
    return column === undefined || new RegExp(`\\b${column}\\b`).test(r.cond ?? '');
  };
  // An ordered read with no condition under a limit stops after a few entries.
  return reads.filter((r) => !narrows(r) && !(r.limited && r.cond === undefined)).map((r) => r.index);
}
