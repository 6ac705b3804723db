/** React glue for the session, the clock and loading data. */
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { currentSession, errorText, onSessionChange, type Session } from './api/client.ts';

export function useSession(): Session | null {
  return useSyncExternalStore(onSessionChange, currentSession);
}

// One clock for every relative time on the page, ticking every 15 s while anyone shows one.
const clockListeners = new Set<() => void>();
let clockNow = Date.now();
let clockTimer: ReturnType<typeof setInterval> | undefined;

function subscribeClock(listener: () => void): () => void {
  clockListeners.add(listener);
  clockTimer ??= setInterval(() => {
    clockNow = Date.now();
    for (const l of clockListeners) l();
  }, 15_000);
  return () => {
    clockListeners.delete(listener);
    if (clockListeners.size === 0) {
      clearInterval(clockTimer);
      clockTimer = undefined;
    }
  };
}

/** Now, to within 15 s: re-renders the caller as time passes. */
export function useNow(): number {
  return useSyncExternalStore(subscribeClock, () => clockNow);
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` when it changes (wrap it in `useCallback` with its inputs) and on `reload()`;
 * an answer that arrives after a newer request started is dropped.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick is how reload() asks again
  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    load(abort.signal)
      .then((value) => {
        if (abort.signal.aborted) return;
        setData(value);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(errorText(err));
      })
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [load, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/**
 * Calls `reload` every `everyMs` while on and while the tab is visible (a hidden tab asks
 * nothing of the server); the state is for a `RefreshControls` switch.
 */
export function useAutoRefresh(reload: () => void, everyMs: number, initiallyOn: boolean) {
  const [auto, setAuto] = useState(initiallyOn);
  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(() => {
      if (!document.hidden) reload();
    }, everyMs);
    return () => clearInterval(timer);
  }, [auto, reload, everyMs]);
  return [auto, setAuto] as const;
}
