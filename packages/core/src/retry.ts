import { type ErrorClass, isRetryable } from './errors.ts';

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts: number;
  /** Delay before the second attempt; doubles each time. */
  baseMs: number;
  maxMs: number;
  /** 0..1: the fraction of each delay that is randomised (full jitter at 1). */
  jitter?: number;
  classify: (err: unknown) => ErrorClass;
  /** Which classes to retry; defaults to `isRetryable`. */
  retryOn?: (errorClass: ErrorClass) => boolean;
  onRetry?: (err: unknown, errorClass: ErrorClass, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Delay before attempt `attempt + 1` (attempt counts from 1): base × 2^(attempt-1), capped, with jitter. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  jitter = 0,
  random = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return raw - raw * jitter * random();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` until it succeeds, the error class is not retryable, or attempts run out; rethrows the last error. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const retryOn = opts.retryOn ?? isRetryable;
  const wait = opts.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const errorClass = opts.classify(err);
      if (attempt >= opts.attempts || !retryOn(errorClass) || opts.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, opts.baseMs, opts.maxMs, opts.jitter ?? 0, opts.random);
      opts.onRetry?.(err, errorClass, attempt, delay);
      await wait(delay, opts.signal);
    }
  }
}
