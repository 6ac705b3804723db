type Handler = () => Promise<void> | void;

/** What shutdown logs through; a pino Logger fits. */
export interface ShutdownLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ShutdownOptions {
  /** How long draining may take before the process exits 1 anyway (default 10 s). */
  timeoutMs?: number;
  log?: ShutdownLog;
  /** Signals that start the shutdown (default SIGTERM and SIGINT). */
  signals?: readonly NodeJS.Signals[];
  /** Replaces process.exit (tests). */
  exit?: (code: number) => void;
}

const handlers: Handler[] = [];
const installed = new Set<NodeJS.Signals>();
/** The latest options given win, so a part registering later can tighten the timeout. */
const settings: Omit<ShutdownOptions, 'signals'> = {};
let running: Promise<void> | undefined;
/** The first signal and when it came; see onSignal for why a quick repeat of it is not a second. */
let first: { signal: NodeJS.Signals; at: number } | undefined;
/**
 * One signal is often delivered twice at once: coreutils `timeout` sends it to the process and
 * then to its process group, a supervisor may signal the group and the main process. A repeat of
 * the same signal within this long is that, not an operator insisting.
 */
const SAME_DELIVERY_MS = 1000;

/**
 * Runs the registered handlers once, newest first (what started last stops first), without
 * exiting; a handler that throws is logged and the others still run. Later calls return the
 * same promise.
 */
export function shutdownNow(log: Pick<ShutdownLog, 'error'> | undefined = settings.log): Promise<void> {
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

function onSignal(signal: NodeJS.Signals): void {
  let exited = false;
  const exitOnce = settings.exit ?? ((code: number) => process.exit(code));
  const exit = (code: number) => {
    if (!exited) exitOnce(code);
    exited = true;
  };
  const log = settings.log;
  if (first) {
    if (first.signal === signal && Date.now() - first.at < SAME_DELIVERY_MS) return;
    // A second signal while draining: the operator insists.
    log?.error({ signal }, 'second signal while shutting down, exiting now');
    exit(1);
    return;
  }
  first = { signal, at: Date.now() };
  const timeoutMs = settings.timeoutMs ?? 10_000;
  log?.info({ signal }, 'shutting down');
  // Not unref'd: a handler waiting on something that holds no handle must not let the
  // process slip out with 0 before the deadline.
  const timer = setTimeout(() => {
    log?.error({ timeout_ms: timeoutMs }, 'shutdown took too long, exiting');
    exit(1);
  }, timeoutMs);
  void shutdownNow(log).then(() => {
    clearTimeout(timer);
    exit(0);
  });
}

/**
 * Registers a handler for SIGTERM/SIGINT (or `signals`): on the first signal the handlers run
 * newest first, once, and the process exits 0, or 1 when they take longer than `timeoutMs`.
 * Returns a function that unregisters the handler.
 */
export function onShutdown(handler: Handler, opts: ShutdownOptions = {}): () => void {
  handlers.push(handler);
  const { signals = ['SIGTERM', 'SIGINT'], ...rest } = opts;
  Object.assign(settings, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
  for (const signal of signals) {
    if (installed.has(signal)) continue;
    installed.add(signal);
    process.on(signal, onSignal);
  }
  return () => {
    const i = handlers.lastIndexOf(handler);
    if (i >= 0) handlers.splice(i, 1);
  };
}
