import type { Channel } from './channel.ts';
import { dingtalk } from './dingtalk.ts';
import { email } from './email.ts';
import { feishu } from './feishu.ts';
import { slack } from './slack.ts';
import { sms } from './sms.ts';
import { webhook } from './webhook.ts';
import { wecom } from './wecom.ts';

/** Every channel kind the server can deliver through. */
// biome-ignore lint/suspicious/noExplicitAny: each channel has its own config type
export const CHANNELS: Channel<any>[] = [email, webhook, dingtalk, wecom, feishu, slack, sms];
