/**
 * Channel configurations hold secrets (passwords, signing secrets, and tokens inside robot
 * URLs). API answers show them masked; an update that sends the mask back keeps the stored value.
 */
export const MASK = '••••••';
const SECRET_FIELDS = new Set(['secret', 'password']);
const SECRET_PARAMS = ['access_token', 'key', 'token'];

function maskUrl(value: string): string {
  try {
    const u = new URL(value);
    const inQuery = SECRET_PARAMS.filter((p) => u.searchParams.has(p));
    for (const p of inQuery) u.searchParams.set(p, MASK);
    // Feishu, Slack and similar put the token in the path instead: mask its last segment.
    const parts = u.pathname.split('/');
    if (!inQuery.length && /hook|services/.test(u.pathname) && parts.length > 3)
      u.pathname = [...parts.slice(0, -1), MASK].join('/');
    return decodeURI(u.toString());
  } catch {
    return MASK;
  }
}

export function maskConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => {
      if (SECRET_FIELDS.has(k) && v) return [k, MASK];
      if (k === 'url' && typeof v === 'string') return [k, maskUrl(v)];
      if (k === 'headers' && v && typeof v === 'object')
        return [k, Object.fromEntries(Object.keys(v).map((h) => [h, MASK]))];
      return [k, v];
    }),
  );
}

/** A submitted configuration with masked values replaced by the stored ones. */
export function unmask(
  submitted: Record<string, unknown>,
  stored: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...submitted };
  for (const [k, v] of Object.entries(submitted)) {
    if (typeof v === 'string' && v.includes(MASK)) out[k] = stored[k];
    if (k === 'headers' && v && typeof v === 'object') {
      const old = (stored.headers ?? {}) as Record<string, unknown>;
      out[k] = Object.fromEntries(Object.entries(v).map(([h, hv]) => [h, hv === MASK ? old[h] : hv]));
    }
  }
  return out;
}
