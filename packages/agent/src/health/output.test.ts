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

  it('a character cut at the limit does not break the text', () => {
    expect(boundText('ab€', 3).startsWith('ab\uFFFD')).toBe(true);
  });

  it('first line skips blank lines', () => {
    expect(firstLine('\n  \n  first \nsecond')).toBe('first');
  });
});
