import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, expandEnv, loadConfigFile, parseConfigText } from './config.ts';

describe('expandEnv (AC-01)', () => {
  it.each([
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: the expansion syntax under test
    ['${PORT:-8080}', { PORT: '9090' }, '9090'],
    ['${PORT:-8080}', {}, '8080'],
    ['${PORT:-8080}', { PORT: '' }, '8080'],
    ['val: ${UNSET}', {}, 'val: '],
    ['a: ${A:-1}, b: ${B:-2}', { A: '10' }, 'a: 10, b: 2'],
    ['$HOME/x', { HOME: '/root' }, '/root/x'],
    ['${DIR:-/app/data}', {}, '/app/data'],
    ['${URL:-http://h:1/p?q=1}', {}, 'http://h:1/p?q=1'],
    ['${EMPTY:-}', {}, ''],
    ['${A}${B}', { A: 'x', B: 'y' }, 'xy'],
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: the expansion syntax under test
  ])('%s with %j → %s', (text, env, want) => expect(expandEnv(text, env)).toBe(want));
});

const schema = z.object({
  server: z.object({ port: z.number().int().max(65535), name: z.string() }),
  list: z.array(z.string()),
});

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('no error');
}

describe('parseConfigText', () => {
  it('reports every problem with its dotted path', () => {
    const found = problems(() =>
      parseConfigText('server:\n  port: 70000\nlist: [1, x]\n', schema, { env: {} }),
    );
    expect(found).toHaveLength(3);
    expect(found.join('\n')).toMatch(/^server\.port: /m);
    expect(found.join('\n')).toMatch(/^server\.name: /m);
    expect(found.join('\n')).toMatch(/^list\[0\]: /m);
  });

  it('reports YAML syntax errors with line and column', () => {
    const found = problems(() => parseConfigText('server:\n  port: [1\n', schema, { env: {} }));
    expect(found[0]).toMatch(/^line \d+, column \d+: YAML syntax/);
  });

  it('names the file in the error text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'x.yaml'), 'server: {port: 1, name: a}\nlist: []\n');
    expect(loadConfigFile(join(dir, 'x.yaml'), schema)).toEqual({ server: { port: 1, name: 'a' }, list: [] });
    expect(() => loadConfigFile(join(dir, 'missing.yaml'), schema)).toThrow(
      /missing\.yaml: 1 problem[\s\S]*cannot read file: ENOENT/,
    );
  });
});
