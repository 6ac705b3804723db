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
 * seen) and hands over each new valid configuration. An invalid, empty or unreadable one is
 * reported and not applied: the agent keeps running what it has. Saves that do not change the
 * text are ignored.
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
  let settling = '';
  let timer: NodeJS.Timeout | undefined;
  const debounceMs = opts.debounceMs ?? 250;
  const reload = () => {
    const now = digest();
    if (!now || now === last) return;
    // A writer that pauses mid-file leaves a prefix that may parse: apply only text that has
    // stayed the same for one more debounce period.
    if (now !== settling) {
      settling = now;
      timer = setTimeout(reload, debounceMs);
      return;
    }
    last = now;
    let loaded: LoadedConfig;
    try {
      loaded = loadAgentConfig(path, opts.env);
    } catch (err) {
      // Anything that stops the file from loading (a read error too) leaves the services as they are.
      handlers.onInvalid(
        err instanceof ConfigError
          ? err
          : new ConfigError(path, [{ path, message: `could not be loaded: ${(err as Error).message}` }]),
      );
      return;
    }
    handlers.onChange(loaded);
  };
  const watcher: FSWatcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== basename(path)) return;
    clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
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
