import { type ErrorClass, retry, TokenBucket } from '@opsfleet/core';
import type { CloudCalls, CloudName } from '../providers/provider.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import type { ApiStats } from './api-stats.ts';
import { RATE_LIMITS } from './rate-limits.ts';

export interface CloudCallsOptions {
  cloud: CloudName;
  accountId: string;
  classify: (err: unknown) => ErrorClass;
  selfMetrics: SelfMetrics;
  apiStats?: ApiStats;
  /** Calls per second per API for this account; defaults to RATE_LIMITS[cloud]. `*` covers unlisted APIs. */
  rateLimits?: Record<string, number>;
  /** Backoff between attempts: base doubles per attempt up to max, with 20% jitter. */
  backoff?: { baseMs: number; maxMs: number };
  signal?: AbortSignal;
}

/**
 * One account's gateway to its cloud: every API call is paced by a token bucket per API,
 * counted by outcome, timed, and retried with exponential backoff where its error class says
 * retrying can help.
 */
export function createCloudCalls(opts: CloudCallsOptions): CloudCalls {
  const limits = opts.rateLimits ?? RATE_LIMITS[opts.cloud];
  const buckets = new Map<string, TokenBucket>();
  const bucketFor = (api: string): TokenBucket | undefined => {
    const rate = limits[api] ?? limits['*'];
    if (!rate) return undefined;
    let bucket = buckets.get(api);
    if (!bucket) {
      // A small burst keeps burst + rate within any one-second window under the cloud's limit.
      bucket = new TokenBucket(rate, Math.max(1, Math.floor(rate / 10)));
      buckets.set(api, bucket);
    }
    return bucket;
  };
  const { baseMs, maxMs } = opts.backoff ?? { baseMs: 200, maxMs: 5000 };
  const m = opts.selfMetrics;
  const cloud = opts.cloud;

  return {
    async call<T>(api: string, fn: () => Promise<T>, callOpts?: { attempts?: number }): Promise<T> {
      return retry(
        async () => {
          await bucketFor(api)?.take(opts.signal);
          const stopTimer = m.requestDuration.startTimer({ cloud_provider: cloud, api });
          try {
            const out = await fn();
            m.requests.inc({ cloud_provider: cloud, api, status: 'success' });
            opts.apiStats?.record(cloud, api, 'success');
            return out;
          } catch (err) {
            const status = opts.classify(err);
            m.requests.inc({ cloud_provider: cloud, api, status });
            opts.apiStats?.record(cloud, api, status);
            if (status === 'limit_error') m.rateLimits.inc({ cloud_provider: cloud, api });
            throw err;
          } finally {
            stopTimer();
          }
        },
        {
          attempts: callOpts?.attempts ?? 3,
          baseMs,
          maxMs,
          jitter: 0.2,
          classify: opts.classify,
          signal: opts.signal,
        },
      );
    },
  };
}
