import type { FileAction } from './action.ts';
import { jenkins } from './jenkins/index.ts';
import { nats } from './nats.ts';
import { rabbitmq } from './rabbitmq.ts';
import { script } from './script.ts';
import { webhook } from './webhook.ts';

/** Every action kind the server can run on a file. */
// biome-ignore lint/suspicious/noExplicitAny: each kind has its own config type
export const ACTIONS: FileAction<any>[] = [jenkins, webhook, nats, rabbitmq, script];

// biome-ignore lint/suspicious/noExplicitAny: each kind has its own config type
export const actionKind = (kind: string): FileAction<any> | undefined => ACTIONS.find((a) => a.kind === kind);
