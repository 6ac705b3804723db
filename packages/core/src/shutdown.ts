import type { Logger } from 'pino';

type Handler = () => Promise<void> | void;

const handlers: Handler[] = [];
let installed = false;
let running: Promise<void> | undefined;

/** Runs registered handlers once, newest first (what started last stops first). */
export function shutdownNow(log?: Pick<Logger, 'error'>): Promise<void> {
  running ??= (async () => {
    for (const h of [...handlers].reverse()) {
      try {
        await h();
      } catch (err) {
        log?.error({ err: (err as Error).message }, 'shutdown handler failed');
      }
    }
  })();
  return running;
}

/**
 * Registers a handler for SIGTERM/SIGINT: the process drains within `timeoutMs` and exits 0,
 * or exits 1 when draining takes longer.
 */
export function onShutdown(
  handler: Handler,
  opts: { timeoutMs?: number; log?: Pick<Logger, 'info' | 'error'>; exit?: (code: number) => void } = {},
): void {
  handlers.push(handler);
  if (installed) return;
  installed = true;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      opts.log?.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        opts.log?.error({ timeout_ms: timeoutMs }, 'shutdown took too long, exiting');
        exit(1);
      }, timeoutMs);
      timer.unref();
      void shutdownNow(opts.log).then(() => {
        clearTimeout(timer);
        exit(0);
      });
    });
  }
}
