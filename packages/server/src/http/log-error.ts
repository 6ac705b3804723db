/**
 * An error as it may be logged. A failed query's message and stack carry its parameters
 * (drizzle writes `params: …` into both), and PostgreSQL's detail echoes stored values: any of
 * them may be a secret or a megabyte someone sent. What stays is what a person needs to find
 * the fault: the statement with its placeholders, the SQLSTATE, and where it failed.
 */
export function loggableError(err: unknown, depth = 0): Record<string, unknown> {
  if (typeof err !== 'object' || err === null) return { message: clip(String(err), 1000) };
  const e = err as Error & Record<string, unknown>;
  const cause = depth < 3 && e.cause !== undefined ? { cause: loggableError(e.cause, depth + 1) } : {};
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code))
    return {
      type: e.name,
      code: e.code,
      ...(typeof e.query === 'string' ? { query: clip(e.query, 4000) } : {}),
      message: withoutValues(String(e.message)),
      ...pick(e, ['severity', 'schema', 'table', 'column', 'constraint', 'dataType', 'routine']),
      ...cause,
    };
  if (typeof e.query === 'string' && 'params' in e)
    return {
      type: e.name,
      query: clip(e.query, 4000),
      params: `${Array.isArray(e.params) ? e.params.length : 0} values, not logged`,
      ...cause,
    };
  return {
    type: e.name,
    message: clip(String(e.message), 1000),
    ...(typeof e.stack === 'string' ? { stack: clip(e.stack, 4000) } : {}),
    ...cause,
  };
}

/**
 * PostgreSQL quotes both names (`column "labels" does not exist`) and the values it refuses
 * (`invalid input syntax for type uuid: "…"`); a quoted text is kept only after the word that
 * says it is a name.
 */
const QUOTED =
  /(\b(?:column|relation|table|constraint|index|type|function|schema|database|role|sequence|operator|extension|trigger)\s+)?"[^"]*"/g;

function withoutValues(message: string): string {
  return clip(
    message.replace(QUOTED, (quoted, name?: string) => (name ? quoted : '"(value not logged)"')),
    1000,
  );
}

function pick(e: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => typeof e[k] === 'string').map((k) => [k, e[k]]));
}

const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
