import { describe, expect, it } from 'vitest';
import { MAX_PAGES, nextPage, type PagingState } from './paging.ts';

/** Feeds a sequence of (token, points) pages and returns how many calls were made and why it stopped. */
function run(pages: [string | undefined, number][]): { calls: number; stop: string } {
  let state: PagingState = { pages: 0, emptyStreak: 0 };
  for (let i = 0; ; i++) {
    const [token, points] = pages[Math.min(i, pages.length - 1)]!;
    const step = nextPage(state, token, points);
    if ('stop' in step) return { calls: i + 1, stop: step.stop };
    state = step.state;
  }
}

describe('CMS paging guards (AC-11)', () => {
  it.each([
    ['one page, no token', [[undefined, 5]], 1, 'done'],
    [
      'three pages',
      [
        ['a', 5],
        ['b', 5],
        [undefined, 2],
      ],
      3,
      'done',
    ],
    [
      'the same token twice stops after 2 calls',
      [
        ['t1', 5],
        ['t1', 5],
      ],
      2,
      'repeated_token',
    ],
    [
      'empty pages with fresh tokens stop after 3 calls',
      [
        ['a', 0],
        ['b', 0],
        ['c', 0],
        ['d', 0],
      ],
      3,
      'empty_pages',
    ],
    [
      'an empty page between full ones does not stop',
      [
        ['a', 0],
        ['b', 0],
        ['c', 4],
        ['d', 0],
        [undefined, 1],
      ],
      5,
      'done',
    ],
  ] as [string, [string | undefined, number][], number, string][])('%s', (_name, pages, calls, stop) => {
    expect(run(pages)).toEqual({ calls, stop });
  });

  it('caps a batch at 100 pages', () => {
    const pages = Array.from({ length: 200 }, (_, i) => [`t${i}`, 1] as [string, number]);
    expect(run(pages)).toEqual({ calls: MAX_PAGES, stop: 'page_cap' });
  });
});
