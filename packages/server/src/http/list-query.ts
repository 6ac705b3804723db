import { badRequest, conflict } from './problem.ts';

/**
 * What the list endpoints share: a keyset cursor (the last item's sort key and id, opaque to
 * clients) and `label=name=value` filters.
 */

export function encodeCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url');
}

/** The sort key and id a cursor carries; 409 for one this server did not issue. */
export function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {}
  throw conflict('cursor is not one this server issued: start again without it');
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
