import { createHash } from 'node:crypto';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError } from '@opsfleet/core';
import { type LoadedConfig, loadAgentConfig } from './load.ts';

type Env = Record<string, string | undefined>;

export interface ConfigWatcher {
  close(): void;
  /** Text the agent applied and is writing itself: seen in the file, it is not applied again. */
  applied(text: string): void;
}

/**
 * Hot reload: watches agent.yaml (through its folder, so editors that replace the file are
 * seen) and hands over each new valid configuration. An invalid one is reported and not
 * applied: the agent keeps running what it has. Saves that do not change the text are ignored.
 */
export function watchConfig(
  path: string,
  handlers: { onChange(loaded: LoadedConfig): void; onInvalid(err: ConfigError): void },
  opts: { env?: Env; debounceMs?: number } = {},
): ConfigWatcher {
  const hash = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
  const digest = () => {
    try {
      return hash(readFileSync(path));
    } catch {
      return '';
    }
  };
  let last = digest();
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    const now = digest();
    if (!now || now === last) return;
    last = now;
    try {
      handlers.onChange(loadAgentConfig(path, opts.env));
    } catch (err) {
      if (err instanceof ConfigError) handlers.onInvalid(err);
      else throw err;
    }
  };
  const watcher: FSWatcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== basename(path)) return;
    clearTimeout(timer);
    timer = setTimeout(reload, opts.debounceMs ?? 250);
  });
  return {
    close: () => {
      clearTimeout(timer);
      watcher.close();
    },
    applied: (text) => {
      last = hash(text);
    },
  };
}
