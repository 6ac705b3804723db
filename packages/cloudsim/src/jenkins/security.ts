import { randomBytes } from 'node:crypto';
import { crumbValid, issueCrumb, newSalt } from './crumb.ts';

export interface JenkinsUser {
  name: string;
  /** Basic auth with the password works but, unlike an API token, needs a crumb for POSTs. */
  password?: string;
  apiTokens?: string[];
  /** `read` users get 403 on build, stop and cancel (default `build`). */
  permission?: 'read' | 'build';
}

export interface Auth {
  /** Absent = anonymous. */
  user?: JenkinsUser;
  /** Authenticated with an API token: exempt from the crumb (`ApiCrumbExclusion`). */
  viaToken: boolean;
}

/** `Authorization: Basic user:secret`, the secret being an API token or the password. */
export function basicAuth(users: JenkinsUser[], header: string | undefined): Auth | { failed: string } {
  if (!header?.startsWith('Basic ')) return { viaToken: false };
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const name = colon < 0 ? decoded : decoded.slice(0, colon);
  const secret = colon < 0 ? '' : decoded.slice(colon + 1);
  const user = users.find((u) => u.name === name);
  if (user?.apiTokens?.includes(secret)) return { user, viaToken: true };
  if (user?.password !== undefined && user.password === secret) return { user, viaToken: false };
  return { failed: name };
}

/**
 * The instance's crumb salt, its id and the web sessions crumbs are bound to; all three are lost
 * when Jenkins restarts.
 */
export class CrumbSessions {
  private salt = newSalt();
  private instance = randomBytes(16).toString('hex');
  private readonly sessions = new Set<string>();

  constructor(private readonly excludeSessionId: boolean) {}

  /** `X-Jenkins-Session`. */
  instanceId(): string {
    return this.instance.slice(0, 8);
  }

  private cookieName(): string {
    return `JSESSIONID.${this.instanceId()}`;
  }

  private sessionOf(cookieHeader: string | undefined): string | undefined {
    const cookies = (cookieHeader ?? '').split(';').map((c) => c.trim().split('='));
    const id = cookies.find(([k]) => k === this.cookieName())?.[1];
    return id && this.sessions.has(id) ? id : undefined;
  }

  /** `GET /crumbIssuer/api/json`: a crumb for the caller's session, opening one (Set-Cookie) if needed. */
  issue(user: string, cookieHeader: string | undefined, ip: string): { crumb: string; setCookie?: string } {
    let session = this.sessionOf(cookieHeader);
    let setCookie: string | undefined;
    if (!session) {
      session = randomBytes(12).toString('hex');
      this.sessions.add(session);
      setCookie = `${this.cookieName()}=${session}; Path=/; HttpOnly`;
    }
    const crumb = issueCrumb({
      user,
      session: this.excludeSessionId ? undefined : session,
      ip,
      salt: this.salt,
    });
    return { crumb, setCookie };
  }

  valid(crumb: string | undefined, user: string, cookieHeader: string | undefined, ip: string): boolean {
    if (this.excludeSessionId) return crumbValid(crumb, { user, ip, salt: this.salt });
    const session = this.sessionOf(cookieHeader);
    return session !== undefined && crumbValid(crumb, { user, session, ip, salt: this.salt });
  }

  restart(): void {
    this.salt = newSalt();
    this.instance = randomBytes(16).toString('hex');
    this.sessions.clear();
  }
}
