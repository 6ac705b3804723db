import { setTimeout as sleep } from 'node:timers/promises';
import { type HttpAnswer, httpRequest } from './http-client.ts';

/** An answer of the server that is not a success, with its problem+json detail (status 0: unreachable). */
export class ServerCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ServerCallError';
  }
  /** The server does not know this agent (never registered, forgotten, a new database). */
  get unknownAgent(): boolean {
    return this.status === 404 || this.status === 410;
  }
}

/** The agent's calls to the server's API, signed with its own key: registration, heartbeats, commands. */
export class ServerApi {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  /** The answer's JSON; a ServerCallError otherwise. */
  async call<T>(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<T> {
    let res: HttpAnswer;
    try {
      res = await httpRequest(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ServerCallError(0, `the server cannot be reached (${code ?? (err as Error).message})`);
    }
    const text = res.body.toString('utf8');
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
      } catch {}
      throw new ServerCallError(res.status, `${res.status}: ${detail || res.reason}`);
    }
    return JSON.parse(text) as T;
  }
}

/** Waits `ms`, or less when `signal` aborts first (the agent is stopping); never rejects. */
export const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  sleep(ms, undefined, { signal }).catch(() => {});
