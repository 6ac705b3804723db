import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './env-file.ts';

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, comments, quotes and export', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value with spaces',
      '  INDENTED = 1 ',
      'export EXPORTED=yes',
      "SINGLE='a \\n b'",
      'DOUBLE="line1\\nline2 \\"q\\""',
      'HASH=a#b # not a comment',
      'EMPTY=',
      'URL=postgres://u:p@h/db?x=1',
    ].join('\n');
    expect(parseEnvFile(text)).toEqual({
      PLAIN: 'value with spaces',
      INDENTED: '1',
      EXPORTED: 'yes',
      SINGLE: 'a \\n b',
      DOUBLE: 'line1\nline2 "q"',
      HASH: 'a#b # not a comment',
      EMPTY: '',
      URL: 'postgres://u:p@h/db?x=1',
    });
  });

  it.each([
    ['no equals sign', 'JUST_A_WORD', /app\.env:2: expected KEY=VALUE/],
    ['a bad name', '1X=2', /app\.env:2: expected KEY=VALUE/],
    ['an open quote', 'A="oops', /app\.env:2: unterminated " quote/],
  ])('refuses %s, naming the line', (_, line, error) => {
    expect(() => parseEnvFile(`OK=1\n${line}\n`, 'app.env')).toThrow(error);
  });
});
