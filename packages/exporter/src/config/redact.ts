import type { ExporterConfig } from './load.ts';

const MASK = '********';
// A key that names a credential anywhere in the server section (admin auth, proxies).
const SECRET_KEY = /pass|secret|token|credential|auth_key|private/i;

function masked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && v !== '' && v !== null ? MASK : masked(v),
      ]),
    );
  return value;
}

/** An access key id shows enough to tell accounts apart (its first 4 characters), never whole. */
const keyId = (id: string) => (id.length > 4 ? `${id.slice(0, 4)}${MASK}` : MASK);

/**
 * The running configuration as `GET /api/config` shows it (the seed's endpoint): the server
 * section and the accounts as loaded, every secret replaced, access key ids cut to a prefix, and
 * the admin credentials reduced to their user names.
 */
export function redactedConfig(c: ExporterConfig) {
  return {
    server: masked(c.server),
    estimation: c.estimation,
    listen: `${c.host}:${c.port}`,
    interval_seconds: c.intervalMs / 1000,
    files: { server: c.serverPath ?? null, accounts: c.accountsPath ?? null },
    admin_users: c.adminAuth.map((a) => a.username),
    accounts: c.accounts.map((a) => ({
      ...a,
      access_key_id: keyId(a.access_key_id),
      access_key_secret: MASK,
    })),
    warnings: c.warnings,
  };
}
