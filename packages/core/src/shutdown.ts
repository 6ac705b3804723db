import type { Logger } from 'pino';

type Handler = () => Promise<void> | void;

const handlers: Handler[] = [];
let installed = false;
type Options = { timeoutMs?: number; log?: Pick<Logger, 'info' | 'error'>; exit?: (code: number) => void };
/** The latest options given win, so a part registering later can tighten the timeout. */
const settings: Options = {};
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
export function onShutdown(handler: Handler, opts: Options = {}): void {
  handlers.push(handler);
  Object.assign(settings, Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
  if (installed) return;
  installed = true;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const exit = settings.exit ?? ((code: number) => process.exit(code));
      const timeoutMs = settings.timeoutMs ?? 10_000;
      const log = settings.log;
      log?.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        log?.error({ timeout_ms: timeoutMs }, 'shutdown took too long, exiting');
        exit(1);
      }, timeoutMs);
      timer.unref();
      void shutdownNow(log).then(() => {
        clearTimeout(timer);
        exit(0);
      });
    });
  }
}
