import type { Channel, Delivery } from './channel.ts';
import { checkUrl, postJson, retryableStatus } from './channel.ts';

export interface SmsConfig {
  /** The SMS gateway's HTTP endpoint. */
  url: string;
  /** One request per number. */
  phones: string[];
  /**
   * The JSON body with `{{phone}}` and `{{text}}` placeholders, filled JSON-escaped, e.g.
   * `{"to": "{{phone}}", "message": "{{text}}", "sender": "ops"}`.
   */
  bodyTemplate: string;
  headers?: Record<string, string>;
  /** Longer texts are cut (most gateways split or refuse beyond a few segments). */
  maxLength?: number;
}

/** Fills the template; values are escaped as JSON string contents, so they cannot break out. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) =>
    JSON.stringify(values[key] ?? '').slice(1, -1),
  );
}

/** SMS through a configurable HTTP gateway: the title and first line, one POST per number. */
export const sms: Channel<SmsConfig> = {
  kind: 'sms',
  check: (c) => {
    const problems = checkUrl(c.url);
    if (!c.phones?.length) problems.push({ path: 'phones', message: 'list at least one number' });
    try {
      JSON.parse(fillTemplate(c.bodyTemplate ?? '', { phone: '+1', text: 'x' }));
    } catch {
      problems.push({ path: 'bodyTemplate', message: 'must be JSON once {{phone}} and {{text}} are filled' });
    }
    return problems;
  },
  async send(message, config, net): Promise<Delivery> {
    const text = message.title.slice(0, config.maxLength ?? 280);
    let ms = 0;
    for (const phone of config.phones) {
      const r = await postJson(
        net,
        config.url,
        fillTemplate(config.bodyTemplate, { phone, text }),
        config.headers ?? {},
      );
      ms += r.ms;
      if ('error' in r) return { ok: false, retryable: !r.refused, error: `${phone}: ${r.error}`, ms };
      if (r.status < 200 || r.status >= 300)
        return {
          ok: false,
          retryable: retryableStatus(r.status),
          status: r.status,
          error: `${phone}: HTTP ${r.status}`,
          ms,
        };
    }
    return { ok: true, status: 200, ms };
  },
};
