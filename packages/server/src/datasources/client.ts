import type { Outbound } from '../http/outbound.ts';
import type { AuthType, Kind, TlsSettings } from './store.ts';

/** A data source as the client needs it: where, how to sign, which TLS settings. */
export interface Endpoint {
  kind: Kind;
  url: string;
  authType: AuthType;
  username: string;
  /** The password (basic) or token (bearer), opened from its seal only for the call. */
  secret: string;
  tls: TlsSettings;
}

/** What a call to a data source came to; `status` is the peer's, 0 when it never answered. */
export type PeerAnswer<T> =
  | { ok: true; data: T; ms: number }
  | { ok: false; status: number; error: string; ms: number };

/** A query's `data`: Prometheus's resultType (vector, matrix, scalar, string) and result. */
export interface QueryResult {
  resultType: string;
  result: unknown[];
}

/** Query answers can be large; past this the answer is refused rather than cut. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export function authHeaders(e: Pick<Endpoint, 'authType' | 'username' | 'secret'>): Record<string, string> {
  if (e.authType === 'basic')
    return { authorization: `Basic ${Buffer.from(`${e.username}:${e.secret}`).toString('base64')}` };
  if (e.authType === 'bearer') return { authorization: `Bearer ${e.secret}` };
  return {};
}

/** The URL of `path` under the data source's URL, which may carry a path prefix (/prometheus). */
export function endpointUrl(
  base: string,
  path: string,
  query: Record<string, string | undefined> = {},
): string {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${path}`;
  for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

/**
 * Reads a Prometheus-compatible API (Prometheus, VictoriaMetrics) or Alertmanager's through the
 * server's outbound client, so the address policy (OUTBOUND_ALLOW) applies to every call.
 * Errors name what failed without echoing the peer's whole answer.
 */
export class PeerClient {
  constructor(
    private readonly net: Outbound,
    private readonly e: Endpoint,
  ) {}

  private async get<T>(
    path: string,
    query: Record<string, string | undefined> = {},
    unwrap = true,
  ): Promise<PeerAnswer<T>> {
    const answer = await this.net.get(endpointUrl(this.e.url, path, query), authHeaders(this.e), {
      maxAnswerBytes: MAX_ANSWER_BYTES,
      tls: {
        ...(this.e.tls.ca ? { ca: this.e.tls.ca } : {}),
        ...(this.e.tls.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
        ...(this.e.tls.serverName ? { servername: this.e.tls.serverName } : {}),
      },
    });
    if ('error' in answer) return { ok: false, status: 0, error: answer.error, ms: answer.ms };
    if (answer.text.length >= MAX_ANSWER_BYTES)
      return {
        ok: false,
        status: answer.status,
        error: 'the answer is larger than 8 MiB: narrow the query',
        ms: answer.ms,
      };
    let body: { status?: string; data?: T; error?: string; errorType?: string } | T;
    try {
      body = JSON.parse(answer.text);
    } catch {
      const text = answer.status >= 300 ? `: ${answer.text.slice(0, 200).trim()}` : '';
      return {
        ok: false,
        status: answer.status,
        error: `HTTP ${answer.status}, not a JSON answer${text}`,
        ms: answer.ms,
      };
    }
    const envelope = body as { status?: string; data?: T; error?: string; errorType?: string };
    if (answer.status >= 300 || envelope.status === 'error')
      return {
        ok: false,
        status: answer.status,
        error:
          `HTTP ${answer.status}: ${envelope.errorType ? `${envelope.errorType}: ` : ''}${envelope.error ?? 'failed'}`.slice(
            0,
            500,
          ),
        ms: answer.ms,
      };
    return { ok: true, data: unwrap ? (envelope.data as T) : (body as T), ms: answer.ms };
  }

  /** Reachable and who it is: version from build info (Prometheus, VictoriaMetrics) or status (Alertmanager). */
  async check(): Promise<PeerAnswer<{ version: string }>> {
    if (this.e.kind === 'alertmanager') {
      const s = await this.get<{ versionInfo?: { version?: string } }>('/api/v2/status', {}, false);
      return s.ok ? { ...s, data: { version: s.data.versionInfo?.version ?? 'unknown' } } : s;
    }
    const b = await this.get<{ version?: string }>('/api/v1/status/buildinfo');
    if (b.ok) return { ...b, data: { version: b.data.version ?? 'unknown' } };
    // VictoriaMetrics single-node has no buildinfo: a query of `1` proves the API answers.
    const q = await this.get<unknown>('/api/v1/query', { query: '1' });
    return q.ok ? { ...q, data: { version: 'unknown' } } : b;
  }

  labels(match?: string): Promise<PeerAnswer<string[]>> {
    return this.get('/api/v1/labels', { 'match[]': match });
  }

  labelValues(name: string, match?: string): Promise<PeerAnswer<string[]>> {
    return this.get(`/api/v1/label/${encodeURIComponent(name)}/values`, { 'match[]': match });
  }

  query(expr: string, time?: string): Promise<PeerAnswer<QueryResult>> {
    return this.get('/api/v1/query', { query: expr, time });
  }

  queryRange(expr: string, start: string, end: string, step: string): Promise<PeerAnswer<QueryResult>> {
    return this.get('/api/v1/query_range', { query: expr, start, end, step });
  }
}
