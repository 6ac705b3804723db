import type { FieldProblem } from './problem.ts';

/** Deeper than any request body the API defines; PostgreSQL's jsonb parser has a stack limit too. */
export const MAX_DEPTH = 64;

/**
 * The first value in a request that the database could not store as text: a NUL character
 * (PostgreSQL refuses it in text and jsonb) or an unpaired UTF-16 surrogate (not Unicode, so
 * not UTF-8 either), in a value or a key; or a body nested deeper than `MAX_DEPTH`. The path
 * is written as the validation errors write theirs (`body.alerts.0.labels.host`).
 */
export function badInputIn(parts: Record<string, unknown>): FieldProblem | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = Object.entries(parts).map(
    ([path, value]) => ({
      value,
      path,
      depth: 0,
    }),
  );
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value, path, depth } = next;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { path, message: problem };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_DEPTH)
      return { path, message: `nests deeper than ${MAX_DEPTH} levels: no field of this API needs that` };
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}.${printable(key)}`;
      const problem = textProblem(key);
      if (problem) return { path: at, message: `the name ${problem}` };
      stack.push({ value: item, path: at, depth: depth + 1 });
    }
  }
  return undefined;
}

// With the u flag a paired surrogate is one code point, so only an unpaired one matches.
const LONE_SURROGATE = /\p{Cs}/u;

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored: remove it';
  if (LONE_SURROGATE.test(text))
    return 'contains an unpaired UTF-16 surrogate (\\uD800-\\uDFFF), which is not text: send valid Unicode';
  return undefined;
}

/** A key as it can be shown in an error message: escaped, and never a whole oversized one. */
function printable(key: string): string {
  const shown = textProblem(key) ? JSON.stringify(key).slice(1, -1) : key;
  return shown.length > 64 ? `${shown.slice(0, 64)}…` : shown;
}
