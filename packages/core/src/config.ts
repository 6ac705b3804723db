import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { readYaml } from './yaml.ts';

export interface ConfigProblem {
  /** Dotted path to the field (`accounts.aliyun[0].regions`), or the file/variable at fault. */
  path: string;
  message: string;
}

/** Every problem found in one configuration source; callers print them all and exit 2. */
export class ConfigError extends Error {
  constructor(
    readonly label: string,
    readonly problems: ConfigProblem[],
  ) {
    super(formatProblems(label, problems));
    this.name = 'ConfigError';
  }
}

export function formatProblems(label: string, problems: ConfigProblem[]): string {
  const head = `${label}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return [head, ...problems.map((p) => `  ${p.path}: ${p.message}`)].join('\n');
}

type Env = Record<string, string | undefined>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
const STRICT_REFERENCE = new RegExp(`\\$\\$|${REFERENCE.source}`, 'g');

/**
 * `${VAR}` and `$VAR` → the value or ''; `${VAR:-default}` → the value when set and non-empty,
 * else the default. Applied to the raw text before YAML parsing.
 */
export function expandEnv(text: string, env: Env = process.env): string {
  return text.replace(REFERENCE, (_m, braced, def, bare) => {
    if (bare !== undefined) return env[bare] ?? '';
    const value = env[braced];
    if (def !== undefined) return value ? value : def;
    return value ?? '';
  });
}

export interface StrictExpansion {
  text: string;
  /** The unset variables, by the number of the mark that stands for each in `text`. */
  unset: string[];
  /** Matches a mark; group 1 is its number. */
  mark: RegExp;
}

/**
 * The strict expansion (agent.yaml): `$$` is a literal `$`, and a variable that is unset, with
 * no `:-default`, becomes a mark (letters, digits and `_`, so it is a plain YAML word), so that
 * once the YAML is parsed it can be reported with the field it is in (`unsetProblems`). A mark
 * in a comment disappears with the comment: nothing uses that variable.
 */
export function expandEnvStrict(text: string, env: Env = process.env): StrictExpansion {
  const nonce = Math.random().toString(36).slice(2, 10);
  const unset: string[] = [];
  const out = text.replace(STRICT_REFERENCE, (m, braced, def, bare) => {
    if (m === '$$') return '$';
    const name: string = bare ?? braced;
    const value = env[name];
    if (def !== undefined) return value ? value : def;
    if (value !== undefined) return value;
    unset.push(name);
    return `__unset_${nonce}_${unset.length - 1}__`;
  });
  return { text: out, unset, mark: new RegExp(`__unset_${nonce}_(\\d+)__`, 'g') };
}

/**
 * Finds the marks `expandEnvStrict` left in the parsed document: one problem per unset variable
 * and field, named by the field's path, and the value with the marks taken out.
 */
export function unsetProblems(
  value: unknown,
  { unset, mark }: Pick<StrictExpansion, 'unset' | 'mark'>,
): { value: unknown; problems: ConfigProblem[] } {
  if (!unset.length) return { value, problems: [] };
  const problems: ConfigProblem[] = [];
  const clean = (text: string, path: readonly PropertyKey[]): string => {
    const names = new Set([...text.matchAll(mark)].map((m) => unset[Number(m[1])]!));
    for (const name of names)
      problems.push({
        path: formatPath(path),
        message: `\${${name}} is not set: set ${name} in the environment, give a default with \${${name}:-default}, or write $$ for a literal $`,
      });
    return names.size ? text.replace(mark, '') : text;
  };
  const walk = (v: unknown, path: readonly PropertyKey[]): unknown => {
    if (typeof v === 'string') return clean(v, path);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        // A key without its variable names nothing useful: the mapping holding it is named.
        const key = clean(k, path);
        out[key] = walk(x, [...path, key]);
      }
      return out;
    }
    return v;
  };
  return { value: walk(value, []), problems };
}

/** `accounts.aliyun[0].regions`; a key that would read ambiguously (dots, spaces) as `["a.b"]`. */
function formatPath(segments: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (!/^[A-Za-z0-9_$-]+$/.test(String(seg))) out += `[${JSON.stringify(String(seg))}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(root)';
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);
const TYPE_WORDS: Record<string, string> = { int: 'integer', array: 'list', object: 'mapping' };
const typeWord = (t: unknown) => TYPE_WORDS[String(t)] ?? String(t);
const listOf = (values: readonly unknown[]) =>
  values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');

/**
 * zod's default English messages ("Invalid input: expected string, received undefined") rewritten
 * as the fix ("is required (a string)"). Messages a schema sets itself are kept as written.
 */
function friendlyMessage(issue: z.core.$ZodIssue): string {
  const m = issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const got = /^Invalid input: expected \S+, received (\S+)$/.exec(m)?.[1];
      if (!got) return m;
      const want = article(typeWord(issue.expected));
      return got === 'undefined' ? `is required (${want})` : `must be ${want}, got ${typeWord(got)}`;
    }
    case 'too_big':
    case 'too_small': {
      if (!/^Too (big|small): expected/.test(m)) return m;
      const big = issue.code === 'too_big';
      const limit = Number(big ? issue.maximum : issue.minimum);
      const inclusive = issue.inclusive !== false;
      if (issue.origin === 'string' || issue.origin === 'array' || issue.origin === 'set') {
        const unit = issue.origin === 'string' ? 'character' : 'item';
        if (!big && limit === 1 && inclusive) return 'must not be empty';
        const n = inclusive ? limit : big ? limit - 1 : limit + 1;
        return `must have at ${big ? 'most' : 'least'} ${n} ${unit}${n === 1 ? '' : 's'}`;
      }
      if (big) return inclusive ? `must be at most ${limit}` : `must be less than ${limit}`;
      return inclusive ? `must be at least ${limit}` : `must be greater than ${limit}`;
    }
    case 'invalid_value':
      if (!/^Invalid (option|input): expected/.test(m)) return m;
      return issue.values.length === 1
        ? `must be ${listOf(issue.values)}`
        : `must be one of ${listOf(issue.values)}`;
    case 'invalid_format':
      return m.replace(/^Invalid string: /, '');
    default:
      return m;
  }
}

/** Of a failed union's branches, the one that got furthest into the value explains it best. */
function bestBranch(branches: readonly (readonly z.core.$ZodIssue[])[]): readonly z.core.$ZodIssue[] {
  const depth = (issues: readonly z.core.$ZodIssue[]) => Math.max(...issues.map((i) => i.path.length));
  let best: readonly z.core.$ZodIssue[] = [];
  for (const b of branches) {
    if (!b.length) continue;
    if (!best.length || depth(b) > depth(best) || (depth(b) === depth(best) && b.length < best.length))
      best = b;
  }
  return best;
}

/**
 * zod issues as problems with dotted paths (`accounts.aliyun[0].regions`), one per field: an
 * unknown key becomes its own problem, a failed union reports its closest branch (or, when every
 * branch failed on the type alone, the types it accepts).
 */
export function zodIssuesToProblems(issues: readonly z.core.$ZodIssue[], prefix = ''): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const at = (path: readonly PropertyKey[]) => formatPath(path, prefix);
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const typeOnly = issue.errors.every(
        (b) => b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0,
      );
      if (typeOnly) {
        const got = /received (\S+)$/.exec(issue.errors[0]![0]!.message)?.[1];
        const wants = [
          ...new Set(issue.errors.map((b) => typeWord((b[0] as { expected?: string }).expected))),
        ];
        out.push({
          path: at(issue.path),
          message:
            got === 'undefined'
              ? `is required (${wants.map(article).join(' or ')})`
              : `must be ${wants.map(article).join(' or ')}${got ? `, got ${typeWord(got)}` : ''}`,
        });
        continue;
      }
      const branch = bestBranch(issue.errors);
      if (branch.length) {
        out.push(
          ...zodIssuesToProblems(
            branch.map((e) => ({ ...e, path: [...issue.path, ...e.path] })),
            prefix,
          ),
        );
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys' && /^Unrecognized keys?: /.test(issue.message)) {
      for (const key of issue.keys)
        out.push({ path: at([...issue.path, key]), message: 'unknown key: check the spelling or remove it' });
      continue;
    }
    out.push({ path: at(issue.path), message: friendlyMessage(issue) });
  }
  return out;
}

export interface ParseOptions {
  env?: Env;
  label?: string;
  /**
   * Whether an empty document (nothing but comments) means "all defaults". Off for files where
   * the defaults would stop everything the file describes, such as agent.yaml caught mid-write.
   */
  allowEmpty?: boolean;
  /**
   * `$$` is a literal `$`, and an unset variable without a default is a problem naming its
   * field, instead of becoming empty (agent.yaml; the exporter's files keep the lenient rule).
   */
  strictEnv?: boolean;
}

/** Parses YAML text after env expansion and validates it; throws ConfigError listing every problem. */
export function parseConfigText<S extends z.ZodType>(
  text: string,
  schema: S,
  opts: ParseOptions = {},
): z.output<S> {
  const label = opts.label ?? 'config';
  const env = opts.env ?? process.env;
  const expanded = opts.strictEnv
    ? expandEnvStrict(text, env)
    : { text: expandEnv(text, env), unset: [], mark: /$^/g };
  const doc = readYaml(expanded.text);
  if (!doc.ok) throw new ConfigError(label, doc.problems);
  const { value, problems: unset } = unsetProblems(doc.value, expanded);
  if (doc.value == null && opts.allowEmpty === false)
    throw new ConfigError(label, [
      {
        path: '(file)',
        message:
          'is empty (a file caught mid-write?): write the whole file, at least `services: []`, ideally to a temporary file renamed into place',
      },
    ]);
  const result = schema.safeParse(value ?? {});
  const problems = result.success ? [] : zodIssuesToProblems(result.error.issues);
  // A field whose variable is unset is reported for that, not for the value left without it.
  const named = new Set(unset.map((p) => p.path));
  const all = [...unset, ...problems.filter((p) => !named.has(p.path))];
  if (all.length || !result.success) throw new ConfigError(label, all);
  return result.data;
}

const READ_HINTS: Record<string, string> = {
  ENOENT: 'no such file, check the path',
  EACCES: 'permission denied, make the file readable by this user',
  EISDIR: 'this is a directory, point at the YAML file inside it',
};

function readErrorText(err: NodeJS.ErrnoException): string {
  if (!err.code) return err.message;
  return READ_HINTS[err.code] ? `${err.code} (${READ_HINTS[err.code]})` : err.code;
}

/** Reads, expands and validates one YAML file; a missing or unreadable file is a ConfigError too. */
export function loadConfigFile<S extends z.ZodType>(
  path: string,
  schema: S,
  opts: ParseOptions = {},
): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(opts.label ?? path, [
      { path, message: `cannot read file: ${readErrorText(err as NodeJS.ErrnoException)}` },
    ]);
  }
  return parseConfigText(text, schema, { ...opts, label: opts.label ?? path });
}
