import type { Logger } from 'pino';
import { loggableError } from '../http/log-error.ts';
import type { Jobs } from '../jobs.ts';
import type { Delivery } from './delivery.ts';
import type { Router } from './router.ts';

/** A later group is left to the tick, or to the timer a pass in between sets. */
const LONGEST_TIMER_MS = 60_000;
/**
 * While alerts keep changing, routing passes follow each other at most this often. A pass is a
 * handful of statements whatever it carries; back to back under a stream of webhooks they were
 * the largest share of the server's database round trips. A notification waits seconds for its
 * group anyway.
 */
const PASS_INTERVAL_MS = 100;

/**
 * Runs routing and delivery. pg-boss jobs drive them once per tick on whichever replica takes
 * the job (retries, and timers another replica set); an alert change on this replica kicks them
 * at once so a notification does not wait for the next tick, and after each pass a timer wakes
 * this replica when the next group is due, so a group interval is not stretched to the next
 * tick. A kick while a pass runs asks for one more pass after it, never two at a time.
 */
export class Notifier {
  private routing?: Promise<void>;
  private routeAgain = false;
  private delivering?: Promise<void>;
  private deliverAgain = false;
  private closed = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly router: Router,
    private readonly delivery: Delivery,
    private readonly log: Logger,
  ) {}

  async start(jobs: Jobs, tickSeconds: number): Promise<void> {
    await jobs.every('notify-route', tickSeconds, () => this.routeNow());
    await jobs.every('notify-deliver', tickSeconds, () => this.deliverNow());
  }

  /** Alerts changed on this replica. */
  kick(): void {
    if (this.closed) return;
    void this.routeNow().catch((err) =>
      this.log.warn({ err: loggableError(err) }, 'notification routing failed'),
    );
  }

  /** The outbox has something new to send (a dead letter retried). */
  wake(): void {
    if (this.closed) return;
    void this.deliverNow().catch((err) =>
      this.log.warn({ err: loggableError(err) }, 'notification delivery failed'),
    );
  }

  routeNow(): Promise<void> {
    if (this.routing) {
      this.routeAgain = true;
      return this.routing;
    }
    this.routing = (async () => {
      try {
        let routed = 0;
        do {
          this.routeAgain = false;
          // One batch, then the flush: under a steady stream of alerts, routing until the queue
          // is empty would keep due groups from sending for as long as the stream lasts.
          routed = await this.router.route();
          for (let r = await this.router.flush(); r.groups > 0; r = await this.router.flush())
            if (r.written) this.wake();
          if ((routed > 0 || this.routeAgain) && !this.closed)
            await new Promise((r) => setTimeout(r, PASS_INTERVAL_MS));
        } while ((routed > 0 || this.routeAgain) && !this.closed);
        await this.scheduleNext();
      } finally {
        this.routing = undefined;
      }
    })();
    return this.routing;
  }

  private async scheduleNext(): Promise<void> {
    const at = await this.router.nextCheck();
    clearTimeout(this.timer);
    if (!at || this.closed) return;
    const delay = Math.min(Math.max(0, at.getTime() - Date.now()), LONGEST_TIMER_MS);
    this.timer = setTimeout(() => this.kick(), delay).unref();
  }

  deliverNow(): Promise<void> {
    if (this.delivering) {
      this.deliverAgain = true;
      return this.delivering;
    }
    this.delivering = (async () => {
      try {
        do {
          this.deliverAgain = false;
          await this.delivery.drain();
        } while (this.deliverAgain && !this.closed);
      } finally {
        this.delivering = undefined;
      }
    })();
    return this.delivering;
  }

  /** Lets running passes finish; sends in flight complete or are retried after their lease. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.allSettled([this.routing, this.delivering]);
  }
}
