/**
 * The object key of a file, from its destination's `key` template. Keys are built once per file
 * from the time it was detected, so a retry or a resume after a restart lands on the same key.
 */

export interface KeyInput {
  host: string;
  source: string;
  /** Relative to the source's root, `/`-separated. */
  relPath: string;
  labels: Record<string, string>;
  /** When the file was detected: `{date}` and `{time}` are this instant in UTC. */
  time: Date;
}

/** S3 refuses keys longer than 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
const FIELDS = new Set(['host', 'source', 'date', 'time', 'path', 'dir', 'name', 'ext']);
/** Without one of these every file of a source would be written to the same object. */
const PER_FILE_FIELDS = ['path', 'name'];
const PLACEHOLDER = /\{([^{}]*)\}/g;

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

/** Every problem of a key template, for config validation; empty when it is usable. */
export function checkKeyTemplate(template: string): string[] {
  const problems: string[] = [];
  const fields: string[] = [];
  const rest = template.replace(PLACEHOLDER, (_, field: string) => {
    fields.push(field);
    return '\0';
  });
  if (/[{}]/.test(rest)) problems.push(`'${template}' has an unmatched '{' or '}'`);
  for (const f of fields) {
    if (f.startsWith('label.')) {
      if (f.length === 'label.'.length) problems.push(`'{label.}' names no label; write {label.<name>}`);
    } else if (!FIELDS.has(f)) {
      problems.push(
        `unknown field '{${f}}'; known: ${[...FIELDS].map((x) => `{${x}}`).join(' ')} {label.<name>}`,
      );
    }
  }
  if (!fields.some((f) => PER_FILE_FIELDS.includes(f)))
    problems.push(`'${template}' has neither {path} nor {name}: every file would overwrite the same object`);
  if (rest.split('/').some((s) => s === '..' || s === '.'))
    problems.push(`'${template}' has a '.' or '..' segment; S3 tools resolve them differently`);
  return problems;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * The key for one file. Empty segments (an empty `{dir}`, a leading `/`) are dropped; a `.` or
 * `..` segment, a label the file does not have or a key over S3's limit is a KeyError.
 */
export function objectKey(template: string, input: KeyInput): string {
  const t = input.time;
  const slash = input.relPath.lastIndexOf('/');
  const name = input.relPath.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const values: Record<string, string> = {
    host: input.host,
    source: input.source,
    date: `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`,
    time: `${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`,
    path: input.relPath,
    dir: slash === -1 ? '' : input.relPath.slice(0, slash),
    name,
    ext: dot > 0 ? name.slice(dot + 1) : '',
  };
  const raw = template.replace(PLACEHOLDER, (_, field: string) => {
    if (field.startsWith('label.')) {
      const label = field.slice('label.'.length);
      const v = input.labels[label];
      if (v === undefined)
        throw new KeyError(`the key template uses {label.${label}} but the file has no label '${label}'`);
      return v;
    }
    const v = values[field];
    if (v === undefined) throw new KeyError(`unknown field '{${field}}' in the key template`);
    return v;
  });
  const segments = raw.split('/').filter((s) => s !== '');
  const bad = segments.find((s) => s === '.' || s === '..');
  if (bad) throw new KeyError(`the key '${raw}' has a '${bad}' segment`);
  const key = segments.join('/');
  if (key === '') throw new KeyError(`the key template '${template}' gives an empty key`);
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw new KeyError(`the key is ${Buffer.byteLength(key)} bytes; S3 allows ${MAX_KEY_BYTES}`);
  return key;
}
