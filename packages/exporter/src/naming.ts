/** The fixed label set of every business series, in the public exporter's order. */
export const FIXED_LABELS = [
  'cloud_provider',
  'account_id',
  'region',
  'resource_type',
  'resource_id',
  'namespace',
  'metric_name',
  'code_name',
] as const;

const RESERVED = new Set<string>(FIXED_LABELS);

/**
 * Lowercases and replaces every character outside `[a-z0-9_]` with `_`, and prefixes `_` to a
 * leading digit, so any source name becomes a valid Prometheus metric or label name (the
 * public exporter only replaced `-`, `.` and `/`, so `%` or a leading digit broke the output).
 */
export function sanitizeMetricName(name: string): string {
  const out = name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[0-9]/.test(out) ? `_${out}` : out;
}

/**
 * Raw dimension keys → label names: sanitised and lowercased; keys that would shadow a fixed
 * label are dropped; two keys that sanitise to the same name get `_2`, `_3`, … in input order.
 */
export function labelSchema(keys: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const key of keys) {
    const base = sanitizeMetricName(key);
    if (RESERVED.has(base) || base === '' || base.startsWith('__')) continue;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    out.set(key, name);
  }
  return out;
}
