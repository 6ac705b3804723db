import { configSyncHandler } from './config/index.ts';
import { deployRunHandler } from './deploy/index.ts';
import type { CommandHandler } from './handler.ts';
import { pingHandler } from './ping/index.ts';
import {
  serviceRestartHandler,
  serviceStartHandler,
  serviceStatusHandler,
  serviceStopHandler,
} from './service/index.ts';

/** Every kind of command the agent runs; a new kind is one folder and one line here. */
export const HANDLERS: readonly CommandHandler[] = [
  pingHandler,
  serviceStatusHandler,
  serviceStartHandler,
  serviceStopHandler,
  serviceRestartHandler,
  deployRunHandler,
  configSyncHandler,
];
