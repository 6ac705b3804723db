// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in plain strings is the syntax under test
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  expandEnv,
  expandEnvStrict,
  formatProblems,
  loadConfigFile,
  parseConfigText,
  zodIssuesToProblems,
} from './config.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cfg-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('expandEnv (AC-01)', () => {
  it.each([
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
    ['${MSG:-hello world: ok}', {}, 'hello world: ok'],
    ['${MSG:-hello world: ok}', { MSG: 'set' }, 'set'],
    ['${EMPTY:-}', { EMPTY: 'v' }, 'v'],
    ['$A-$B.txt', { A: 'a', B: 'b' }, 'a-b.txt'],
    ['${UNSET}x', {}, 'x'],
    ['price: 5$ and $ alone, ${} and ${1X}', {}, 'price: 5$ and $ alone, ${} and ${1X}'],
    ['k: ${A:-x}', { A: 'has ${B} inside' }, 'k: has ${B} inside'],
  ])('%s with %j → %s', (text, env, want) => expect(expandEnv(text, env)).toBe(want));
});

describe('expandEnvStrict (agent.yaml)', () => {
  it.each([
    ['$$HOME', { HOME: '/root' }, '$HOME'],
    ['$${HOME}', { HOME: '/root' }, '${HOME}'],
    ['$$$HOME', { HOME: '/root' }, '$/root'],
    ['a $$ b, 5$ and $ alone', {}, 'a $ b, 5$ and $ alone'],
    ['${PORT:-8080} $PORT', { PORT: '9090' }, '9090 9090'],
    ['${EMPTY:-}x', {}, 'x'],
    ['${SET}', { SET: '' }, ''],
    ['k: ${A:-x}', { A: 'has $B and $$ inside' }, 'k: has $B and $$ inside'],
  ])('%s with %j → %s', (text, env, want) =>
    expect(expandEnvStrict(text, env)).toMatchObject({ text: want, unset: [] }),
  );

  it('marks an unset variable without a default, for the parsed document to place', () => {
    const r = expandEnvStrict('a: $NOPE\nb: ${ALSO}-${NOPE:-d}', {});
    expect(r.unset).toEqual(['NOPE', 'ALSO']);
    expect(r.text).toMatch(/^a: __unset_\w+_0__\nb: __unset_\w+_1__-d$/);
  });
});

describe('parseConfigText with strictEnv', () => {
  const strict = z.object({
    server: z.object({ url: z.string().min(1), token: z.string().min(1) }),
    args: z.array(z.string()),
    env: z.record(z.string(), z.string()).default({}),
  });
  it('names the field of every unset variable, and the schema problems of other fields', () => {
    const text = `# a comment may say $WHATEVER
server: { url: "http://\${HOST}:80", token: $TOKEN }
args: [-c, "echo $$1 $ARG"]
env: { $KEY: v }
`;
    const found = problems(() => parseConfigText(text, strict, { env: { HOST: 'h' }, strictEnv: true }));
    expect(found).toEqual([
      'server.token: ${TOKEN} is not set: set TOKEN in the environment, give a default with ${TOKEN:-default}, or write $$ for a literal $',
      'args[1]: ${ARG} is not set: set ARG in the environment, give a default with ${ARG:-default}, or write $$ for a literal $',
      'env: ${KEY} is not set: set KEY in the environment, give a default with ${KEY:-default}, or write $$ for a literal $',
    ]);
    expect(
      parseConfigText(text, strict, { env: { HOST: 'h', TOKEN: 't', ARG: 'x', KEY: 'K' }, strictEnv: true }),
    ).toEqual({ server: { url: 'http://h:80', token: 't' }, args: ['-c', 'echo $1 x'], env: { K: 'v' } });
  });
  it('leaves the lenient rule to the files that do not ask for it', () => {
    expect(parseConfigText('server: { url: u$X, token: t }\nargs: [$$1]\n', strict, { env: {} })).toEqual({
      server: { url: 'u', token: 't' },
      args: ['$$1'],
      env: {},
    });
  });
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
    const dir = tmp();
    writeFileSync(join(dir, 'x.yaml'), 'server: {port: 1, name: a}\nlist: []\n');
    expect(loadConfigFile(join(dir, 'x.yaml'), schema)).toEqual({ server: { port: 1, name: 'a' }, list: [] });
    expect(() => loadConfigFile(join(dir, 'missing.yaml'), schema)).toThrow(
      /missing\.yaml: 1 problem[\s\S]*cannot read file: ENOENT/,
    );
  });
});

const accountsSchema = z.strictObject({
  accounts: z.strictObject({
    aliyun: z
      .array(
        z.strictObject({
          account_id: z.string().min(1),
          access_key_secret: z.string().min(1),
          regions: z.array(z.string()).min(1),
          port: z.number().int().min(1).max(65535).optional(),
          mode: z.enum(['direct', 'systemd']).optional(),
          level: z.enum(['debug', 'info'], { error: 'must be one of debug, info' }).optional(),
          timeout: z.union([z.number(), z.string()]).optional(),
        }),
      )
      .optional(),
  }),
});

describe('ConfigError', () => {
  const text = [
    'accounts:',
    '  aliyun:',
    '    - account_id: ""',
    '      regions: []',
    '      port: 0',
    '      mode: cron',
    '      level: trace',
    '      timeout: true',
    '      regoins: [cn-hangzhou]',
    '    - account_id: ok',
    '      access_key_secret: ${SECRET}',
    '      regions: "cn-hangzhou"',
  ].join('\n');

  it('lists every problem at once, each with its dotted path and the fix', () => {
    let err: unknown;
    try {
      parseConfigText(text, accountsSchema, { env: { SECRET: 'x' }, label: 'accounts.yaml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(Error);
    const ce = err as ConfigError;
    expect(ce.name).toBe('ConfigError');
    expect(ce.label).toBe('accounts.yaml');
    expect(ce.problems).toEqual([
      { path: 'accounts.aliyun[0].account_id', message: 'must not be empty' },
      { path: 'accounts.aliyun[0].access_key_secret', message: 'is required (a string)' },
      { path: 'accounts.aliyun[0].regions', message: 'must not be empty' },
      { path: 'accounts.aliyun[0].port', message: 'must be at least 1' },
      { path: 'accounts.aliyun[0].mode', message: 'must be one of direct, systemd' },
      { path: 'accounts.aliyun[0].level', message: 'must be one of debug, info' },
      { path: 'accounts.aliyun[0].timeout', message: 'must be a number or a string, got boolean' },
      { path: 'accounts.aliyun[0].regoins', message: 'unknown key: check the spelling or remove it' },
      { path: 'accounts.aliyun[1].regions', message: 'must be a list, got string' },
    ]);
    expect(ce.message).toBe(formatProblems('accounts.yaml', ce.problems));
    expect(ce.message.split('\n')).toHaveLength(10);
    expect(ce.message).toMatch(
      /^accounts\.yaml: 9 problems\n {2}accounts\.aliyun\[0\]\.account_id: must not be empty\n/,
    );
  });

  it('expands the environment before validating', () => {
    const ok = parseConfigText(
      'accounts:\n  aliyun:\n    - {account_id: a, access_key_secret: "${S}", regions: [${R:-cn-hangzhou}], port: ${P:-9101}}\n',
      accountsSchema,
      { env: { S: 'sec' } },
    );
    expect(ok.accounts.aliyun?.[0]).toEqual({
      account_id: 'a',
      access_key_secret: 'sec',
      regions: ['cn-hangzhou'],
      port: 9101,
    });
  });

  it('treats an empty file as an empty mapping', () => {
    expect(parseConfigText('# nothing here\n', z.object({ a: z.number().default(1) }), { env: {} })).toEqual({
      a: 1,
    });
  });

  it('refuses an empty file where all defaults would undo what the file set up', () => {
    expect(() =>
      parseConfigText('# nothing here\n', z.object({ a: z.number().default(1) }), {
        env: {},
        label: 'agent.yaml',
        allowEmpty: false,
      }),
    ).toThrow(/agent\.yaml: 1 problem\n {2}\(file\): is empty/);
  });

  it('reports YAML syntax errors with their position and duplicate keys', () => {
    let problems: string[] = [];
    try {
      parseConfigText('a: 1\nb: 2\na: 3\n', z.object({}), { env: {}, label: 'x.yaml' });
    } catch (e) {
      problems = (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 3, column 1: YAML syntax: .*unique/i);
  });

  it('formats one problem in the singular', () => {
    expect(formatProblems('server.yaml', [{ path: 'server.port', message: 'must be at most 65535' }])).toBe(
      'server.yaml: 1 problem\n  server.port: must be at most 65535',
    );
  });
});

describe('zodIssuesToProblems', () => {
  const issuesOf = (schema: z.ZodType, value: unknown) => {
    const r = schema.safeParse(value);
    if (r.success) throw new Error('expected a failure');
    return r.error.issues;
  };

  it('puts a prefix in front and quotes keys that contain dots', () => {
    const schema = z.object({ map: z.record(z.string(), z.array(z.string())) });
    expect(zodIssuesToProblems(issuesOf(schema, { map: { 'aliyun.acs_oss': 'x' } }), 'server')).toEqual([
      { path: 'server.map["aliyun.acs_oss"]', message: 'must be a list, got string' },
    ]);
    expect(
      zodIssuesToProblems(issuesOf(z.array(z.number()), [1, 'a']), 'accounts.aliyun[0].regions'),
    ).toEqual([{ path: 'accounts.aliyun[0].regions[1]', message: 'must be a number, got string' }]);
    expect(zodIssuesToProblems(issuesOf(z.number(), 'x'))).toEqual([
      { path: '(root)', message: 'must be a number, got string' },
    ]);
  });

  it('keeps messages a schema sets itself and rewrites bounds of every kind', () => {
    const schema = z.object({
      a: z.string().min(3),
      b: z.string().max(2),
      c: z.array(z.number()).max(1),
      d: z.number().lt(5),
      e: z.number().gt(5),
      f: z.number().int(),
      g: z.string().regex(/^v/),
      h: z.literal('on'),
      i: z.string().refine((v) => v === 'ok', 'must be "ok": set it to ok'),
    });
    const got = zodIssuesToProblems(
      issuesOf(schema, { a: 'x', b: 'xyz', c: [1, 2], d: 5, e: 5, f: 1.5, g: 'x', h: 'off', i: 'no' }),
    );
    expect(Object.fromEntries(got.map((p) => [p.path, p.message]))).toEqual({
      a: 'must have at least 3 characters',
      b: 'must have at most 2 characters',
      c: 'must have at most 1 item',
      d: 'must be less than 5',
      e: 'must be greater than 5',
      f: 'must be an integer, got number',
      g: 'must match pattern /^v/',
      h: 'must be on',
      i: 'must be "ok": set it to ok',
    });
  });

  it('explains a failed union by the branch that got furthest', () => {
    const schema = z.object({
      target: z.union([z.string(), z.object({ host: z.string(), port: z.number() })]),
    });
    expect(zodIssuesToProblems(issuesOf(schema, { target: { host: 'h', port: 'x' } }))).toEqual([
      { path: 'target.port', message: 'must be a number, got string' },
    ]);
    expect(zodIssuesToProblems(issuesOf(schema, {}))).toEqual([
      { path: 'target', message: 'is required (a string or a mapping)' },
    ]);
  });
});

describe('loadConfigFile', () => {
  it('reads, expands with the given env and validates', () => {
    const dir = tmp();
    writeFileSync(join(dir, 's.yaml'), 'server: {port: ${PORT:-8080}, name: "${NAME}"}\nlist: []\n');
    expect(loadConfigFile(join(dir, 's.yaml'), schema, { env: { NAME: 'n' } })).toEqual({
      server: { port: 8080, name: 'n' },
      list: [],
    });
    expect(
      loadConfigFile(join(dir, 's.yaml'), schema, { env: { PORT: '9090', NAME: 'n' } }).server.port,
    ).toBe(9090);
  });

  it('labels problems with the file path unless told otherwise, and says how to fix an unreadable file', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.yaml'), 'server: {port: 70000, name: a}\nlist: []\n');
    expect(() => loadConfigFile(join(dir, 'bad.yaml'), schema, { env: {} })).toThrow(
      new RegExp(
        `^${join(dir, 'bad.yaml').replace(/[.]/g, '\\.')}: 1 problem\n {2}server.port: must be at most 65535$`,
      ),
    );
    expect(() => loadConfigFile(join(dir, 'bad.yaml'), schema, { env: {}, label: 'server.yaml' })).toThrow(
      /^server\.yaml: 1 problem/,
    );
    expect(() => loadConfigFile(join(dir, 'nope.yaml'), schema)).toThrow(
      /ENOENT \(no such file, check the path\)/,
    );
    mkdirSync(join(dir, 'd.yaml'));
    expect(() => loadConfigFile(join(dir, 'd.yaml'), schema)).toThrow(/EISDIR \(this is a directory/);
  });
});
