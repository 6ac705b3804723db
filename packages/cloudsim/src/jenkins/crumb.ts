import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Jenkins's DefaultCrumbIssuer: the crumb is a digest of the user name, the web session id, the
 * client address and the instance salt, so a crumb fetched without keeping the session cookie,
 * by another user, from another address or before a restart (new salt) is refused.
 */
export interface CrumbInput {
  user: string;
  /** The `JSESSIONID.*` cookie's session; omitted when the issuer excludes the session id. */
  session?: string;
  ip: string;
  salt: string;
}

export const CRUMB_FIELD = 'Jenkins-Crumb';

export function issueCrumb(input: CrumbInput): string {
  return createHash('sha256')
    .update(`${input.user};${input.session ?? ''};${input.ip};`)
    .update(input.salt)
    .digest('hex');
}

export function crumbValid(crumb: string | undefined, input: CrumbInput): boolean {
  if (!crumb) return false;
  const want = Buffer.from(issueCrumb(input));
  const got = Buffer.from(crumb);
  return got.length === want.length && timingSafeEqual(got, want);
}

export const newSalt = (): string => randomBytes(16).toString('hex');
