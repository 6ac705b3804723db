import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
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

  async list(state?: Silence['state']): Promise<Silence[]> {
    const now = this.now();
    const rows = rowsOf<SilenceRow>(
      await this.db.execute(sql`SELECT * FROM silences ORDER BY created_at DESC`),
    );
    return rows.map((r) => viewOf(r, now)).filter((s) => !state || s.state === state);
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
