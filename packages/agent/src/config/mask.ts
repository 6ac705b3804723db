import { YAML_LIMITS } from '@opsfleet/core';
import { isPair, isScalar, parseDocument, visit } from 'yaml';

/**
 * Secrets in agent.yaml as GetConfig shows them: the value of any key that names a secret
 * (token, password, secret, api key, authorization, cookie, credential, private key, in any
 * case: `DB_PASSWORD` in a service's env too) and every header value, replaced by MASK.
 * A bare `${VAR}` reference is kept, since it is where the secret comes from, not the secret.
 */
export const MASK = '********';

const SECRET_KEY = /token|secret|passw(or)?d|credential|private|api[-_]?key|authorization|cookie|session/i;
const REFERENCE = /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/;

const secretAt = (key: string, parent: string | undefined) => SECRET_KEY.test(key) || parent === 'headers';

/** A copy of a parsed configuration with the secret values masked. */
export function maskValue(value: unknown, key = '', parent?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => maskValue(v, key, parent));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(v, k, key)]));
  if (value === undefined || value === null || !secretAt(key, parent)) return value;
  return MASK;
}

/** agent.yaml text with the secret values masked; comments and layout are kept. */
export function maskYaml(text: string): string {
  // Not core's readYaml: the document is edited and printed, never turned into values, so its
  // aliases are never expanded; a Document is what keeps the comments.
  if (Buffer.byteLength(text) > YAML_LIMITS.maxBytes)
    return '# agent.yaml on disk is over the size limit, so it is not shown (the agent runs the last valid one)\n';
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length)
    return '# agent.yaml on disk does not parse, so it is not shown (the agent runs the last valid one)\n';
  visit(doc, {
    Pair(_, pair, path) {
      if (!isScalar(pair.key) || !isScalar(pair.value)) return;
      const value = pair.value.value;
      if (value === null || (typeof value === 'string' && REFERENCE.test(value))) return;
      const parentPair = [...path].reverse().find(isPair);
      const parent =
        isPair(parentPair) && isScalar(parentPair.key) ? String(parentPair.key.value) : undefined;
      if (secretAt(String(pair.key.value), parent)) pair.value.value = MASK;
    },
  });
  return doc.toString();
}

/** Paths whose value is still the mask: text copied from GetConfig and sent back unchanged. */
export function maskedPaths(value: unknown, path = ''): string[] {
  if (value === MASK) return [path || '(root)'];
  if (Array.isArray(value)) return value.flatMap((v, i) => maskedPaths(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => maskedPaths(v, path ? `${path}.${k}` : k));
  return [];
}
