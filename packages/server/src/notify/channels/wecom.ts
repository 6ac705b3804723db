import type { Channel } from './channel.ts';
import { checkUrl } from './channel.ts';
import { sendToRobot } from './robot.ts';

export interface WeComConfig {
  /** `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…` */
  url: string;
  /** `markdown` (default) or `text` (which can @mention by user id or mobile). */
  format?: 'markdown' | 'text';
  mentionedList?: string[];
  mentionedMobileList?: string[];
}

// 45009: API frequency limit (20 a minute per robot); -1: system busy.
const RETRYABLE = [45009, -1];
const MARKDOWN_LIMIT = 4096;
const TEXT_LIMIT = 2048;

/** Cuts UTF-8 text to a byte budget without splitting a character. */
export function fitBytes(text: string, limit: number): string {
  if (Buffer.byteLength(text) <= limit) return text;
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(`${out}${ch}…`) > limit) break;
    out += ch;
  }
  return `${out}…`;
}

/** WeCom group robot: markdown (≤ 4096 bytes) or text with mentions (≤ 2048 bytes). */
export const wecom: Channel<WeComConfig> = {
  kind: 'wecom',
  ratePerMinute: 20,
  check: (c) => checkUrl(c.url),
  send(message, config, net) {
    const body =
      config.format === 'text'
        ? {
            msgtype: 'text',
            text: {
              content: fitBytes(`${message.title}\n${message.markdown}`, TEXT_LIMIT),
              mentioned_list: config.mentionedList ?? [],
              mentioned_mobile_list: config.mentionedMobileList ?? [],
            },
          }
        : { msgtype: 'markdown', markdown: { content: fitBytes(message.markdown, MARKDOWN_LIMIT) } };
    return sendToRobot(net, config.url, body, RETRYABLE);
  },
};
