import { createHmac } from 'node:crypto';
import type { Channel, Delivery } from './channel.ts';
import { checkUrl, postJson, retryableStatus } from './channel.ts';

export interface FeishuConfig {
  /** `https://open.feishu.cn/open-apis/bot/v2/hook/<token>` (Lark: open.larksuite.com). */
  url: string;
  /** The bot's signature secret; the body then carries `timestamp` and `sign`. */
  secret?: string;
}

/** `sign` = Base64 HMAC-SHA256 keyed by `<timestamp s>\n<secret>` over an empty message. */
export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

// 11232: message frequency limited; 9499 and sign errors (19021) will not pass on retry.
const RETRYABLE = [11232];

/** Feishu / Lark custom bot: a post (rich text) message with the title and the body. */
export const feishu: Channel<FeishuConfig> = {
  kind: 'feishu',
  ratePerMinute: 100,
  check: (c) => checkUrl(c.url),
  async send(message, config, net): Promise<Delivery> {
    const ts = Math.floor(Date.now() / 1000);
    const body = {
      ...(config.secret ? { timestamp: String(ts), sign: feishuSign(config.secret, ts) } : {}),
      msg_type: 'post',
      content: {
        post: {
          zh_cn: {
            title: message.title,
            content: message.markdown.split('\n').map((line) => [{ tag: 'text', text: line }]),
          },
        },
      },
    };
    const r = await postJson(net, config.url, JSON.stringify(body), {});
    if ('error' in r) return { ok: false, retryable: !r.refused, error: r.error, ms: r.ms };
    if (r.status !== 200)
      return {
        ok: false,
        retryable: retryableStatus(r.status),
        status: r.status,
        error: `HTTP ${r.status}`,
        ms: r.ms,
      };
    let answer: { code?: number; StatusCode?: number };
    try {
      answer = JSON.parse(r.text || '{}');
    } catch {
      return {
        ok: false,
        retryable: true,
        status: 200,
        error: 'the bot answered something other than JSON',
        ms: r.ms,
      };
    }
    const code = answer.code ?? answer.StatusCode ?? -1;
    if (code === 0) return { ok: true, status: 200, ms: r.ms };
    return {
      ok: false,
      retryable: RETRYABLE.includes(code),
      status: 200,
      error: `code ${Number(code)} (see Feishu's error code table)`,
      ms: r.ms,
    };
  },
};
