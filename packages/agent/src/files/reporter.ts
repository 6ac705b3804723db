import { pause, ServerApi, ServerCallError } from '../server-api.ts';
import type { FileReport, SpoolEntry } from './model.ts';

/** The server takes at most this many reports a call. */
export const REPORT_BATCH = 500;

const STATE: Record<SpoolEntry['state'], FileReport['state']> = {
  queued: 'detected',
  uploading: 'uploading',
  uploaded: 'uploaded',
  failed: 'failed',
};

/** What the server is told of a spool entry: its newest state, numbered by the entry's seq. */
export function reportOf(entry: SpoolEntry): FileReport {
  const uploaded = entry.object?.size ?? entry.progress?.parts.reduce((sum, p) => sum + p.size, 0);
  return {
    id: entry.id,
    source: entry.source,
    path: entry.relPath,
    size: entry.size,
    mtime: new Date(entry.mtimeMs).toISOString(),
    ...(entry.hash ? { hash: entry.hash } : {}),
    labels: entry.labels,
    state: STATE[entry.state],
    seq: entry.seq,
    at: entry.updatedAt,
    detectedAt: entry.detectedAt,
    ...(uploaded ? { bytesUploaded: uploaded } : {}),
    ...(entry.state === 'failed' && entry.lastError ? { error: entry.lastError } : {}),
    ...(entry.object ? { object: entry.object } : {}),
  };
}

/**
 * Keeps the newest report of each file until the server has it. A file that changes again
 * before a send replaces its older report (the server keeps the highest seq anyway), so a
 * server that is down for hours costs one report per file, not one per change.
 */
export class ReportQueue {
  private readonly pending = new Map<string, FileReport>();

  add(report: FileReport): void {
    const old = this.pending.get(report.id);
    if (!old || old.seq < report.seq) this.pending.set(report.id, report);
  }

  get size(): number {
    return this.pending.size;
  }

  /** The oldest-queued reports, at most `n`. */
  take(n: number): FileReport[] {
    return [...this.pending.values()].slice(0, n);
  }

  /** The server has these; a newer report of the same file that arrived meanwhile stays. */
  done(sent: FileReport[]): void {
    for (const r of sent) if (this.pending.get(r.id)?.seq === r.seq) this.pending.delete(r.id);
  }
}

export interface ReporterLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Sends the file pipeline's reports to the server in batches, every `interval` and whenever a
 * batch is full; while the server is down it keeps them and says so once.
 */
export class FileReporter {
  private readonly queue = new ReportQueue();
  private readonly client: ServerApi;
  private readonly stop = new AbortController();
  private wake?: () => void;
  private loop?: Promise<void>;
  private failing?: string;

  constructor(
    private readonly opts: {
      server: { url: string; token: string };
      interval?: number;
      log: ReporterLog;
    },
  ) {
    this.client = new ServerApi(opts.server.url, opts.server.token);
  }

  get backlog(): number {
    return this.queue.size;
  }

  report(entry: SpoolEntry): void {
    this.queue.add(reportOf(entry));
    if (this.queue.size >= REPORT_BATCH) this.wake?.();
  }

  start(): this {
    this.loop = (async () => {
      while (!this.stop.signal.aborted) {
        await this.flush();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void pause(this.opts.interval ?? 2000, this.stop.signal).then(resolve);
        });
      }
    })();
    return this;
  }

  /** Sends what is queued; false when the server did not take it (kept for the next try). */
  async flush(): Promise<boolean> {
    while (this.queue.size) {
      const batch = this.queue.take(REPORT_BATCH);
      try {
        await this.send(batch);
      } catch (err) {
        const why = (err as Error).message;
        if (this.failing !== why)
          this.opts.log.warn(
            { err: why, backlog: this.queue.size },
            'files: the server did not take the reports; kept',
          );
        this.failing = why;
        return false;
      }
      if (this.failing) this.opts.log.info({}, 'files: the server takes reports again');
      this.failing = undefined;
      this.queue.done(batch);
    }
    return true;
  }

  /**
   * A batch the server refuses as invalid (400) is sent again one report at a time, and only the
   * reports it refuses are dropped (logged), so one bad report never holds back the others.
   */
  private async send(batch: FileReport[]): Promise<void> {
    const post = (events: FileReport[]) =>
      this.client.call('POST', '/api/v1/agent/files/events', { events }, this.stop.signal);
    try {
      await post(batch);
    } catch (err) {
      if (!(err instanceof ServerCallError && err.status === 400)) throw err;
      for (const report of batch)
        await post([report]).catch((one: unknown) => {
          if (!(one instanceof ServerCallError && one.status === 400)) throw one;
          this.opts.log.warn(
            { file: `${report.source}:${report.path}`, seq: report.seq, err: one.message },
            'files: the server refused a report; dropped',
          );
        });
    }
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.wake?.();
    await this.loop;
  }
}
