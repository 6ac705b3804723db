import { sleep } from './retry.ts';

/**
 * Token bucket: `ratePerSec` tokens refill continuously up to `burst`. `take()` waits until a
 * token is available, so callers queue instead of hitting the cloud's throttling.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ratePerSec: number,
    readonly burst: number = Math.max(1, ratePerSec),
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec))
      throw new RangeError(`TokenBucket rate must be a positive number, got ${ratePerSec}`);
    if (!(burst >= 1)) throw new RangeError(`TokenBucket burst must be at least 1, got ${burst}`);
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token immediately if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Waits for a token; concurrent callers are served in order. A caller whose signal is aborted
   * rejects with its reason at the latest when its turn comes, and never consumes a token.
   */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      signal?.throwIfAborted();
      while (!this.tryTake()) await sleep(Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000), signal);
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
    this.last = now;
  }
}
