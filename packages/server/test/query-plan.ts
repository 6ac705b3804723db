import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/database.ts';
import { rowsOf } from '../src/db/rows.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] ? [node['Relation Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

/**
 * The tables a query reads with a sequential scan when the planner is told to avoid them
 * (`enable_seqscan = off`). A scan that remains means no index can serve the query, which on
 * a table of millions of rows is a scan of millions of rows; on a small test table the
 * planner would pick a scan anyway, so its own choice proves nothing. PostgreSQL only.
 */
export async function unindexedScans(db: Db, query: SQL, allowed: string[] = []): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL enable_seqscan = off`);
    const [row] = rowsOf<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(
      await tx.execute(sql`EXPLAIN (FORMAT JSON) ${query}`),
    );
    const plan = row!['QUERY PLAN'];
    const parsed = typeof plan === 'string' ? JSON.parse(plan) : plan;
    return seqScans(parsed[0].Plan).filter((t) => !allowed.includes(t));
  });
}
