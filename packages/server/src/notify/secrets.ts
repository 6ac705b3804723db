import { badRequest, type FieldProblem } from '../http/problem.ts';

/**
 * Channel secrets: passwords, signing secrets, custom headers and URLs (robots carry their token
 * in the URL). They are sealed with the server's key (identity/secret-box.ts, AES-256-GCM) before
 * they reach the database, so a dump, a backup or a read-only database login shows none of them; answers show them masked, and a
 * masked value sent back keeps the stored one — unless the destination changed, which would
 * hand the stored secrets to whoever runs the new one.
 */
export const MASK = '••••••';
/** The fields sealed at rest and masked in answers. */
export const SECRET_FIELDS = ['url', 'password', 'secret', 'headers'] as const;

/** Query values, a password in the authority and a webhook's path token are credentials. */
function maskUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.username) u.username = MASK;
    if (u.password) u.password = MASK;
    for (const p of [...new Set(u.searchParams.keys())]) u.searchParams.set(p, MASK);
    // Feishu, Slack and similar put the token in the path instead: mask its last segment.
    const parts = u.pathname.split('/');
    if (!u.search && /hook|services/.test(u.pathname) && parts.length > 3)
      u.pathname = [...parts.slice(0, -1), MASK].join('/');
    return decodeURI(u.toString());
  } catch {
    return MASK;
  }
}

export function maskConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => {
      if ((k === 'secret' || k === 'password') && v) return [k, MASK];
      if (k === 'url' && typeof v === 'string') return [k, maskUrl(v)];
      if (k === 'headers' && v && typeof v === 'object')
        return [k, Object.fromEntries(Object.keys(v).map((h) => [h, MASK]))];
      return [k, v];
    }),
  );
}

/** A configuration as two parts: what may be read in the database, and what is sealed. */
export function splitSecrets(config: Record<string, unknown>): {
  shown: Record<string, unknown>;
  secret: Record<string, unknown>;
} {
  const secret = Object.fromEntries(SECRET_FIELDS.filter((f) => f in config).map((f) => [f, config[f]]));
  return { shown: maskConfig(config), secret };
}

/** Where a configuration sends its secrets: the URL, or an SMTP server's host and port. */
function destination(config: Record<string, unknown>): string {
  return typeof config.url === 'string' ? config.url : `${String(config.host)}:${String(config.port)}`;
}

/**
 * A submitted configuration with masked values replaced by the stored ones. A masked value is
 * refused when the destination changed (400 naming each field), so secrets are only ever sent
 * where they were entered for.
 */
export function unmask(
  submitted: Record<string, unknown>,
  stored: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...submitted };
  const kept: FieldProblem[] = [];
  const unknown: FieldProblem[] = [];
  const keep = (path: string, value: unknown, what: string) => {
    if (value === undefined)
      unknown.push({ path, message: `nothing is stored for this ${what}: enter its value` });
    kept.push({ path, message: `enter the ${what} again: stored secrets are not sent to a new destination` });
    return value;
  };
  if (typeof submitted.url === 'string' && submitted.url.includes(MASK)) {
    if (typeof stored.url !== 'string' || submitted.url !== maskUrl(stored.url))
      throw badRequest('the URL changed but still holds masked parts', [
        { path: 'body.config.url', message: 'enter the whole URL, with its token, again' },
      ]);
    out.url = stored.url;
  }
  for (const f of ['password', 'secret'] as const)
    if (submitted[f] === MASK) out[f] = keep(`body.config.${f}`, stored[f], f);
  if (submitted.headers && typeof submitted.headers === 'object') {
    const old = (stored.headers ?? {}) as Record<string, unknown>;
    out.headers = Object.fromEntries(
      Object.entries(submitted.headers).map(([h, v]) => [
        h,
        v === MASK ? keep(`body.config.headers.${h}`, old[h], 'header value') : v,
      ]),
    );
  }
  if (unknown.length) throw badRequest('a masked value has nothing stored behind it', unknown);
  if (kept.length && destination(out) !== destination(stored))
    throw badRequest(
      `the destination changed from the stored one: enter ${kept.map((k) => k.path.replace('body.config.', '')).join(', ')} again`,
      kept,
    );
  return out;
}
