/**
 * The console's HTTP client: keeps the session (access and refresh token in memory, the refresh
 * token also in this tab's sessionStorage so a reload keeps the login), adds the bearer token,
 * refreshes it before it lapses and once on a 401, and turns problem+json answers into
 * `ApiError`s carrying the server's `detail`.
 */
import type { LoginAnswer, User } from './types.ts';

const STORAGE_KEY = 'opsfleet.refreshToken';
/** Refresh this long before the access token lapses. */
const REFRESH_EARLY_MS = 60_000;

export interface FieldProblem {
  path: string;
  message: string;
}

/** An error answer of the API (RFC 9457 problem details), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** The message to show for any error: the problem's `detail` when the server sent one. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return String(err);
}

export async function problemOf(res: Response): Promise<ApiError> {
  let body: { title?: unknown; detail?: unknown; errors?: unknown } | undefined;
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = undefined;
  }
  const title = typeof body?.title === 'string' ? body.title : res.statusText || 'Error';
  const detail = typeof body?.detail === 'string' ? body.detail : `${res.status} ${title}`;
  const errors = Array.isArray(body?.errors) ? (body.errors as FieldProblem[]) : [];
  return new ApiError(res.status, title, detail, errors);
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: User;
  /** When the access token lapses (ms since the epoch, this browser's clock). */
  expiresAt: number;
}

let session: Session | null = null;
const listeners = new Set<() => void>();
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | null = null;
let restoring: Promise<boolean> | null = null;

const storage = (): Storage | undefined =>
  typeof sessionStorage === 'undefined' ? undefined : sessionStorage;

export const currentSession = (): Session | null => session;

/** Calls `listener` whenever the session starts, is refreshed or ends; returns the unsubscribe. */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function setSession(next: Session | null): void {
  session = next;
  clearTimeout(refreshTimer);
  if (next) {
    storage()?.setItem(STORAGE_KEY, next.refreshToken);
    const wait = Math.max(5_000, next.expiresAt - Date.now() - REFRESH_EARLY_MS);
    refreshTimer = setTimeout(() => void refreshSession(), wait);
  } else {
    storage()?.removeItem(STORAGE_KEY);
  }
  for (const listener of listeners) listener();
}

function adopt(answer: LoginAnswer): void {
  setSession({
    accessToken: answer.accessToken,
    refreshToken: answer.refreshToken,
    user: answer.user,
    expiresAt: Date.now() + answer.expiresIn * 1000,
  });
}

async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'Network error', `the server cannot be reached (${(err as Error).message})`);
  }
}

/** A JSON POST without credentials (login, refresh, logout, reset). */
async function publicPost<T>(path: string, body: unknown): Promise<T> {
  const res = await send(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await problemOf(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export async function login(username: string, password: string): Promise<User> {
  const answer = await publicPost<LoginAnswer>('/api/v1/auth/login', { username, password });
  adopt(answer);
  return answer.user;
}

/**
 * Exchanges the refresh token for a new pair. Only one exchange runs at a time: the server retires
 * a refresh token when it is used, and a second use of it would revoke the whole login. A refused
 * refresh ends the session (back to the login page); a network failure keeps it and retries later.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const token = session?.refreshToken ?? storage()?.getItem(STORAGE_KEY);
    if (!token) {
      if (session) setSession(null);
      return false;
    }
    try {
      adopt(await publicPost<LoginAnswer>('/api/v1/auth/refresh', { refreshToken: token }));
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status !== 0) setSession(null);
      else if (session) {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(() => void refreshSession(), 10_000);
      }
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** After a reload: the login of this tab, from the refresh token kept in sessionStorage. */
export function restoreSession(): Promise<boolean> {
  restoring ??= storage()?.getItem(STORAGE_KEY) ? refreshSession() : Promise.resolve(false);
  return restoring;
}

export async function logout(): Promise<void> {
  const token = session?.refreshToken;
  setSession(null);
  if (token) await publicPost('/api/v1/auth/logout', { refreshToken: token }).catch(() => undefined);
}

/** A password reset with a token an admin issued; the user then logs in with the new password. */
export async function resetPassword(token: string, password: string): Promise<void> {
  await publicPost('/api/v1/auth/reset', { token, password });
}

/**
 * `fetch` with the access token. A 401 is answered by one refresh and one retry (unless another
 * request refreshed the token meanwhile, then only the retry); a second 401 ends the session.
 */
export async function authFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const attempt = (token: string | undefined) => {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    return send(path, { ...init, headers });
  };
  const used = session?.accessToken;
  const res = await attempt(used);
  if (res.status !== 401 || !used) return res;
  if (session?.accessToken === used && !(await refreshSession())) return res;
  if (!session) return res;
  const retried = await attempt(session.accessToken);
  if (retried.status === 401) setSession(null);
  return retried;
}

export type Query = Record<string, string | string[] | number | undefined>;

export function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
}

/** A JSON call of the API; throws `ApiError` with the problem's `detail` on an error answer. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const hasBody = opts.body !== undefined;
  const res = await authFetch(withQuery(path, opts.query), {
    method: opts.method ?? (hasBody ? 'POST' : 'GET'),
    headers: hasBody ? { 'content-type': 'application/json' } : {},
    body: hasBody ? JSON.stringify(opts.body) : undefined,
    signal: opts.signal,
  });
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}
