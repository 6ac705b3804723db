/**
 * Lists the server answers as a bare array (silences, the audit log), kept so for the clients
 * that read them whole; the next page is named in an RFC 8288 `Link: <…>; rel="next"` header.
 */
import { authFetch, problemOf, type Query, withQuery } from './client.ts';
import type { Paged } from './types.ts';

/** The cursor of the `rel="next"` address in a Link header; null on the last page. */
export function nextCursorOf(link: string | null): string | null {
  const next = /<([^>]*)>\s*;\s*rel="next"/.exec(link ?? '')?.[1];
  return next ? new URL(next, 'http://console').searchParams.get('cursor') : null;
}

export async function linkedPage<T>(path: string, query: Query, signal?: AbortSignal): Promise<Paged<T>> {
  const res = await authFetch(withQuery(path, query), { signal });
  if (!res.ok) throw await problemOf(res);
  return { items: (await res.json()) as T[], nextCursor: nextCursorOf(res.headers.get('link')) };
}
