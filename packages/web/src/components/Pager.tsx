import { Button, Space, Typography } from 'antd';
import { type CursorTrail, FIRST_PAGE, newerPage, olderPage, pageNumber } from '../cursor-pages.ts';

/** The labels for a list newest first. */
export const NEWEST_FIRST = ['Newest', 'Newer', 'Older'] as const;

type Labels = readonly [string, string, string];

/** A list the server pages with a cursor: the pages visited so far, and whether there is a next. */
interface CursorMode {
  trail: CursorTrail;
  onChange: (trail: CursorTrail) => void;
  nextCursor: string | null | undefined;
}

/**
 * A list held in the browser, shown a page at a time (see `slicePage`); `more` when the server
 * has more after the pages held, which the next page past them fetches.
 */
interface NumberedMode {
  page: number;
  pageCount: number;
  more?: boolean;
  onPage: (page: number) => void;
}

/**
 * The one pager under every list: back to the first page, the page before, the next one, and
 * which page this is. Nothing shows while the list fits one page.
 */
export function Pager({
  labels = ['First', 'Previous', 'Next'],
  testId,
  ...mode
}: {
  labels?: Labels;
  /** `<testId>-page`, `-first`, `-previous`, `-next`. */
  testId: string;
} & (CursorMode | NumberedMode)) {
  const nav =
    'trail' in mode
      ? {
          page: pageNumber(mode.trail),
          of: undefined,
          hasNext: Boolean(mode.nextCursor),
          first: () => mode.onChange(FIRST_PAGE),
          previous: () => mode.onChange(newerPage(mode.trail)),
          next: () => mode.onChange(olderPage(mode.trail, mode.nextCursor)),
        }
      : {
          page: mode.page,
          of: mode.more ? undefined : mode.pageCount,
          hasNext: mode.page < mode.pageCount || Boolean(mode.more),
          first: () => mode.onPage(1),
          previous: () => mode.onPage(mode.page - 1),
          next: () => mode.onPage(mode.page + 1),
        };
  const first = nav.page === 1;
  if (first && !nav.hasNext) return null;
  return (
    <Space wrap style={{ marginTop: 16, width: '100%', justifyContent: 'flex-end' }}>
      <Typography.Text type="secondary" data-testid={`${testId}-page`}>
        Page {nav.page}
        {nav.of ? ` of ${nav.of}` : ''}
      </Typography.Text>
      <Button disabled={first} onClick={nav.first} data-testid={`${testId}-first`}>
        {labels[0]}
      </Button>
      <Button disabled={first} onClick={nav.previous} data-testid={`${testId}-previous`}>
        {labels[1]}
      </Button>
      <Button disabled={!nav.hasNext} onClick={nav.next} data-testid={`${testId}-next`}>
        {labels[2]}
      </Button>
    </Space>
  );
}
