import type { UploadedFile } from './action.ts';

/**
 * The file's fields an action's settings may name in `{braces}`: a fixed set, not a template
 * engine, so a setting can only ever become one of these values and a typo is caught at check
 * time instead of reaching the receiver as literal text.
 */
export const PLACEHOLDERS = [
  'url',
  'bucket',
  'key',
  'path',
  'name',
  'size',
  'source',
  'agent',
  'fileId',
  'idempotencyKey',
] as const;

const PATTERN = /\{([A-Za-z]+(?:\.[A-Za-z0-9_.-]+)?)\}/g;

/** `{label.NAME}` is the file's label NAME (empty when the file has none). */
const known = (name: string) => (PLACEHOLDERS as readonly string[]).includes(name) || /^label\../.test(name);

/** The placeholders in `text` that are not known, for a configuration check. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PATTERN)].map((m) => m[1]!).filter((n) => !known(n));
}

export function fileFields(file: UploadedFile, idempotencyKey: string): Record<string, string> {
  return {
    url: file.object.url,
    bucket: file.object.bucket,
    key: file.object.key,
    path: file.path,
    name: file.path.split('/').pop() ?? file.path,
    size: String(file.size),
    source: file.source,
    agent: file.agent,
    fileId: file.id,
    idempotencyKey,
  };
}

export function fillPlaceholders(text: string, file: UploadedFile, idempotencyKey: string): string {
  const fields = fileFields(file, idempotencyKey);
  return text.replace(PATTERN, (whole, name: string) => {
    if (name.startsWith('label.')) return file.labels[name.slice('label.'.length)] ?? '';
    return fields[name] ?? whole;
  });
}
