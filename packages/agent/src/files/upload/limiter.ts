import { Readable } from 'node:stream';
import { sleep } from '@opsfleet/core';

/**
 * The upload bandwidth cap (`files.bytesPerSecond`), one bucket shared by every upload worker.
 * Bytes are debited before they are sent: the bucket may go into debt, and a sender waits until
 * the debt it made is paid back, so concurrent senders queue in the order they asked.
 */
export interface Bucket {
  tokens: number;
  /** Clock reading (ms) of the last update. */
  at: number;
}

/** Debits `bytes` at `now`; returns the bucket after it and how long the sender waits first. */
export function debit(
  bucket: Bucket,
  bytes: number,
  now: number,
  bytesPerSecond: number,
  burst: number,
): { bucket: Bucket; waitMs: number } {
  const refilled = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * bytesPerSecond);
  const tokens = refilled - bytes;
  return {
    bucket: { tokens, at: now },
    waitMs: tokens >= 0 ? 0 : Math.ceil((-tokens / bytesPerSecond) * 1000),
  };
}

/** Bytes sent per debit: small enough that the rate is smooth within a part. */
export const CHUNK = 64 * 1024;

export class ByteLimiter {
  private bucket: Bucket;
  private readonly burst: number;

  constructor(
    readonly bytesPerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be positive, got ${bytesPerSecond}`);
    // One second of traffic, but at least a chunk so a low cap still lets whole chunks through.
    this.burst = Math.max(bytesPerSecond, CHUNK);
    this.bucket = { tokens: this.burst, at: now() };
  }

  /** Waits until `bytes` may be sent. Aborted while waiting, the bytes are given back. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const { bucket, waitMs } = debit(this.bucket, bytes, this.now(), this.bytesPerSecond, this.burst);
    this.bucket = bucket;
    if (waitMs === 0) return;
    try {
      await this.wait(waitMs, signal);
    } catch (err) {
      this.bucket = { ...this.bucket, tokens: this.bucket.tokens + bytes };
      throw err;
    }
  }
}

/** `body` as a stream that asks the limiter before each chunk; without a limiter, one chunk. */
export function pacedBody(body: Buffer, limiter: ByteLimiter | undefined, signal?: AbortSignal): Readable {
  if (!limiter) return Readable.from([body]);
  return Readable.from(
    (async function* () {
      for (let at = 0; at < body.length; at += CHUNK) {
        const chunk = body.subarray(at, at + CHUNK);
        await limiter.take(chunk.length, signal);
        yield chunk;
      }
    })(),
  );
}
