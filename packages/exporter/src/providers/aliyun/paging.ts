/**
 * When to stop following CMS `NextToken`s. The public exporter looped for minutes on tokens
 * CMS kept returning; these guards end a batch on: no token, the same token twice in a row,
 * three empty pages in a row, or the page cap.
 */
export const MAX_PAGES = 100;
export const MAX_EMPTY_PAGES = 3;

export interface PagingState {
  pages: number;
  emptyStreak: number;
  lastToken?: string;
}

export type PagingStep =
  | { next: string; state: PagingState }
  | { stop: 'done' | 'repeated_token' | 'empty_pages' | 'page_cap' };

export function nextPage(state: PagingState, token: string | undefined, pointsOnPage: number): PagingStep {
  const pages = state.pages + 1;
  const emptyStreak = pointsOnPage === 0 ? state.emptyStreak + 1 : 0;
  if (!token) return { stop: 'done' };
  if (token === state.lastToken) return { stop: 'repeated_token' };
  if (emptyStreak >= MAX_EMPTY_PAGES) return { stop: 'empty_pages' };
  if (pages >= MAX_PAGES) return { stop: 'page_cap' };
  return { next: token, state: { pages, emptyStreak, lastToken: token } };
}
