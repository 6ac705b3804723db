import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { type PageKey, pageOf, timeKeyset } from '../http/list-query.ts';
import { badRequest, notFound } from '../http/problem.ts';
import { type Matcher, MatcherError, parseMatcher, validateMatchers } from './matchers.ts';

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
  createdAt: string;
  state: 'pending' | 'active' | 'expired';
}

interface SilenceRow {
  id: string;
  matchers: Matcher[] | string;
  starts_at: string | Date;
  ends_at: string | Date;
  comment: string;
  created_by: string;
  created_at: string | Date;
}

function viewOf(r: SilenceRow, now: Date): Silence {
  const startsAt = new Date(r.starts_at);
  const endsAt = new Date(r.ends_at);
  return {
    id: r.id,
    matchers: typeof r.matchers === 'string' ? JSON.parse(r.matchers) : r.matchers,
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    comment: r.comment,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    state: endsAt <= now ? 'expired' : startsAt > now ? 'pending' : 'active',
  };
}

/** Matchers as text (`team="db"`) or objects, checked; problems name the matcher by index. */
export function readMatchers(input: (string | Matcher)[]): Matcher[] {
  const problems: { path: string; message: string }[] = [];
  const parsed = input.map((m, i) => {
    if (typeof m !== 'string') return m;
    try {
      return parseMatcher(m);
    } catch (err) {
      problems.push({ path: `matchers[${i}]`, message: (err as Error).message });
      return undefined;
    }
  });
  if (problems.length) throw badRequest('invalid matchers', problems);
  try {
    return validateMatchers(parsed);
  } catch (err) {
    if (err instanceof MatcherError)
      throw badRequest(
        err.message,
        err.problems.map((p) => ({ path: `matchers${p.path ? `.${p.path}` : ''}`, message: p.message })),
      );
    throw err;
  }
}

export interface SilenceFilter {
  state?: Silence['state'];
  limit: number;
  cursor?: string;
}

const latestEndFirst = timeKeyset(sql`ends_at`, sql`id`, 'uuid', 'desc');

/**
 * Each state in the order that puts what matters first, as Alertmanager lists them: active ones
 * ending soonest, pending ones starting soonest, expired ones ended last (and without a state,
 * every silence latest end first). Active and pending silences are read through the index range
 * of those not yet ended, which stays small however many have expired.
 */
const LISTS = {
  active: {
    where: (now: SQL) => sql`ends_at > ${now} AND starts_at <= ${now}`,
    order: timeKeyset(sql`ends_at`, sql`id`, 'uuid', 'asc'),
  },
  pending: {
    where: (now: SQL) => sql`ends_at > ${now} AND starts_at > ${now}`,
    order: timeKeyset(sql`starts_at`, sql`id`, 'uuid', 'asc'),
  },
  expired: { where: (now: SQL) => sql`ends_at <= ${now}`, order: latestEndFirst },
  all: { where: () => sql`true`, order: latestEndFirst },
};

/** The statement `SilenceStore.list` runs (exported for the test of its plan). */
export function silenceQuery(f: SilenceFilter, now: Date): SQL {
  const { where, order } = LISTS[f.state ?? 'all'];
  return sql`
    SELECT *, ${order.key} FROM silences
    WHERE ${where(sql`${now.toISOString()}::timestamptz`)} AND ${order.after(f.cursor)}
    ORDER BY ${order.orderBy} LIMIT ${f.limit + 1}`;
}

/** Silences, persisted: a restart keeps them, and nothing is resolved or re-fired by one. */
export class SilenceStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  async create(
    input: { matchers: Matcher[]; startsAt?: Date; endsAt: Date; comment: string },
    actor: string,
  ) {
    const startsAt = input.startsAt ?? this.now();
    if (input.endsAt <= startsAt)
      throw badRequest('endsAt must be after startsAt', [
        { path: 'body.endsAt', message: 'must be after startsAt' },
      ]);
    const [row] = rowsOf<SilenceRow>(
      await this.db.execute(sql`
        INSERT INTO silences (matchers, starts_at, ends_at, comment, created_by)
        VALUES (${JSON.stringify(input.matchers)}::jsonb, ${startsAt.toISOString()}::timestamptz, ${input.endsAt.toISOString()}::timestamptz, ${input.comment}, ${actor})
        RETURNING *`),
    );
    return viewOf(row!, this.now());
  }

  async list(f: SilenceFilter): Promise<{ items: Silence[]; nextCursor: string | null }> {
    const now = this.now();
    const rows = rowsOf<SilenceRow & PageKey>(await this.db.execute(silenceQuery(f, now)));
    return pageOf(rows, f.limit, (r) => viewOf(r, now));
  }

  /** Ends a silence now; its alerts come back at the next reconcile. */
  async expire(id: string): Promise<Silence> {
    const now = this.now().toISOString();
    const [row] = rowsOf<SilenceRow>(
      await this.db.execute(sql`
        UPDATE silences SET ends_at = ${now}::timestamptz, starts_at = LEAST(starts_at, ${now}::timestamptz - interval '1 millisecond')
        WHERE id = ${id}::uuid AND ends_at > ${now}::timestamptz RETURNING *`),
    );
    if (!row) throw notFound(`no active or pending silence ${id}`);
    return viewOf(row, this.now());
  }

  async active(): Promise<Matcher[][]> {
    const now = this.now().toISOString();
    return rowsOf<{ matchers: Matcher[] | string }>(
      await this.db.execute(
        sql`SELECT matchers FROM silences WHERE starts_at <= ${now}::timestamptz AND ends_at > ${now}::timestamptz`,
      ),
    ).map((r) => (typeof r.matchers === 'string' ? JSON.parse(r.matchers) : r.matchers));
  }
}
