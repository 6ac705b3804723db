import { describe, expect, it } from 'vitest';
import { currentCursor, FIRST_PAGE, newerPage, olderPage, pageNumber, slicePage } from './cursor-pages.ts';

describe('cursor paging', () => {
  it('starts at the newest page, without a cursor', () => {
    expect(currentCursor(FIRST_PAGE)).toBeUndefined();
    expect(pageNumber(FIRST_PAGE)).toBe(1);
    expect(newerPage(FIRST_PAGE)).toBe(FIRST_PAGE);
  });

  it('goes to older pages with the cursor the server gave and comes back the same way', () => {
    const two = olderPage(FIRST_PAGE, 'c1');
    const three = olderPage(two, 'c2');
    expect([currentCursor(two), currentCursor(three), pageNumber(three)]).toEqual(['c1', 'c2', 3]);
    expect(currentCursor(newerPage(three))).toBe('c1');
    expect(currentCursor(newerPage(newerPage(three)))).toBeUndefined();
  });

  it.each([null, undefined, ''])('stays on the last page when the next cursor is %j', (next) => {
    const two = olderPage(FIRST_PAGE, 'c1');
    expect(olderPage(two, next)).toBe(two);
  });
});

describe('pages of a list the server sent whole', () => {
  const rows = Array.from({ length: 12 }, (_, i) => i + 1);
  it.each([
    ['the first page', 1, 1, 3, [1, 2, 3, 4, 5]],
    ['the last, shorter page', 3, 3, 3, [11, 12]],
    ['a page past the end, after the list shrank', 7, 3, 3, [11, 12]],
    ['page 0', 0, 1, 3, [1, 2, 3, 4, 5]],
  ])('%s', (_, asked, page, pageCount, items) => {
    expect(slicePage(rows, asked, 5)).toEqual({ page, pageCount, items });
  });

  it('has one empty page for an empty list', () => {
    expect(slicePage([], 1, 5)).toEqual({ page: 1, pageCount: 1, items: [] });
  });
});
