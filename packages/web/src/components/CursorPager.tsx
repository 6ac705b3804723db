import { Button, Space, Typography } from 'antd';
import { type CursorTrail, FIRST_PAGE, newerPage, olderPage, pageNumber } from '../cursor-pages.ts';

/** The labels for a list newest first. */
export const NEWEST_FIRST = ['Newest', 'Newer', 'Older'] as const;

/**
 * The buttons under a cursor-paged list: back to the first page, the page before, the next one
 * (when the server said there is one). Nothing shows while the list fits one page.
 */
export function CursorPager({
  trail,
  onChange,
  nextCursor,
  labels = ['First', 'Previous', 'Next'],
  testId,
}: {
  trail: CursorTrail;
  onChange: (trail: CursorTrail) => void;
  nextCursor: string | null | undefined;
  labels?: readonly [string, string, string];
  /** `<testId>-page`, `-first`, `-previous`, `-next`. */
  testId: string;
}) {
  const first = pageNumber(trail) === 1;
  if (first && !nextCursor) return null;
  return (
    <Space style={{ marginTop: 16, width: '100%', justifyContent: 'flex-end' }}>
      <Typography.Text type="secondary" data-testid={`${testId}-page`}>
        Page {pageNumber(trail)}
      </Typography.Text>
      <Button disabled={first} onClick={() => onChange(FIRST_PAGE)} data-testid={`${testId}-first`}>
        {labels[0]}
      </Button>
      <Button disabled={first} onClick={() => onChange(newerPage(trail))} data-testid={`${testId}-previous`}>
        {labels[1]}
      </Button>
      <Button
        disabled={!nextCursor}
        onClick={() => onChange(olderPage(trail, nextCursor))}
        data-testid={`${testId}-next`}
      >
        {labels[2]}
      </Button>
    </Space>
  );
}
