import { errors, jwtVerify, SignJWT } from 'jose';
import type { Role } from './permissions.ts';

export interface AccessClaims {
  sub: string;
  username: string;
  role: Role;
}

/** Short-lived access tokens (HS256); the signing secret is shared by every replica. */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly ttlSeconds = 900,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: AccessClaims, now = new Date()): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ username: claims.username, role: claims.role })
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
      if (typeof payload.sub !== 'string' || typeof payload.username !== 'string') return undefined;
      return { sub: payload.sub, username: payload.username, role: payload.role as Role };
    } catch (err) {
      if (err instanceof errors.JOSEError) return undefined;
      throw err;
    }
  }
}
