import { createHmac } from 'node:crypto';
import type { Channel } from './channel.ts';
import { checkUrl } from './channel.ts';
import { sendToRobot } from './robot.ts';

export interface DingTalkConfig {
  /** `https://oapi.dingtalk.com/robot/send?access_token=…` */
  url: string;
  /** The robot's "加签" secret (`SEC…`); the request is then signed. */
  secret?: string;
  atMobiles?: string[];
  atAll?: boolean;
}

/** `sign` = URL-encoded Base64 HMAC-SHA256 of `<timestamp ms>\n<secret>`, keyed by the secret. */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return encodeURIComponent(
    createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64'),
  );
}

// 130101: sending too fast (20 a minute per robot); -1: system busy.
const RETRYABLE = [130101, -1];

/** DingTalk custom robot: markdown with @mentions, signed when the robot has a secret. */
export const dingtalk: Channel<DingTalkConfig> = {
  kind: 'dingtalk',
  ratePerMinute: 20,
  check: (c) => [
    ...checkUrl(c.url),
    ...(c.secret !== undefined && !c.secret.startsWith('SEC')
      ? [{ path: 'secret', message: 'a DingTalk signing secret starts with SEC' }]
      : []),
  ],
  send(message, config, net) {
    const url = new URL(config.url);
    if (config.secret) {
      const ts = Date.now();
      url.searchParams.set('timestamp', String(ts));
      // Already URL-encoded, as the robot expects it: appended by hand, not re-encoded.
      return sendToRobot(
        net,
        `${url.toString()}&sign=${dingtalkSign(config.secret, ts)}`,
        body(message, config),
        RETRYABLE,
      );
    }
    return sendToRobot(net, url.toString(), body(message, config), RETRYABLE);
  },
};

function body(message: { title: string; markdown: string }, config: DingTalkConfig) {
  const mentions = (config.atMobiles ?? []).map((m) => `@${m}`).join(' ');
  return {
    msgtype: 'markdown',
    markdown: {
      title: message.title,
      text: mentions ? `${message.markdown}\n\n${mentions}` : message.markdown,
    },
    at: { atMobiles: config.atMobiles ?? [], isAtAll: config.atAll ?? false },
  };
}
