import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { badInputIn } from './input.ts';
import { badRequest } from './problem.ts';

/**
 * What the list endpoints share: a keyset cursor (the last item's sort key and id, opaque to
 * clients), a bounded `limit`, and `label=name=value` filters.
 */

export function encodeCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url');
}

const foreignCursor = () =>
  badRequest('cursor is not one this server issued: start again without it', [
    {
      path: 'querystring.cursor',
      message: 'use the nextCursor of the page before, or none for the first page',
    },
  ]);

/**
 * The sort key and id a cursor carries; 400 for one this server did not issue. Its values go to
 * the database as parameters, so text the database refuses (NUL, unpaired surrogates) or an id
 * not of the column's type is refused here; `idType` names that type when the caller knows it.
 */
export function decodeCursor(cursor: string, idType?: keyof typeof ID_TYPES): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      !badInputIn({ cursor: v }) &&
      (!idType || ID_TYPES[idType].test(v[1]))
    )
      return [v[0], v[1]];
  } catch {}
  throw foreignCursor();
}

/** `?limit=`: 100 unless asked, never more than `max`, so no answer reads a whole table. */
export const pageLimit = (max = 500) => z.coerce.number().int().min(1).max(max).default(100);

/** `?cursor=`: the `nextCursor` of the page before. */
export const pageCursor = z.string().max(1000).optional().describe('the nextCursor of the page before');

/**
 * A timestamp as stored, to the microsecond, in a form read back the same whatever the session's
 * time zone and date style: a cursor rounded to milliseconds would skip the rows between.
 */
export const exactTime = (column: SQL) =>
  sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const EXACT_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const ID_TYPES = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  bigint: /^\d{1,18}$/,
};

/** The columns `pageOf` reads the next cursor from. */
export interface PageKey {
  page_at: string;
  page_id: string;
}

/**
 * Paging in (time, id) order over an index on those columns: `key` goes in the select list,
 * `after(cursor)` in the WHERE clause, `orderBy` after ORDER BY. A cursor whose values are not
 * of those types is refused before it reaches the database.
 */
export function timeKeyset(time: SQL, id: SQL, idType: keyof typeof ID_TYPES, direction: 'asc' | 'desc') {
  const dir = sql.raw(direction === 'desc' ? 'DESC' : 'ASC');
  return {
    key: sql`${exactTime(time)} AS page_at, ${id}::text AS page_id`,
    orderBy: sql`${time} ${dir}, ${id} ${dir}`,
    after(cursor: string | undefined): SQL {
      if (!cursor) return sql`true`;
      const [at, last] = decodeCursor(cursor);
      if (!EXACT_TIME.test(at) || !ID_TYPES[idType].test(last)) throw foreignCursor();
      const cmp = sql.raw(direction === 'desc' ? '<' : '>');
      return sql`(${time}, ${id}) ${cmp} (${at}::timestamptz, ${last}::${sql.raw(idType)})`;
    },
  };
}

/** A page from `limit + 1` rows: the extra row only says that there is a next page. */
export function pageOf<R extends PageKey, T>(
  rows: R[],
  limit: number,
  item: (row: R) => T,
): { items: T[]; nextCursor: string | null } {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(item),
    nextCursor: rows.length > limit && last ? encodeCursor(last.page_at, last.page_id) : null,
  };
}

/**
 * A page answered as a bare array, for the lists whose clients already read one: the next page's
 * address goes in an RFC 8288 `Link` header (`rel="next"`) instead of a `nextCursor` field.
 */
export function arrayPage<T>(
  reply: { header(name: string, value: string): unknown },
  url: string,
  page: { items: T[]; nextCursor: string | null },
): T[] {
  if (page.nextCursor) {
    const next = new URL(url, 'http://server');
    next.searchParams.set('cursor', page.nextCursor);
    reply.header('link', `<${next.pathname}${next.search}>; rel="next"`);
  }
  return page.items;
}

/** `?label=env=prod&label=team=db` as {env: 'prod', team: 'db'}; 400 for an item without `=`. */
export function labelFilter(raw: string | string[] | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const item of Array.isArray(raw) ? raw : [raw]) {
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw badRequest(`label "${item}" must be name=value`, [
        { path: 'query.label', message: 'use name=value' },
      ]);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** `value%` for LIKE, with LIKE's own wildcards in `value` taken literally. */
export const likePrefix = (value: string) => `${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
