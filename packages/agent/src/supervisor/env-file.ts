import { readFileSync } from 'node:fs';

/**
 * `envFile`: `KEY=VALUE` lines, blank lines and `#` comment lines ignored, an optional leading
 * `export `, values optionally in single quotes (taken as they are) or double quotes (`\n`,
 * `\"`, `\\` understood). A `#` after a value is part of the value, as in systemd's
 * EnvironmentFile. Any other line is an error naming the file and line: a typo should not
 * silently drop a variable.
 */
export function parseEnvFile(text: string, file = 'envFile'): Record<string, string> {
  const env: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: expected KEY=VALUE, found '${line.slice(0, 60)}'`);
    env[m[1]!] = unquote(m[2]!, `${file}:${i + 1}`);
  }
  return env;
}

function unquote(value: string, where: string): string {
  const q = value[0];
  if (q !== '"' && q !== "'") return value;
  if (value.length < 2 || value[value.length - 1] !== q) throw new Error(`${where}: unterminated ${q} quote`);
  const inner = value.slice(1, -1);
  if (q === "'") return inner;
  return inner.replace(/\\([\\"nrt$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

/** Reads and parses the file now (every start calls it, so a restart sees the file as it is). */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`envFile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseEnvFile(text, path);
}
