import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { webhookSignature } from './channels/webhook.ts';

/**
 * A webhook receiver the way a careful one is written: it checks the signature, and drops a
 * notification whose idempotency key it has seen (at-least-once delivery means a retry after a
 * crash may repeat one). The demo logs what arrives; tests and the benchmark count it.
 */
export interface Received {
  key: string;
  at: number;
  body: Record<string, unknown>;
}

export interface ReceiverOptions {
  port?: number;
  /** Verifies `x-opsfleet-signature` when set; a bad signature gets 401. */
  secret?: string;
  /** The answer to give (default 200); `attempt` counts this key's requests, this one included. */
  status?: (req: { key: string; attempt: number; body: Record<string, unknown> }) => number | Promise<number>;
  /** Each new notification, once per idempotency key. */
  onNotification?: (n: Received) => void;
}

export interface Receiver {
  url: string;
  /** New notifications, in arrival order. */
  accepted: Received[];
  /** Every request that carried a notification, repeats included. */
  requests: number;
  /** Repeats dropped by idempotency key. */
  duplicates: number;
  close(): Promise<void>;
}

export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const seen = new Set<string>();
  const tries = new Map<string, number>();
  const r: Omit<Receiver, 'url' | 'close'> = { accepted: [], requests: 0, duplicates: 0 };
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end('POST a notification here\n');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Whatever arrives (a curl, a scanner), the receiver answers and goes on.
      receive(Buffer.concat(chunks).toString('utf8'), req.headers).then(
        ([status, text]) => res.writeHead(status, { 'content-type': 'application/json' }).end(text),
        (err) => res.writeHead(500).end(`receiver failed: ${(err as Error).message}\n`),
      );
    });
  });
  const receive = async (raw: string, headers: IncomingHttpHeaders): Promise<[number, string]> => {
    const key = String(headers['x-opsfleet-idempotency-key'] ?? '');
    if (opts.secret) {
      const expected = Buffer.from(
        webhookSignature(opts.secret, String(headers['x-opsfleet-timestamp']), raw),
      );
      const got = Buffer.from(String(headers['x-opsfleet-signature'] ?? ''));
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) return [401, '"bad signature"'];
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return [400, '"the body is not JSON: POST a notification"'];
    }
    // Robot channels send no idempotency key: their messages are told apart by nothing.
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return [400, '"not a notification: POST a JSON object"'];
    r.requests += 1;
    const attempt = (tries.get(key) ?? 0) + 1;
    tries.set(key, attempt);
    const notification = body as Record<string, unknown>;
    const status = (await opts.status?.({ key, attempt, body: notification })) ?? 200;
    if (status < 200 || status >= 300) return [status, '"refused"'];
    if (seen.has(key)) r.duplicates += 1;
    else {
      seen.add(key);
      const n = { key, at: Date.now(), body: notification };
      r.accepted.push(n);
      opts.onNotification?.(n);
    }
    // Answered the way chat robots answer, so robot channels can point here as well.
    return [200, '{"errcode":0,"errmsg":"ok"}'];
  };
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as Receiver;
}
