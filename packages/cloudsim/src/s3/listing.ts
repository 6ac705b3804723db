/** ListObjectsV2 over sorted keys: prefix, delimiter roll-up, max-keys and an opaque continuation token. */
export interface ListQuery {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  /** Resume strictly after this key or common prefix (decoded continuation token or start-after). */
  after: string;
}

export interface ListPage {
  keys: string[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned, when truncated. */
  next?: string;
}

export function listKeys(sortedKeys: string[], q: ListQuery): ListPage {
  const page: ListPage = { keys: [], commonPrefixes: [], truncated: false };
  if (q.maxKeys <= 0) return page;
  let last: string | undefined;
  for (const key of sortedKeys) {
    if (!key.startsWith(q.prefix) || key <= q.after) continue;
    // A common prefix already returned (or resumed from) covers every key under it.
    if (q.after.endsWith(q.delimiter) && q.delimiter && key.startsWith(q.after)) continue;
    let item = key;
    let isPrefix = false;
    if (q.delimiter) {
      const at = key.indexOf(q.delimiter, q.prefix.length);
      if (at !== -1) {
        item = key.slice(0, at + q.delimiter.length);
        isPrefix = true;
      }
    }
    if (isPrefix && item === last) continue;
    if (page.keys.length + page.commonPrefixes.length === q.maxKeys) {
      page.truncated = true;
      page.next = last;
      return page;
    }
    if (isPrefix) page.commonPrefixes.push(item);
    else page.keys.push(item);
    last = item;
  }
  return page;
}

export const encodeToken = (after: string) => Buffer.from(after, 'utf8').toString('base64url');
export const decodeToken = (token: string) => Buffer.from(token, 'base64url').toString('utf8');

/** A page of numbered items after `marker` (ListParts' part-number-marker). */
export function pageAfter<T extends { n: number }>(
  sorted: T[],
  marker: number,
  max: number,
): { items: T[]; truncated: boolean; next?: number } {
  const rest = sorted.filter((p) => p.n > marker);
  const items = rest.slice(0, max);
  const truncated = rest.length > items.length;
  return { items, truncated, next: items.length ? items[items.length - 1]!.n : undefined };
}
