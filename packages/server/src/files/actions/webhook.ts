import { webhookSignature } from '../../notify/channels/webhook.ts';
import type { FileAction } from './action.ts';

export interface WebhookActionConfig {
  url: string;
  /** Signs each body as notification webhooks do: `X-Opsfleet-Signature: sha256=<HMAC of "<timestamp>.<body>">`. */
  secret?: string;
  headers?: Record<string, string>;
}

const retryableStatus = (status: number) => status >= 500 || status === 429 || status === 408;

/**
 * POSTs the file and its object as JSON, signed like notification webhooks so one receiver
 * verifies both; the idempotency key is the same on every attempt of the task.
 */
export const webhook: FileAction<WebhookActionConfig> = {
  kind: 'webhook',
  secrets: ['secret', 'headers'],
  check(c) {
    const problems: { path: string; message: string }[] = [];
    try {
      const u = new URL(String(c.url));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      problems.push({ path: 'url', message: 'must be an http(s) URL' });
    }
    for (const h of Object.keys(c.headers ?? {}))
      if (!/^[A-Za-z0-9-]+$/.test(h))
        problems.push({ path: `headers.${h}`, message: 'header names are letters, digits and -' });
    return problems;
  },
  async run(run, c) {
    const { object, ...file } = run.file;
    const body = JSON.stringify({ type: 'file.uploaded', attempt: run.attempt, file, object });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const a = await run.net.call(
      'POST',
      c.url,
      body,
      {
        ...c.headers,
        'content-type': 'application/json',
        'x-opsfleet-idempotency-key': run.idempotencyKey,
        'x-opsfleet-timestamp': timestamp,
        ...(c.secret ? { 'x-opsfleet-signature': webhookSignature(c.secret, timestamp, body) } : {}),
      },
      { signal: run.signal },
    );
    if ('error' in a) return { ok: false, retryable: !a.refused, error: a.error, cause: 'connection' };
    run.output(`POST ${new URL(c.url).origin}: HTTP ${a.status}\n`);
    if (a.status >= 200 && a.status < 300) return { ok: true, result: { status: a.status } };
    return {
      ok: false,
      retryable: retryableStatus(a.status),
      error: `HTTP ${a.status}`,
      cause: retryableStatus(a.status) ? 'receiver_unavailable' : 'refused',
      result: { status: a.status },
    };
  },
};
