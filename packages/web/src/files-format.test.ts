import { describe, expect, it } from 'vitest';
import { bytes, millis } from './files-format.ts';

describe('file sizes and run times', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.5 KB'],
    [2_340_000_000, '2.3 GB'],
  ])('%i bytes read %s', (n, text) => {
    expect(bytes(n)).toBe(text);
  });

  it.each([
    [null, '—'],
    [820, '820 ms'],
    [12_420, '12.4 s'],
    [185_000, '3m 5s'],
  ])('%s ms reads %s', (ms, text) => {
    expect(millis(ms)).toBe(text);
  });
});
