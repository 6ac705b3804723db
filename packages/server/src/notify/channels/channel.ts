import type { Outbound, OutboundAnswer } from '../../http/outbound.ts';

/**
 * One notification channel kind (email, webhook, DingTalk…). A channel renders nothing: it gets
 * a rendered message and delivers it, and says whether a failure is worth retrying, so the
 * outbox's retry policy lives in the answer and not in a list of error codes elsewhere.
 */
export interface Message {
  /** Short subject line. */
  title: string;
  /** Markdown body (robots); channels that need plain text strip it. */
  markdown: string;
  /** The structured event, for machine receivers (the generic webhook). */
  payload: Record<string, unknown>;
  /** Same key for every attempt of one notification; receivers can drop duplicates with it. */
  idempotencyKey: string;
}

export type Delivery =
  | { ok: true; status?: number; ms: number }
  | { ok: false; retryable: boolean; status?: number; error: string; ms: number };

export interface Channel<Config> {
  readonly kind: string;
  /** The receiver's documented limit per channel (one robot), enforced by the outbox. */
  readonly ratePerMinute?: number;
  /** Problems with a configuration, by field (`url: must be https or http`); empty when usable. */
  check(config: Config): { path: string; message: string }[];
  /** Every connection goes through `net`, which enforces the address policy. */
  send(message: Message, config: Config, net: Outbound): Promise<Delivery>;
}

/** HTTP answers: 5xx and 429 may pass on a later attempt; other 4xx will not. */
export const retryableStatus = (status: number) => status >= 500 || status === 429 || status === 408;

export function checkUrl(value: unknown, path = 'url'): { path: string; message: string }[] {
  try {
    const u = new URL(String(value));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return [];
  } catch {
    return [{ path, message: 'must be an http(s) URL' }];
  }
}

/** POSTs JSON through the server's outbound client; failures come back as answers, never thrown. */
export function postJson(
  net: Outbound,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<OutboundAnswer> {
  return net.post(url, body, { 'content-type': 'application/json', ...headers });
}
