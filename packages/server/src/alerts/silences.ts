import { type SQL, sql } from 'drizzle-orm';
import type { Database, Db } from '../db/database.ts';
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

/** Every replica hears here that the silences changed. */
const CHANNEL = 'opsfleet_silences';
/**
 * How long the silences not yet ended are kept in memory. Ingestion and every routing pass ask
 * which silences are active: a database round trip each, for a set that changes when someone
 * creates or expires a silence. A change empties every replica's copy at once (LISTEN/NOTIFY);
 * this bounds how stale a copy gets if a notification was missed.
 */
const KEEP_MS = 10_000;

interface Known {
  at: number;
  silences: { matchers: Matcher[]; startsAt: number; endsAt: number }[];
}

/** Silences, persisted: a restart keeps them, and nothing is resolved or re-fired by one. */
export class SilenceStore {
  private known?: Promise<Known>;
  private unlisten?: () => Promise<void>;

  private constructor(
    private readonly database: Database,
    private readonly now: () => Date,
  ) {}

  static async open(database: Database, now: () => Date): Promise<SilenceStore> {
    const store = new SilenceStore(database, now);
    store.unlisten = await database.listen(CHANNEL, () => {
      store.known = undefined;
    });
    return store;
  }

  async close(): Promise<void> {
    await this.unlisten?.();
  }

  private get db(): Db {
    return this.database.db;
  }

  /** Forgets the copy here before answering, and tells the other replicas. */
  private async changed(): Promise<void> {
    this.known = undefined;
    await this.database.notify(CHANNEL, '');
  }

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
    await this.changed();
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
    await this.changed();
    return viewOf(row, this.now());
  }

  /** The matchers of the silences active now. */
  async active(): Promise<Matcher[][]> {
    const now = this.now().getTime();
    let known = this.known && (await this.known);
    if (!known || now - known.at >= KEEP_MS) {
      this.known = this.load(now);
      // A failed read is not kept: the next call asks again.
      this.known.catch(() => {
        this.known = undefined;
      });
      known = await this.known;
    }
    return known.silences.filter((x) => x.startsAt <= now && now < x.endsAt).map((x) => x.matchers);
  }

  private async load(now: number): Promise<Known> {
    const rows = rowsOf<{ matchers: Matcher[] | string; starts_at: string | Date; ends_at: string | Date }>(
      await this.db.execute(
        sql`SELECT matchers, starts_at, ends_at FROM silences WHERE ends_at > ${new Date(now).toISOString()}::timestamptz`,
      ),
    );
    return {
      at: now,
      silences: rows.map((r) => ({
        matchers: typeof r.matchers === 'string' ? JSON.parse(r.matchers) : r.matchers,
        startsAt: new Date(r.starts_at).getTime(),
        endsAt: new Date(r.ends_at).getTime(),
      })),
    };
  }
}
