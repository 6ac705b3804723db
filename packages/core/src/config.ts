import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';

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

/**
 * `${VAR}` and `$VAR` → the value or ''; `${VAR:-default}` → the value when set and non-empty,
 * else the default. Applied to the raw text before YAML parsing.
 */
export function expandEnv(text: string, env: Env = process.env): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, braced, def, bare) => {
      if (bare !== undefined) return env[bare] ?? '';
      const value = env[braced];
      if (def !== undefined) return value ? value : def;
      return value ?? '';
    },
  );
}

function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(root)';
}

export function zodIssuesToProblems(issues: readonly z.core.$ZodIssue[], prefix = ''): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length) {
      const first = issue.errors.find((e) => e.length) ?? [];
      if (first.length) {
        out.push(
          ...zodIssuesToProblems(
            first.map((e) => ({ ...e, path: [...issue.path, ...e.path] })),
            prefix,
          ),
        );
        continue;
      }
    }
    const path = formatPath([...(prefix ? [prefix] : []), ...issue.path]);
    out.push({ path, message: issue.message });
  }
  return out;
}

/** Parses YAML text after env expansion and validates it; throws ConfigError listing every problem. */
export function parseConfigText<S extends z.ZodType>(
  text: string,
  schema: S,
  opts: { env?: Env; label?: string } = {},
): z.output<S> {
  const label = opts.label ?? 'config';
  const doc = parseDocument(expandEnv(text, opts.env ?? process.env));
  if (doc.errors.length) {
    throw new ConfigError(
      label,
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const result = schema.safeParse(doc.toJS() ?? {});
  if (!result.success) throw new ConfigError(label, zodIssuesToProblems(result.error.issues));
  return result.data;
}

export function loadConfigFile<S extends z.ZodType>(
  path: string,
  schema: S,
  opts: { env?: Env; label?: string } = {},
): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(opts.label ?? path, [
      { path, message: `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` },
    ]);
  }
  return parseConfigText(text, schema, { ...opts, label: opts.label ?? path });
}
