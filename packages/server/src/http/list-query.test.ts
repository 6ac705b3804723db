import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, labelFilter } from './list-query.ts';

describe('list queries', () => {
  it('a cursor carries its sort key and id back, and a foreign one is a 409', () => {
    expect(decodeCursor(encodeCursor('2026-11-26T00:00:00Z', 'fp/1'))).toEqual([
      '2026-11-26T00:00:00Z',
      'fp/1',
    ]);
    for (const bad of ['nope', encodeCursor('a', 'b').slice(3), Buffer.from('[1,2]').toString('base64url')])
      expect(() => decodeCursor(bad)).toThrow(/cursor is not one this server issued/);
  });

  it.each([
    [undefined, undefined],
    ['env=prod', { env: 'prod' }],
    [['env=prod', 'team=db=x'], { env: 'prod', team: 'db=x' }],
    ['env=', { env: '' }],
  ])('label %j', (raw, expected) => {
    expect(labelFilter(raw)).toEqual(expected);
  });

  it('names the bad label and the fix', () => {
    expect(() => labelFilter(['env=prod', '=x'])).toThrow('label "=x" must be name=value');
  });
});
