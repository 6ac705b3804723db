/**
 * Paging through a cursor-paginated list: the cursors of the pages visited so far, the last
 * one being the page shown (`undefined` = the newest page). Going back pops, going on pushes.
 */
export type CursorTrail = readonly (string | undefined)[];

export const FIRST_PAGE: CursorTrail = [undefined];

export const currentCursor = (trail: CursorTrail): string | undefined => trail[trail.length - 1];

/** The next (older) page, when the server said there is one. */
export const olderPage = (trail: CursorTrail, nextCursor: string | null | undefined): CursorTrail =>
  nextCursor ? [...trail, nextCursor] : trail;

/** The page before (newer); the first page stays. */
export const newerPage = (trail: CursorTrail): CursorTrail => (trail.length > 1 ? trail.slice(0, -1) : trail);

/** 1 for the newest page. */
export const pageNumber = (trail: CursorTrail): number => trail.length;

/**
 * Page `page` (1-based) of a list the server sent whole, `size` to a page; a page past the end
 * (the list shrank under it) is the last one.
 */
export function slicePage<T>(rows: readonly T[], page: number, size: number) {
  const pageCount = Math.max(1, Math.ceil(rows.length / size));
  const shown = Math.min(Math.max(1, page), pageCount);
  return { page: shown, pageCount, items: rows.slice((shown - 1) * size, shown * size) };
}
