import { describe, expect, it } from 'vitest';
import { listKeys, pageAfter } from './listing.ts';

const KEYS = ['a.txt', 'b/1', 'b/2', 'b/c/3', 'c.txt', 'd/1'].sort();

/** Every page until not truncated, as S3 clients follow continuation tokens. */
function walk(prefix: string, delimiter: string, maxKeys: number) {
  const pages: string[][] = [];
  let after = '';
  for (;;) {
    const p = listKeys(KEYS, { prefix, delimiter, maxKeys, after });
    pages.push([...p.keys, ...p.commonPrefixes]);
    if (!p.truncated) return pages;
    after = p.next!;
  }
}

describe('ListObjectsV2 paging', () => {
  it.each([
    ['', '', 1000, [KEYS]],
    ['', '/', 1000, [['a.txt', 'c.txt', 'b/', 'd/']]],
    [
      '',
      '/',
      2,
      [
        ['a.txt', 'b/'],
        ['c.txt', 'd/'],
      ],
    ],
    ['', '/', 1, [['a.txt'], ['b/'], ['c.txt'], ['d/']]],
    ['b/', '/', 1000, [['b/1', 'b/2', 'b/c/']]],
    ['b/', '', 2, [['b/1', 'b/2'], ['b/c/3']]],
    ['zzz', '/', 10, [[]]],
  ])('prefix %j delimiter %j max %i', (prefix, delimiter, max, pages) => {
    expect(walk(prefix, delimiter, max)).toEqual(pages);
  });

  it('returns nothing for max-keys 0', () => {
    expect(listKeys(KEYS, { prefix: '', delimiter: '', maxKeys: 0, after: '' })).toMatchObject({
      keys: [],
      truncated: false,
    });
  });

  it('pages parts after a part-number marker', () => {
    const parts = [1, 2, 5, 9].map((n) => ({ n }));
    expect(pageAfter(parts, 0, 2)).toEqual({ items: [{ n: 1 }, { n: 2 }], truncated: true, next: 2 });
    expect(pageAfter(parts, 2, 2)).toEqual({ items: [{ n: 5 }, { n: 9 }], truncated: false, next: 9 });
    expect(pageAfter(parts, 9, 2)).toEqual({ items: [], truncated: false, next: undefined });
  });
});
