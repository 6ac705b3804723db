import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { type FileMetrics, fileMetrics } from './metrics.ts';
import type { SpoolEntry } from './model.ts';
import { WatchPipeline } from './pipeline-watch.ts';
import { FileReporter } from './reporter.ts';
import type { FilesSettings } from './spec.ts';
import { Spool } from './spool.ts';
import { ByteLimiter, S3Clients } from './upload/index.ts';
import { UploadWorkers } from './uploads.ts';

export interface FilePipelineLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface FilePipelineOptions {
  settings: FilesSettings;
  dataDir: string;
  /** This agent's name: the `{host}` of object keys. */
  host: string;
  /** Where reports go; without a server the pipeline watches and uploads on its own. */
  server?: { url: string; token: string };
  registry: Registry;
  log: FilePipelineLog;
}

/** Changed or not-yet-finished entries re-reported at start: the server keeps each (file, seq) once. */
const REPORT_AGAIN_MS = 24 * 3600_000;

/**
 * The agent's file pipeline (agent.yaml `files:`): sources watched into the durable spool,
 * upload workers sending what it holds to S3, and reports of every change to the server.
 * A reload changes sources, destinations, workers and the rate cap in place; the spool's folder
 * and size apply at the next start.
 */
export class FilePipeline {
  private settings: FilesSettings;
  private limiter?: ByteLimiter;
  private readonly metrics: FileMetrics;
  private readonly clients = new S3Clients();
  private readonly reporter?: FileReporter;
  private watch!: WatchPipeline;
  private workers!: UploadWorkers;
  private statsTimer?: NodeJS.Timeout;

  private constructor(
    opts: FilePipelineOptions,
    private readonly spool: Spool,
  ) {
    this.settings = opts.settings;
    this.limiter = limiterOf(opts.settings);
    this.metrics = fileMetrics(opts.registry);
    if (opts.server) this.reporter = new FileReporter({ server: opts.server, log: opts.log });
  }

  static async start(opts: FilePipelineOptions): Promise<FilePipeline> {
    const spool = await Spool.open({
      dir: opts.settings.spool ?? join(opts.dataDir, 'files'),
      queueSize: opts.settings.queueSize,
    });
    if (spool.corruptLines)
      opts.log.warn(
        { lines: spool.corruptLines },
        'files: spool lines with a bad checksum were skipped (a torn write)',
      );
    const p = new FilePipeline(opts, spool);
    p.reportRecent();
    p.workers = new UploadWorkers({
      spool,
      settings: () => p.settings,
      host: opts.host,
      clients: p.clients,
      limiter: () => p.limiter,
      metrics: p.metrics,
      onChange: (entry) => p.changed(entry),
      log: opts.log,
    });
    p.watch = new WatchPipeline({
      spool,
      sources: opts.settings.sources,
      onTaken: (entry) => {
        p.metrics.taken.inc({ source: entry.source });
        p.changed(entry);
        p.workers.kick();
      },
      onFull: (source) => p.metrics.saturated.inc({ source }),
    });
    p.metrics.capacity.set(opts.settings.queueSize);
    p.watch.start();
    p.workers.start();
    p.reporter?.start();
    p.statsTimer = setInterval(() => p.refreshGauges(), 5000);
    p.statsTimer.unref();
    p.refreshGauges();
    return p;
  }

  /** A reloaded agent.yaml. */
  async update(settings: FilesSettings): Promise<void> {
    this.settings = settings;
    this.limiter = limiterOf(settings);
    await this.watch.update(settings.sources);
    this.workers.start();
    this.workers.kick();
  }

  counts() {
    return this.spool.counts();
  }

  async close(): Promise<void> {
    clearInterval(this.statsTimer);
    await this.watch.stop();
    await this.workers.close();
    this.clients.close();
    await this.reporter?.flush().catch(() => false);
    await this.reporter?.close();
    await this.spool.close();
  }

  private changed(entry: SpoolEntry): void {
    this.reporter?.report(entry);
  }

  private reportRecent(): void {
    if (!this.reporter) return;
    const since = Date.now() - REPORT_AGAIN_MS;
    for (const entry of this.spool.recent(since)) this.reporter.report(entry);
  }

  private refreshGauges(): void {
    const c = this.spool.counts();
    this.metrics.queued.set(c.queued + c.uploading);
    for (const s of this.watch.stats().sources)
      this.metrics.watchLimited.set({ source: s.source }, s.watchLimited ? 1 : 0);
    this.metrics.reportBacklog.set(this.reporter?.backlog ?? 0);
  }
}

function limiterOf(settings: FilesSettings): ByteLimiter | undefined {
  return settings.bytesPerSecond ? new ByteLimiter(settings.bytesPerSecond) : undefined;
}
