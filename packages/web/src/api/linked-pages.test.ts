import { describe, expect, it } from 'vitest';
import { nextCursorOf } from './linked-pages.ts';

describe('pages named in a Link header', () => {
  it('reads the cursor of the next page', () => {
    expect(nextCursorOf('</api/v1/silences?state=expired&limit=50&cursor=WyIy%3D>; rel="next"')).toBe(
      'WyIy=',
    );
  });

  it.each([null, '', '</api/v1/audit?cursor=x>; rel="prev"'])('is the last page with %j', (link) => {
    expect(nextCursorOf(link)).toBeNull();
  });
});
