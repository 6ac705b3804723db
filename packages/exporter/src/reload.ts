import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError, type ConfigProblem } from '@opsfleet/core';
import type { Logger } from 'pino';
import type { ExporterConfig } from './config/load.ts';

export type ReloadResult = { ok: true } | { ok: false; problems: ConfigProblem[] };

/**
 * Re-reads server.yaml and accounts.yaml when they change on disk (or on request) and applies
 * the result. An invalid file never replaces the running configuration: every problem is
 * logged and returned. Directories are watched rather than files so editors that replace a
 * file and Kubernetes ConfigMap symlink swaps are both seen.
 */
export class ConfigReloader {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReloadResult> | undefined;

  constructor(
    private readonly load: () => ExporterConfig,
    private readonly apply: (config: ExporterConfig) => Promise<void>,
    private readonly log: Logger,
    private readonly debounceMs = 300,
  ) {}

  watch(paths: string[]): void {
    const byDir = new Map<string, Set<string>>();
    for (const p of paths) byDir.set(dirname(p), (byDir.get(dirname(p)) ?? new Set()).add(basename(p)));
    for (const [dir, names] of byDir) {
      const watcher = watch(dir, (_event, file) => {
        if (!file || names.has(String(file)) || String(file) === '..data') this.schedule();
      });
      watcher.on('error', (err) => this.log.warn({ dir, err: err.message }, 'config watch failed'));
      this.watchers.push(watcher);
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.debounceMs);
  }

  /** Loads and applies the files now; concurrent calls share one reload. */
  reload(): Promise<ReloadResult> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<ReloadResult> {
    let next: ExporterConfig;
    try {
      next = this.load();
    } catch (err) {
      // Whatever stops the files from loading keeps the running configuration; a reload started
      // by a file watcher has no caller to throw to, and an exception there ends the process.
      const problems =
        err instanceof ConfigError
          ? err.problems
          : [{ path: '(reload)', message: `could not be loaded: ${(err as Error).message}` }];
      for (const p of problems) this.log.error({ path: p.path }, `config not reloaded: ${p.message}`);
      return { ok: false, problems };
    }
    await this.apply(next);
    this.log.info({ accounts: next.accounts.length }, 'configuration reloaded');
    return { ok: true };
  }

  stop(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
