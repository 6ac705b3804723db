/**
 * The channel form: the configuration is edited as JSON text, starting from an example for the
 * chosen kind; these functions turn the form's values into the API's bodies and back.
 */
import type { Channel, ChannelChange, NewChannel } from './api/notify-types.ts';

/** A starting configuration per channel kind (the fields the server's channel checks read). */
export const CONFIG_EXAMPLES: Record<string, Record<string, unknown>> = {
  webhook: { url: 'http://127.0.0.1:9095/hook', secret: '', headers: {} },
  dingtalk: { url: 'https://oapi.dingtalk.com/robot/send?access_token=...', secret: 'SEC...' },
  wecom: { url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...' },
  feishu: { url: 'https://open.feishu.cn/open-apis/bot/v2/hook/...', secret: '' },
  slack: { url: 'https://hooks.slack.com/services/...' },
  email: {
    host: 'smtp.example.com',
    port: 587,
    secure: false,
    user: '',
    password: '',
    from: 'opsfleet@example.com',
    to: ['oncall@example.com'],
  },
  sms: {
    url: 'https://sms.example.com/send',
    numbers: ['+8613800000000'],
    body: '{"to":"{{number}}","text":"{{text}}"}',
  },
};

/** JSON as the editor shows it. */
export const configText = (config: Record<string, unknown>): string => JSON.stringify(config, null, 2);

/** The example for a kind as editor text; `{}` for a kind without one. */
export const exampleText = (kind: string): string => configText(CONFIG_EXAMPLES[kind] ?? {});

/**
 * The editor's text after the kind changes: the new kind's example when the text is empty or
 * still an untouched example (of any kind); what the user wrote otherwise.
 */
export function configOnKindChange(current: string | undefined, kind: string): string {
  const text = (current ?? '').trim();
  if (text === '' || text === '{}') return exampleText(kind);
  const untouched = Object.keys(CONFIG_EXAMPLES).some((k) => sameJson(text, exampleText(k)));
  return untouched ? exampleText(kind) : (current ?? '');
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

export type ParsedConfig = { config: Record<string, unknown> } | { error: string };

/** Reads the editor's text: it must be one JSON object. */
export function parseConfig(text: string | undefined): ParsedConfig {
  if (!text?.trim()) return { error: 'write the configuration as a JSON object' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `not valid JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { error: 'the configuration must be a JSON object ({ … })' };
  return { config: value as Record<string, unknown> };
}

export interface ChannelFormValues {
  name: string;
  kind: string;
  config: string;
  templateId?: string | null;
}

/** The form's starting values: an existing channel as it came back (secrets masked), or a new one. */
export function channelToForm(channel: Channel | undefined, kinds: string[]): ChannelFormValues {
  if (channel)
    return {
      name: channel.name,
      kind: channel.kind,
      config: configText(channel.config),
      templateId: channel.templateId ?? undefined,
    };
  const kind = kinds.includes('webhook') ? 'webhook' : (kinds[0] ?? 'webhook');
  return { name: '', kind, config: exampleText(kind), templateId: undefined };
}

function configOf(values: ChannelFormValues): Record<string, unknown> {
  const parsed = parseConfig(values.config);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.config;
}

/** The body of `POST /notify/channels`. */
export function newChannelBody(values: ChannelFormValues): NewChannel {
  return {
    name: values.name.trim(),
    kind: values.kind,
    config: configOf(values),
    ...(values.templateId ? { templateId: values.templateId } : {}),
  };
}

/**
 * The body of `PATCH /notify/channels/:id`: the configuration as shown (masked secrets keep the
 * stored ones), and `templateId: null` when the set was cleared.
 */
export function channelChangeBody(values: ChannelFormValues): ChannelChange {
  return { name: values.name.trim(), config: configOf(values), templateId: values.templateId || null };
}
