import { describe, expect, it } from 'vitest';
import { badInputIn, MAX_DEPTH } from './input.ts';

describe('badInputIn', () => {
  it.each([
    ['a NUL in a query value', { querystring: { q: 'a\u0000b' } }, 'querystring.q', /NUL/],
    [
      'a lone high surrogate',
      { body: { alerts: [{ labels: { host: 'x\uD800' } }] } },
      'body.alerts.0.labels.host',
      /surrogate/,
    ],
    ['a lone low surrogate', { params: { fingerprint: '\uDC00' } }, 'params.fingerprint', /surrogate/],
    [
      'a NUL in a key',
      { body: { labels: { 'a\u0000': 'v' } } },
      'body.labels.a\\u0000',
      /the name contains a NUL/,
    ],
  ])('names %s and the fix', (_what, parts, path, message) => {
    const bad = badInputIn(parts);
    expect(bad?.path).toBe(path);
    expect(bad?.message).toMatch(message);
  });

  it('passes text with paired surrogates, other control characters and every script', () => {
    expect(
      badInputIn({ body: { a: '🔥 \t\u0001 日本語 ﬀ', b: [1, null, true, { c: 'd' }] } }),
    ).toBeUndefined();
  });

  it('refuses nesting deeper than any API body, without recursing', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(badInputIn({ body: deep })?.message).toMatch(`deeper than ${MAX_DEPTH}`);
  });

  it('shows at most 64 characters of an oversized key', () => {
    const bad = badInputIn({ body: { ['k'.repeat(10_000)]: 'a\u0000' } });
    expect(bad?.path.length).toBeLessThan(80);
  });
});
