import { describe, expect, it } from 'vitest';
import { arrayPage, decodeCursor, encodeCursor, labelFilter, likePrefix } from './list-query.ts';

describe('list queries', () => {
  it('a cursor carries its sort key and id back, and a foreign one is a 400', () => {
    expect(decodeCursor(encodeCursor('2026-11-26T00:00:00Z', 'fp/1'))).toEqual([
      '2026-11-26T00:00:00Z',
      'fp/1',
    ]);
    for (const bad of ['nope', encodeCursor('a', 'b').slice(3), Buffer.from('[1,2]').toString('base64url')])
      expect(() => decodeCursor(bad)).toThrow(/cursor is not one this server issued/);
  });

  it.each([
    ['a NUL', encodeCursor('a\u0000', 'b')],
    ['a lone surrogate', encodeCursor('a', '\uD800')],
    ['a third value', Buffer.from('["a","b","c"]').toString('base64url')],
  ])('refuses a cursor carrying %s, which the database would refuse with a 500', (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(/cursor is not one this server issued/);
  });

  it('refuses a cursor whose id is not of the column type it names', () => {
    const uuid = '0b0e4f4e-9c1a-4f6e-8a53-5d1f2b7c9a10';
    expect(decodeCursor(encodeCursor('web-1', uuid), 'uuid')).toEqual(['web-1', uuid]);
    expect(() => decodeCursor(encodeCursor('web-1', 'not-a-uuid'), 'uuid')).toThrow(
      /not one this server issued/,
    );
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

  it('names the next page of an array answer in a Link header, keeping the filters', () => {
    const headers: Record<string, string> = {};
    const reply = { header: (name: string, value: string) => (headers[name] = value) };
    const items = arrayPage(reply, '/api/v1/audit?actor=alice&cursor=old&limit=2', {
      items: [1, 2],
      nextCursor: 'WyJ4IiwiMSJd',
    });
    expect(items).toEqual([1, 2]);
    expect(headers.link).toBe('</api/v1/audit?actor=alice&cursor=WyJ4IiwiMSJd&limit=2>; rel="next"');
    const last: Record<string, string> = {};
    arrayPage({ header: (n: string, v: string) => (last[n] = v) }, '/api/v1/audit', {
      items: [],
      nextCursor: null,
    });
    expect(last).toEqual({});
  });

  it('takes LIKE wildcards in a prefix literally', () => {
    expect(likePrefix('user:a_b%')).toBe('user:a\\_b\\%%');
  });
});
