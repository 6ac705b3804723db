/**
 * Silence and rule matchers, read and applied the way Alertmanager does: every matcher must
 * match, a regex (RE2 syntax, linear time) must match the whole value, and a label the alert
 * lacks counts as the empty string.
 */
import { zodIssuesToProblems } from '@opsfleet/core';
import { z } from 'zod';
import { fullMatch, re2Problem } from './re2.ts';

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  value: string;
  type: MatchType;
}

export interface MatcherProblem {
  /** Where in a matcher list (`[1].value`); empty for a single matcher read from text. */
  path: string;
  message: string;
}

export class MatcherError extends Error {
  constructor(readonly problems: MatcherProblem[]) {
    super(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; '));
    this.name = 'MatcherError';
  }
}

const SYNTAX = 'write name="value", name!="value", name=~"regex" or name!~"regex"';
const MATCHER = /^\s*([A-Za-z_][\w.:/-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/** Reads one matcher as written in amtool or a console filter box: `severity=~"critical|high"`. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m) return fail(`'${text}' is not a matcher; ${SYNTAX}`);
  const [, name = '', type = '=', raw = ''] = m;
  const quoted = raw.startsWith('"');
  const value = quoted ? unquote(raw) : raw;
  if (value === null || (!quoted && raw.includes('"')))
    return fail(`'${text}' has unbalanced quotes; ${SYNTAX}`);
  const matcher = { name, value, type: type as MatchType };
  const problem = regexProblem(matcher);
  return problem ? fail(`'${text}': ${problem}`) : matcher;
}

/** True when every matcher matches; an empty list matches everything. */
export function matches(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  // hasOwn, so that a matcher on "constructor" or "toString" sees a missing label, not a method.
  return matchers.every((m) => matchOne(m, Object.hasOwn(labels, m.name) ? labels[m.name]! : ''));
}

/** Checks matchers sent to the API, refusing a silence that would mute (nearly) every alert. */
export function validateMatchers(matchers: unknown): Matcher[] {
  const result = matcherList.safeParse(matchers);
  if (!result.success) throw new MatcherError(zodIssuesToProblems(result.error.issues));
  return result.data;
}

function fail(message: string): never {
  throw new MatcherError([{ path: '', message }]);
}

// Alertmanager's escapes: \" and \\ and \n; any other backslash stays, so `"a\.b"` keeps its
// regex escape. Returns null when the closing quote is missing or text follows it.
function unquote(quoted: string): string | null {
  let out = '';
  for (let i = 1; i < quoted.length; i++) {
    const c = quoted[i]!;
    if (c === '"') return i === quoted.length - 1 ? out : null;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = quoted[++i];
    if (next === undefined) return null;
    out += next === 'n' ? '\n' : next === '"' || next === '\\' ? next : `\\${next}`;
  }
  return null;
}

function matchOne(m: Matcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return fullMatch(m.value, value);
    case '!~':
      return !fullMatch(m.value, value);
  }
}

const RE2_SYNTAX = 'RE2 syntax is required, as in Alertmanager (no backreferences or lookaround)';

function regexProblem(m: Matcher): string | null {
  if (m.type !== '=~' && m.type !== '!~') return null;
  const problem = re2Problem(m.value);
  return problem && `invalid regular expression ${JSON.stringify(m.value)}: ${problem}; ${RE2_SYNTAX}`;
}

const EXAMPLE = '{"name": "alertname", "value": "DiskFull", "type": "="}';

const matcherSchema = z
  .object(
    {
      name: z.string().min(1, 'must not be empty: the label to match, e.g. "alertname"'),
      value: z.string(),
      type: z.enum(['=', '!=', '=~', '!~']),
    },
    { error: `must be a matcher such as ${EXAMPLE}` },
  )
  .superRefine((m, ctx) => {
    const problem = regexProblem(m);
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });

const matcherList = z
  .array(matcherSchema, { error: `must be a list of matchers such as ${EXAMPLE}` })
  .min(1, 'must have at least one matcher: a silence without matchers would mute every alert')
  .superRefine((list, ctx) => {
    // Issues found above do not stop this check; a list already refused needs no second reason.
    const valid = list.length > 0 && list.every((m) => regexProblem(m) === null);
    if (valid && list.every((m) => matchOne(m, '')))
      ctx.addIssue({
        code: 'custom',
        message:
          'every matcher also matches alerts that lack the label, so this silence would mute almost ' +
          `every alert; add one that needs a value, such as ${EXAMPLE}`,
      });
  });
