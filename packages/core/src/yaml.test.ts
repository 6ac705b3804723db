import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseConfigText } from './config.ts';
import { parseYaml, readYaml } from './yaml.ts';

/** Nine levels of nine-fold aliases: 29 lines that expand to 9^9 (387 million) strings. */
const BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((c, i) => {
    const prev = 'abcdefghi'[i]!;
    return `${c}: &${c} [${Array(9).fill(`*${prev}`).join(',')}]`;
  }),
].join('\n');

describe('readYaml', () => {
  it('refuses an alias bomb quickly with a problem, not an exception or a full heap', () => {
    const t0 = Date.now();
    const r = readYaml(BOMB);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.message).toMatch(/alias bomb; write the values out/);
  });

  it('still reads a file that uses a few aliases, as configs with shared defaults do', () => {
    const r = readYaml('base: &b { retries: 3 }\none: *b\ntwo: *b\n');
    expect(r).toEqual({
      ok: true,
      value: { base: { retries: 3 }, one: { retries: 3 }, two: { retries: 3 } },
    });
  });

  it('refuses a document over the size limit before parsing it', () => {
    const r = readYaml(`k: "${'x'.repeat(2048)}"\n`, { maxBytes: 1024 });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems[0]).toMatchObject({ path: '(file)', message: expect.stringMatching(/limit/) });
  });

  it('throws a ConfigError naming the file from parseYaml', () => {
    expect(() => parseYaml(BOMB, 'mappings/x.yaml')).toThrow(ConfigError);
    expect(() => parseYaml(BOMB, 'mappings/x.yaml')).toThrow(/mappings\/x\.yaml: 1 problem/);
  });
});

describe('parseConfigText with hostile YAML', () => {
  it('reports an alias bomb as a ConfigError every config loader already handles', () => {
    expect(() => parseConfigText(BOMB, z.looseObject({}), { label: 'agent.yaml' })).toThrow(ConfigError);
  });
});
