import { createHash } from 'node:crypto';
import type { watch as fsWatch } from 'node:fs';
import { confine, openConfined } from './confine.ts';
import { compileSource, type SourceMatcher } from './match.ts';
import type { SpoolEntry } from './model.ts';
import type { FileSource } from './spec.ts';
import { fileId, type Spool } from './spool.ts';
import { type ReadyFile, SourceWatcher, type Taken, type WatcherStats } from './watcher.ts';

/**
 * The watching half of the file pipeline: one watcher per source, each ready file matched,
 * confined to its root, hashed when the source asks, and added to the spool. While the spool is
 * full, ready files are left on disk (back-pressure, reported as `saturated`); once it has room
 * again every source is walked to take them. `update` applies a reloaded agent.yaml: watchers of
 * sources that changed are restarted, others keep running, the spool is untouched.
 */
export interface WatchPipelineOptions {
  spool: Spool;
  sources: FileSource[];
  maxPending?: number;
  /** How often done entries past their retention are pruned. */
  pruneEveryMs?: number;
  watch?: typeof fsWatch;
  writers?(root: string): Promise<Set<string>>;
  /** A file was taken (the entry is durable in the spool). */
  onTaken?(entry: SpoolEntry): void;
  /** A ready file of `source` was left on disk because the spool is full. */
  onFull?(source: string): void;
}

export interface WatchPipelineStats {
  saturated: boolean;
  /** Ready files refused because their real path is outside the root. */
  outsideRoot: number;
  sources: WatcherStats[];
}

interface Running {
  spec: string;
  watcher: SourceWatcher;
}

const RESUME_CHECK_MS = 1000;

async function sha256(
  source: FileSource,
  relPath: string,
): Promise<{ hash: string; size: number; mtimeMs: number }> {
  const fh = await openConfined(source.path, relPath);
  try {
    const h = createHash('sha256');
    for await (const chunk of fh.createReadStream({ autoClose: false })) h.update(chunk as Buffer);
    const st = await fh.stat();
    return { hash: h.digest('hex'), size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close();
  }
}

export class WatchPipeline {
  private readonly running = new Map<string, Running>();
  private saturated = false;
  private outsideRoot = 0;
  private resumeTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private sources: FileSource[];

  constructor(private readonly opts: WatchPipelineOptions) {
    this.sources = opts.sources;
  }

  start(): void {
    for (const s of this.sources) this.startSource(s);
    this.resumeTimer = setInterval(() => {
      if (this.saturated && !this.opts.spool.full()) {
        this.saturated = false;
        for (const r of this.running.values()) r.watcher.rescanNow();
      }
    }, RESUME_CHECK_MS);
    this.pruneTimer = setInterval(() => {
      try {
        this.opts.spool.prune();
      } catch {
        // A spool that cannot write refuses every change; takes and uploads report that already.
      }
    }, this.opts.pruneEveryMs ?? 3600_000);
  }

  async update(sources: FileSource[]): Promise<void> {
    this.sources = sources;
    const wanted = new Map(sources.map((s) => [s.name, s]));
    for (const [name, r] of this.running) {
      const next = wanted.get(name);
      if (next && JSON.stringify(next) === r.spec) wanted.delete(name);
      else {
        this.running.delete(name);
        await r.watcher.stop();
      }
    }
    for (const s of wanted.values()) this.startSource(s);
  }

  stats(): WatchPipelineStats {
    return {
      saturated: this.saturated,
      outsideRoot: this.outsideRoot,
      sources: [...this.running.values()].map((r) => r.watcher.stats()),
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.resumeTimer);
    clearInterval(this.pruneTimer);
    await Promise.all([...this.running.values()].map((r) => r.watcher.stop()));
    this.running.clear();
    await this.opts.spool.settle();
  }

  private startSource(source: FileSource): void {
    const matcher = compileSource(source);
    const spool = this.opts.spool;
    const watcher = new SourceWatcher({
      source,
      wants: (rel) => matcher.match(rel).taken,
      enters: (rel) => matcher.enters(rel),
      known: (rel, size, mtimeMs) => spool.known(source.name, rel, size, mtimeMs),
      onReady: (file) => this.take(source, matcher, file),
      onWalk: (files, complete) => {
        if (!complete) return;
        const present = new Set(files.map((f) => fileId(source.name, f.relPath, f.size, f.mtimeMs)));
        spool.forgetMissing(source.name, present).catch(() => undefined);
      },
      maxPending: this.opts.maxPending,
      watch: this.opts.watch,
      writers: this.opts.writers,
    });
    this.running.set(source.name, { spec: JSON.stringify(source), watcher });
    watcher.start();
  }

  private async take(source: FileSource, matcher: SourceMatcher, file: ReadyFile): Promise<Taken> {
    const spool = this.opts.spool;
    if (spool.full()) {
      this.saturated = true;
      this.opts.onFull?.(source.name);
      return 'full';
    }
    const m = matcher.match(file.relPath);
    if (!m.taken) return 'skipped';
    const c = await confine(source.path, file.relPath);
    if (!c.ok) {
      if (c.reason === 'outside-root') this.outsideRoot++;
      return 'skipped';
    }
    let hash: string | undefined;
    if (source.hash) {
      const h = await sha256(source, file.relPath);
      if (h.size !== file.size || h.mtimeMs !== file.mtimeMs) return 'changed';
      hash = h.hash;
    }
    const { added, entry } = await spool.add({
      source: source.name,
      relPath: file.relPath,
      size: file.size,
      mtimeMs: file.mtimeMs,
      ...(hash !== undefined ? { hash } : {}),
      destination: m.destination,
      labels: m.labels,
    });
    if (!added) return 'skipped';
    this.opts.onTaken?.(entry!);
    return 'taken';
  }
}
