import type { Channel, Delivery } from './channel.ts';
import { checkUrl, postJson, retryableStatus } from './channel.ts';

export interface SlackConfig {
  /** An incoming webhook URL, `https://hooks.slack.com/services/…`. */
  url: string;
}

/** Slack's mrkdwn: bold is `*x*`, headings do not exist. */
export function toMrkdwn(markdown: string): string {
  return markdown.replace(/^#{1,6}\s*(.+)$/gm, '*$1*').replace(/\*\*(.+?)\*\*/g, '*$1*');
}

/** Slack incoming webhook: a text fallback and one mrkdwn section; answers `ok` or an error word. */
export const slack: Channel<SlackConfig> = {
  kind: 'slack',
  ratePerMinute: 60,
  check: (c) => checkUrl(c.url),
  async send(message, config, net): Promise<Delivery> {
    const body = {
      text: message.title,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: toMrkdwn(message.markdown).slice(0, 3000) } },
      ],
    };
    const r = await postJson(net, config.url, JSON.stringify(body), {});
    if ('error' in r) return { ok: false, retryable: !r.refused, error: r.error, ms: r.ms };
    if (r.status === 200) return { ok: true, status: 200, ms: r.ms };
    return {
      ok: false,
      retryable: retryableStatus(r.status),
      status: r.status,
      error: `HTTP ${r.status}`,
      ms: r.ms,
    };
  },
};
