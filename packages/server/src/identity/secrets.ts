import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** Passwords: argon2id with the library's defaults (19 MiB, 2 passes). */
export const hashPassword = (password: string) => hash(password);
export const verifyPassword = (stored: string, password: string) =>
  verify(stored, password).catch(() => false);

/** A random token, URL-safe. */
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/**
 * Tokens we issue are high-entropy, so a fast hash is enough to store them: a stolen table
 * gives nothing usable, and lookups stay one indexed query.
 */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export const sameSecret = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** API keys read `ofk_<prefix>_<secret>`: the prefix finds the row and is safe to show; the whole key is shown once. */
export function newApiKey(): { key: string; prefix: string } {
  const prefix = randomBytes(6).toString('hex');
  return { key: `ofk_${prefix}_${randomToken(24)}`, prefix };
}

export function apiKeyPrefix(key: string): string | undefined {
  return /^ofk_([0-9a-f]{12})_[A-Za-z0-9_-]{20,}$/.exec(key)?.[1];
}
