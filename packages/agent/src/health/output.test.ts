import { describe, expect, it } from 'vitest';
import { BoundedOutput, boundText, firstLine } from './output.ts';

describe('bounded output', () => {
  it('keeps the first bytes and notes the rest', () => {
    const out = new BoundedOutput(10);
    out.add('hello ');
    out.add(Buffer.from('world, and more'));
    expect(out.truncated).toBe(true);
    expect(out.total).toBe(21);
    expect(out.text()).toBe('hello worl\n… output truncated: 21 bytes, kept the first 10');
  });

  it('leaves short output alone', () => {
    expect(boundText('ok', 10)).toBe('ok');
  });

  it('short output reads as its UTF-8 bytes would: a lone surrogate becomes U+FFFD, a pair stays', () => {
    expect(boundText('a\uD800b', 12)).toBe('a\uFFFDb');
    expect(boundText('ok 😀', 12)).toBe('ok 😀');
    expect(boundText('€'.repeat(4), 12)).toBe('€'.repeat(4));
    expect(boundText('€'.repeat(5), 12)).toBe(
      `${'€'.repeat(4)}\n… output truncated: 15 bytes, kept the first 12`,
    );
  });

  it('a character cut at the limit does not break the text', () => {
    expect(boundText('ab€', 3).startsWith('ab\uFFFD')).toBe(true);
  });

  it('first line skips blank lines', () => {
    expect(firstLine('\n  \n  first \nsecond')).toBe('first');
  });
});
