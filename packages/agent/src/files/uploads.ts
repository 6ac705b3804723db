import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileMetrics } from './metrics.ts';
import type { SpoolEntry } from './model.ts';
import type { FilesSettings } from './spec.ts';
import type { EntryChange, Spool } from './spool.ts';
import { type ByteLimiter, type S3Clients, type UploadError, uploadFile } from './upload/index.ts';

/**
 * A file that could not be uploaded this long after it was taken is failed: a destination down
 * for a day wants a person, and the file stays on disk for a manual retry.
 */
export const GIVE_UP_MS = 24 * 3600_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 10 * 60_000;

export interface Failure {
  retryable: boolean;
  code: string;
  message: string;
}

/**
 * What a failed upload round does to its entry. Each round already retried its calls with
 * back-off (the destination's `attempts`); a round that still failed for a reason worth another
 * try (S3 down, the network, SlowDown) goes back to the queue after 30 s, doubling to 10 min,
 * until GIVE_UP_MS after the file was taken. A refusal (credentials, no bucket, the file
 * changed) fails the file at once.
 */
export function afterFailure(
  entry: SpoolEntry,
  failure: Failure,
  now: number,
): { change: EntryChange; retryAt?: number } {
  const attempts = entry.attempts + 1;
  const lastError = `${failure.code}: ${failure.message}`;
  const expired = now - Date.parse(entry.detectedAt) >= GIVE_UP_MS;
  if (!failure.retryable || expired)
    return {
      change: {
        state: 'failed',
        attempts,
        lastError: expired && failure.retryable ? `gave up after 24 h: ${lastError}` : lastError,
      },
    };
  const wait = Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);
  return { change: { state: 'queued', attempts, lastError }, retryAt: now + wait };
}

export interface UploadWorkersOptions {
  spool: Spool;
  settings: () => FilesSettings;
  host: string;
  clients: S3Clients;
  limiter?: () => ByteLimiter | undefined;
  metrics: FileMetrics;
  /** Hears every change of an entry (reports to the server). */
  onChange(entry: SpoolEntry): void;
  log: { warn(obj: object, msg: string): void };
  now?: () => number;
}

/**
 * `files.workers` loops, each taking the oldest queued (or interrupted) entry that is not being
 * uploaded or waiting for its retry, uploading it and recording the outcome in the spool.
 * Stopping aborts uploads where they are: the spool holds their progress and the next start
 * continues them.
 */
export class UploadWorkers {
  private readonly stop = new AbortController();
  private readonly busy = new Set<string>();
  private readonly retryAt = new Map<string, number>();
  private readonly loops: Promise<void>[] = [];
  private wake: (() => void)[] = [];
  private running = 0;

  constructor(private readonly opts: UploadWorkersOptions) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Starts loops up to `files.workers` (called again after a reload that raised it). */
  start(): void {
    while (this.running < this.opts.settings().workers) {
      const n = this.running++;
      this.loops.push(this.loop(n));
    }
  }

  /** A file was taken, or a worker may have room. */
  kick(): void {
    for (const w of this.wake.splice(0)) w();
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.kick();
    await Promise.all(this.loops);
  }

  private async loop(n: number): Promise<void> {
    while (!this.stop.signal.aborted) {
      // A reload that lowered `workers` ends the loops above it once they are idle.
      if (n >= this.opts.settings().workers) break;
      const entry = this.pick();
      if (!entry) {
        await new Promise<void>((resolve) => {
          this.wake.push(resolve);
          sleep(1000, undefined, { signal: this.stop.signal }).then(resolve, resolve);
        });
        continue;
      }
      this.busy.add(entry.id);
      try {
        await this.upload(entry);
      } finally {
        this.busy.delete(entry.id);
      }
    }
    this.running--;
  }

  private pick(): SpoolEntry | undefined {
    const now = this.now();
    const candidates = this.opts.spool.next(this.busy.size + this.retryAt.size + 1);
    return candidates.find((e) => !this.busy.has(e.id) && (this.retryAt.get(e.id) ?? 0) <= now);
  }

  private async upload(taken: SpoolEntry): Promise<void> {
    const settings = this.opts.settings();
    const source = settings.sources.find((s) => s.name === taken.source);
    const dest = settings.destinations[taken.destination];
    const { spool, metrics } = this.opts;
    if (!source || !dest) {
      const change: EntryChange = {
        state: 'failed',
        lastError: `agent.yaml no longer has ${source ? `the destination ${taken.destination}` : `the source ${taken.source}`}`,
      };
      this.opts.onChange(await spool.update(taken.id, change));
      return;
    }
    let entry = taken.state === 'uploading' ? taken : await spool.update(taken.id, { state: 'uploading' });
    this.opts.onChange(entry);
    const started = performance.now();
    let sent = entry.progress?.parts.reduce((sum, p) => sum + p.size, 0) ?? 0;
    try {
      const object = await uploadFile({
        absPath: join(source.path, entry.relPath),
        entry,
        dest,
        host: this.opts.host,
        signal: this.stop.signal,
        clients: this.opts.clients,
        ...(this.opts.limiter?.() ? { limiter: this.opts.limiter()! } : {}),
        onProgress: async (progress, bytesUploaded) => {
          metrics.uploadBytes.inc({ destination: entry.destination }, Math.max(0, bytesUploaded - sent));
          sent = bytesUploaded;
          entry = await spool.update(entry.id, { progress });
          this.opts.onChange(entry);
        },
      });
      if (!entry.progress) metrics.uploadBytes.inc({ destination: entry.destination }, object.size);
      this.retryAt.delete(entry.id);
      entry = await spool.update(entry.id, { state: 'uploaded', object, progress: undefined });
      metrics.uploads.inc({ destination: entry.destination, result: 'ok' });
      metrics.uploadSeconds.observe({ destination: entry.destination }, (performance.now() - started) / 1000);
      this.opts.onChange(entry);
    } catch (err) {
      if (this.stop.signal.aborted) return;
      const failure = failureOf(err);
      metrics.uploadErrors.inc({ destination: entry.destination, code: failure.code });
      const { change, retryAt } = afterFailure(entry, failure, this.now());
      if (retryAt) this.retryAt.set(entry.id, retryAt);
      else this.retryAt.delete(entry.id);
      entry = await spool.update(entry.id, change);
      metrics.uploads.inc({ destination: entry.destination, result: retryAt ? 'retried' : 'failed' });
      this.opts.log.warn(
        {
          file: `${entry.source}:${entry.relPath}`,
          error: entry.lastError,
          retryInSeconds: retryAt ? Math.round((retryAt - this.now()) / 1000) : undefined,
        },
        retryAt ? 'files: upload failed, will retry' : 'files: upload failed',
      );
      this.opts.onChange(entry);
    }
  }
}

function failureOf(err: unknown): Failure {
  const e = err as Partial<UploadError>;
  if (typeof e.retryable === 'boolean' && typeof e.code === 'string')
    return { retryable: e.retryable, code: e.code, message: (err as Error).message };
  return {
    retryable: true,
    code: (err as NodeJS.ErrnoException).code ?? 'Error',
    message: String((err as Error).message ?? err),
  };
}
