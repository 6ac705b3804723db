import { createHmac } from 'node:crypto';
import { type Channel, checkUrl, postJson, retryableStatus } from './channel.ts';

export interface WebhookConfig {
  url: string;
  /** Signs each body: `X-Opsfleet-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
  secret?: string;
  headers?: Record<string, string>;
}

/** Signature the receiver recomputes: HMAC-SHA256 over `<timestamp>.<body>`, hex. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Generic webhook: the event as JSON, signed when a secret is set, with custom headers. */
export const webhook: Channel<WebhookConfig> = {
  kind: 'webhook',
  check: (c) => [
    ...checkUrl(c.url),
    ...Object.keys(c.headers ?? {})
      .filter((h) => !/^[A-Za-z0-9-]+$/.test(h))
      .map((h) => ({ path: `headers.${h}`, message: 'header names are letters, digits and -' })),
  ],
  async send(message, config, net) {
    const body = JSON.stringify(message.payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      ...config.headers,
      'x-opsfleet-idempotency-key': message.idempotencyKey,
      'x-opsfleet-timestamp': timestamp,
      ...(config.secret ? { 'x-opsfleet-signature': webhookSignature(config.secret, timestamp, body) } : {}),
    };
    const r = await postJson(net, config.url, body, headers);
    if ('error' in r) return { ok: false, retryable: !r.refused, error: r.error, ms: r.ms };
    if (r.status >= 200 && r.status < 300) return { ok: true, status: r.status, ms: r.ms };
    return {
      ok: false,
      retryable: retryableStatus(r.status),
      status: r.status,
      error: `HTTP ${r.status}`,
      ms: r.ms,
    };
  },
};
