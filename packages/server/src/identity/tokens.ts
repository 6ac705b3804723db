import { errors, jwtVerify, SignJWT } from 'jose';

export interface AccessClaims {
  /** The user. */
  sub: string;
  /** The session (login) the token belongs to; checked on every request, so a logout ends it. */
  sid: string;
}

/** HS256 needs a key at least as long as its output; shorter ones can be guessed offline from one token. */
export const MIN_SECRET_BYTES = 32;

export function checkAuthSecret(secret: string): void {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES)
    throw new Error(
      `AUTH_SECRET must be at least ${MIN_SECRET_BYTES} bytes, and it has ${bytes}: generate one with ` +
        '`openssl rand -base64 48`, or leave it unset to let the server keep its own (sealed with ENCRYPTION_KEY)',
    );
}

/**
 * Short-lived access tokens (HS256); the signing secret is shared by every replica. A token only
 * names its user and session: who the user is and what they may do is read from the database on
 * each request, so a change of role or a disabled account applies at once.
 */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly ttlSeconds = 900,
  ) {
    checkAuthSecret(secret);
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: AccessClaims, now = new Date()): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuer('opsfleet')
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .sign(this.key);
  }

  /** The claims of a valid token; `undefined` for a forged, expired or malformed one. */
  async verify(token: string, now = new Date()): Promise<AccessClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: 'opsfleet',
        algorithms: ['HS256'],
        currentDate: now,
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return undefined;
      return { sub: payload.sub, sid: payload.sid };
    } catch (err) {
      if (err instanceof errors.JOSEError) return undefined;
      throw err;
    }
  }
}
