import type { FileAction } from './action.ts';
import { jenkins } from './jenkins/index.ts';
import { script } from './script.ts';
import { webhook } from './webhook.ts';

/** Every action kind the server can run on a file. */
// biome-ignore lint/suspicious/noExplicitAny: each kind has its own config type
export const ACTIONS: FileAction<any>[] = [jenkins, webhook, script];

// biome-ignore lint/suspicious/noExplicitAny: each kind has its own config type
export const actionKind = (kind: string): FileAction<any> | undefined => ACTIONS.find((a) => a.kind === kind);
