import { EventEmitter } from 'node:events';
import { chunk } from '@opsfleet/core';
import type { Database } from '../db/database.ts';

const CHANNEL = 'opsfleet_alerts';
// NOTIFY payloads are limited to 8000 bytes; 100 fingerprints stay well under it.
const PER_NOTIFY = 100;

/**
 * Which alerts changed, for every replica: changes are published with NOTIFY and heard back
 * through LISTEN (our own included), so a live stream on any replica shows what another one
 * ingested.
 */
export class AlertFeed {
  private readonly emitter = new EventEmitter();
  private stop: (() => Promise<void>) | undefined;

  constructor(private readonly database: Database) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.stop = await this.database.listen(CHANNEL, (payload) => {
      try {
        const { fingerprints } = JSON.parse(payload) as { fingerprints: string[] };
        if (Array.isArray(fingerprints)) this.emitter.emit('change', fingerprints);
      } catch {
        // A payload not written by us: nothing to tell subscribers.
      }
    });
  }

  async publish(fingerprints: string[]): Promise<void> {
    for (const part of chunk(fingerprints, PER_NOTIFY))
      await this.database.notify(CHANNEL, JSON.stringify({ fingerprints: part }));
  }

  subscribe(listener: (fingerprints: string[]) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }

  subscribers(): number {
    return this.emitter.listenerCount('change');
  }

  async close(): Promise<void> {
    await this.stop?.();
  }
}
