import { type HttpAnswer, httpRequest } from '../http-client.ts';
import { ServerCallError } from '../registration/server.ts';

/** The agent's side of the command API, signed with its own key. */
export class CommandClient {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  /** The answer's JSON; a ServerCallError (status 0 when unreachable) otherwise. */
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
