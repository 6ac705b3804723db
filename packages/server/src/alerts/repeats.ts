import { createHash } from 'node:crypto';
import type { InboundAlert } from './ingest.ts';

/**
 * How long a stored batch is remembered. An HA pair of Alertmanagers, a receiver configured
 * twice and a sender's retry deliver the same batch within seconds; later copies are stored
 * again (they then change nothing but the alerts' last_seen).
 */
export const REPEAT_WINDOW_MS = 15_000;
const MAX_REMEMBERED = 50_000;

/**
 * What makes two batches the same delivery: every alert's identity, episode, status, times,
 * annotations and link, in order. Null when the batch is not one to recognise: a generic report
 * without startsAt belongs to whatever episode is open when it is stored, so a copy is not known
 * to say the same.
 */
export function deliveryKey(batch: InboundAlert[]): string | null {
  const h = createHash('sha256');
  for (const a of batch) {
    if (!a.startsAt) return null;
    h.update(
      `${a.source}\0${a.fingerprint}\0${a.status}\0${a.startsAt.getTime()}\0${a.endsAt?.getTime() ?? ''}\0${a.generatorURL ?? ''}\0${JSON.stringify(a.annotations)}\n`,
    );
  }
  return h.digest('base64');
}

/**
 * Batches being stored or stored in the last `REPEAT_WINDOW_MS`, by delivery key. A copy of one
 * waits for the original's commit and is answered from it, so it costs no transaction: it is
 * durable because the original is. If the original fails, the copy is stored on its own.
 * Each server replica remembers its own deliveries; a copy that reaches another replica is
 * stored there and changes nothing (ingestion is idempotent).
 */
export class RecentDeliveries<R> {
  private readonly seen = new Map<string, { at: number; result: Promise<R> }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The original's answer when `key` was delivered moments ago, else undefined. */
  repeatOf(key: string): Promise<R> | undefined {
    const hit = this.seen.get(key);
    if (!hit) return undefined;
    if (this.now() - hit.at > REPEAT_WINDOW_MS) {
      this.seen.delete(key);
      return undefined;
    }
    return hit.result;
  }

  remember(key: string, result: Promise<R>): void {
    const at = this.now();
    this.seen.delete(key);
    this.seen.set(key, { at, result });
    result.catch(() => {
      if (this.seen.get(key)?.result === result) this.seen.delete(key);
    });
    // Oldest first: insertion order is arrival order.
    for (const [k, v] of this.seen) {
      if (at - v.at <= REPEAT_WINDOW_MS && this.seen.size <= MAX_REMEMBERED) break;
      this.seen.delete(k);
    }
  }
}
