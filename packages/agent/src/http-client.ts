import { type IncomingHttpHeaders, request as plainRequest } from 'node:http';
import { request as tlsRequest } from 'node:https';

/**
 * The agent's one HTTP client: health checks, alert reports, registration and remote write.
 * node:http rather than fetch, because fetch's parser (undici's llhttp, compiled from
 * WebAssembly) costs an idle agent about 10 MiB, and the agent's unit runs Node with
 * `--lite-mode`, where WebAssembly does not exist. A fresh connection per request: nothing is
 * sent more often than every few seconds, and a health check must test a new connection.
 */
export interface HttpAnswer {
  status: number;
  reason: string;
  headers: IncomingHttpHeaders;
  /** The body, or its first `maxBody` bytes. */
  body: Buffer;
  /** Body bytes received; more than `body` holds when the body passed `maxBody`. */
  bodyBytes: number;
  /** 2xx. */
  ok: boolean;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Aborts connecting, sending and reading; the promise then rejects. */
  signal?: AbortSignal;
  /**
   * Bytes of body kept (default 1 MiB). Past it the connection is dropped and the answer is
   * what came so far: a streaming endpoint never ends.
   */
  maxBody?: number;
}

export function httpRequest(url: string, opts: HttpRequest = {}): Promise<HttpAnswer> {
  const maxBody = opts.maxBody ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? tlsRequest : plainRequest;
    const headers = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = send(
      url,
      {
        method: opts.method ?? 'GET',
        headers,
        agent: false,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let bodyBytes = 0;
        let answered = false;
        const done = () => {
          if (answered) return;
          answered = true;
          res.destroy();
          const status = res.statusCode ?? 0;
          resolve({
            status,
            reason: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
            bodyBytes,
            ok: status >= 200 && status < 300,
          });
        };
        res.on('data', (chunk: Buffer) => {
          bodyBytes += chunk.length;
          const room = maxBody - kept;
          if (room > 0) {
            const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
            chunks.push(part);
            kept += part.length;
          }
          if (bodyBytes > maxBody) done();
        });
        res.on('end', done);
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
