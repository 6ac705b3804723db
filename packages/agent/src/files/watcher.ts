import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { observe, type QuietTrack } from './quiet.ts';
import type { FileSource } from './spec.ts';
import { openForWriteUnder } from './writers.ts';

/**
 * Finds the complete files of one source. Two ways in, so no file is lost: fs.watch events
 * (recursive; on Linux one inotify watch per folder) for speed, and a full walk at start and
 * every `rescan` for what events missed: a full inotify queue, the agent being down, a folder
 * moved in whole. When fs.watch cannot start or fails (ENOSPC: the inotify watch limit; EMFILE),
 * the watcher keeps going on walks alone, every `rescan` but at least every minute, and says so
 * in its stats with the system's limit. A candidate then goes through the quiet window and the
 * writers check; once ready it is handed to `onReady`. Candidates are bounded (`maxPending`):
 * past it new ones are left on disk for a later walk.
 */
export interface ReadyFile {
  relPath: string;
  size: number;
  mtimeMs: number;
}

/**
 * `full`: the spool has no room, the file stays on disk for a later walk. `changed`: it changed
 * while being read, so it waits a new quiet window. `skipped`: refused for good in this identity.
 */
export type Taken = 'taken' | 'full' | 'changed' | 'skipped';

export interface WatcherStats {
  source: string;
  /** fs.watch is running. */
  watching: boolean;
  /** fs.watch failed: files are found by walks only. */
  watchLimited: boolean;
  lastError?: string;
  /** /proc/sys/fs/inotify/max_user_watches, read when watching failed. */
  maxUserWatches?: number;
  pending: number;
  /** Candidates not tracked because `maxPending` was reached; a later walk finds them. */
  overflow: number;
  taken: number;
  /** Ready files the spool had no room for. */
  deferred: number;
  skipped: number;
  walks: number;
  lastWalkFiles: number;
  lastWalkMs: number;
  errors: number;
}

export interface WatcherOptions {
  source: FileSource;
  /** Whether a file path is wanted at all (match.ts), asked before it costs anything. */
  wants(relPath: string): boolean;
  /** Whether a walk enters a folder. */
  enters(relDir: string): boolean;
  /** This file in this size and mtime is already taken. */
  known(relPath: string, size: number, mtimeMs: number): boolean;
  onReady(file: ReadyFile): Promise<Taken>;
  /** Every file a walk sees, and whether the walk saw the whole tree. */
  onWalk?(files: ReadyFile[], complete: boolean): void;
  /** Real paths below the root that some process has open for writing; default: from /proc. */
  writers?(root: string): Promise<Set<string>>;
  maxPending?: number;
  watch?: typeof fsWatch;
  /** Monotonic clock. */
  now?: () => number;
}

interface Candidate {
  track?: QuietTrack;
  checkAt: number;
}

const LIMITED_RESCAN_MS = 60_000;

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : String(err);
}

export class SourceWatcher {
  private readonly pending = new Map<string, Candidate>();
  /** relPath → `size:mtime` of files refused in that identity, so walks do not reconsider them; bounded like `pending`. */
  private readonly refused = new Map<string, string>();
  private fsw: FSWatcher | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private walkTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private walking: Promise<void> | undefined;
  private walkAgain = false;
  private stopped = true;
  private readonly s: WatcherStats;
  private readonly maxPending: number;
  private readonly now: () => number;
  private readonly writers: (root: string) => Promise<Set<string>>;
  readonly source: FileSource;

  constructor(private readonly opts: WatcherOptions) {
    this.source = opts.source;
    this.maxPending = opts.maxPending ?? 10_000;
    this.now = opts.now ?? (() => performance.now());
    this.writers = opts.writers ?? (async (root) => (await openForWriteUnder(root)).paths);
    this.s = {
      source: opts.source.name,
      watching: false,
      watchLimited: false,
      pending: 0,
      overflow: 0,
      taken: 0,
      deferred: 0,
      skipped: 0,
      walks: 0,
      lastWalkFiles: 0,
      lastWalkMs: 0,
      errors: 0,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tickMs = Math.min(1000, Math.max(50, Math.floor(this.source.quiet / 4)));
    this.tickTimer = setInterval(() => this.tick(), tickMs);
    this.rescanNow();
  }

  stats(): WatcherStats {
    return { ...this.s, pending: this.pending.size };
  }

  private startWatch(): void {
    try {
      const w = (this.opts.watch ?? fsWatch)(
        this.source.path,
        { recursive: this.source.recursive, persistent: false },
        (_event, filename) => this.onEvent(filename),
      );
      w.on('error', (err) => {
        this.watchFailed(err);
        // Events may have been lost between the failure and now.
        this.rescanNow();
      });
      this.fsw = w;
      this.s.watching = true;
      this.s.watchLimited = false;
    } catch (err) {
      this.watchFailed(err);
    }
  }

  private watchFailed(err: unknown): void {
    this.fsw?.close();
    this.fsw = undefined;
    this.s.watching = false;
    this.s.watchLimited = true;
    this.s.lastError = errorText(err);
    this.s.errors++;
    readFile('/proc/sys/fs/inotify/max_user_watches', 'utf8').then(
      (t) => {
        this.s.maxUserWatches = Number(t.trim());
      },
      () => undefined,
    );
  }

  private onEvent(filename: string | Buffer | null): void {
    if (this.stopped) return;
    if (filename === null) {
      // The kernel dropped events (queue overflow): only a walk knows what changed.
      this.rescanNow();
      return;
    }
    const rel = filename.toString();
    if (this.pending.has(rel) || !(this.opts.wants(rel) || this.opts.enters(rel))) return;
    this.track(rel, { checkAt: this.now() });
  }

  private track(rel: string, c: Candidate): boolean {
    if (this.pending.size >= this.maxPending) {
      this.s.overflow++;
      return false;
    }
    this.pending.set(rel, c);
    return true;
  }

  /** Walks now (or right after the walk under way), then every `rescan`; starts fs.watch first if it is not running. */
  rescanNow(): void {
    if (this.stopped) return;
    if (this.walking) {
      this.walkAgain = true;
      return;
    }
    clearTimeout(this.walkTimer);
    // Started (again) before each walk, so what happens during the walk is not missed, and a
    // raised inotify limit is used without a restart.
    if (!this.fsw) this.startWatch();
    this.walking = this.walk('')
      .catch((err) => {
        this.s.errors++;
        this.s.lastError = errorText(err);
      })
      .finally(() => {
        this.walking = undefined;
        if (this.stopped) return;
        if (this.walkAgain) {
          this.walkAgain = false;
          this.rescanNow();
          return;
        }
        const every = this.s.watchLimited
          ? Math.min(this.source.rescan, LIMITED_RESCAN_MS)
          : this.source.rescan;
        this.walkTimer = setTimeout(() => this.rescanNow(), every);
      });
  }

  /** Walks the tree below `start`: every wanted file not already taken becomes a candidate. */
  private async walk(start: string): Promise<void> {
    const t0 = this.now();
    const whole = start === '';
    const seen: ReadyFile[] = [];
    let complete = true;
    const dirs = [start];
    while (dirs.length > 0 && !this.stopped) {
      const rel = dirs.pop()!;
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(join(this.source.path, rel), { withFileTypes: true });
      } catch (err) {
        complete = false;
        this.s.errors++;
        this.s.lastError = `${rel || this.source.path}: ${errorText(err)}`;
        continue;
      }
      for (const d of entries) {
        const child = rel === '' ? d.name : `${rel}/${d.name}`;
        if (d.isDirectory()) {
          if (this.opts.enters(child)) dirs.push(child);
          continue;
        }
        // Symlinks are judged by what they point to; a link to a folder is not entered.
        if (!(d.isFile() || d.isSymbolicLink()) || !this.opts.wants(child)) continue;
        const st = await stat(join(this.source.path, child)).catch(() => undefined);
        if (!st?.isFile()) continue;
        const file = { relPath: child, size: st.size, mtimeMs: st.mtimeMs };
        seen.push(file);
        if (this.pending.has(child) || this.opts.known(child, st.size, st.mtimeMs)) continue;
        if (this.refused.get(child) === `${st.size}:${st.mtimeMs}`) continue;
        const at = this.now();
        const v = observe(undefined, { at, stat: file }, this.source.quiet);
        if (v.kind === 'waiting') this.track(child, { track: v.track, checkAt: v.checkAt });
      }
    }
    if (whole) {
      this.s.walks++;
      this.s.lastWalkFiles = seen.length;
      this.s.lastWalkMs = Math.round(this.now() - t0);
      if (!this.stopped) this.opts.onWalk?.(seen, complete);
    }
  }

  private tick(): void {
    if (this.ticking || this.stopped) return;
    this.ticking = this.checkDue().finally(() => {
      this.ticking = undefined;
    });
  }

  private async checkDue(): Promise<void> {
    const now = this.now();
    const due = [...this.pending].filter(([, c]) => c.checkAt <= now);
    const quiet: { file: ReadyFile; track: QuietTrack }[] = [];
    for (const [rel, c] of due) {
      if (this.stopped) return;
      await this.guard(rel, async () => {
        const q = await this.look(rel, c);
        if (q) quiet.push(q);
      });
    }
    if (quiet.length === 0 || this.stopped) return;
    // One walk of /proc for all the files whose window ended in this tick.
    const writing = await this.writers(this.source.path);
    for (const { file, track } of quiet) {
      if (this.stopped) return;
      await this.guard(file.relPath, async () => {
        const real = await realpath(join(this.source.path, file.relPath)).catch(() => '');
        const at = this.now();
        const v = observe(track, { at, stat: file, openForWrite: writing.has(real) }, this.source.quiet);
        if (v.kind === 'waiting') this.pending.set(file.relPath, { track: v.track, checkAt: v.checkAt });
        else await this.hand(file);
      });
    }
  }

  private async guard(rel: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.pending.delete(rel);
      this.s.errors++;
      this.s.lastError = `${rel}: ${errorText(err)}`;
    }
  }

  /** Looks at a candidate; returns it when its quiet window is over, for the writers check. */
  private async look(rel: string, c: Candidate): Promise<{ file: ReadyFile; track: QuietTrack } | undefined> {
    const abs = join(this.source.path, rel);
    const l = await lstat(abs).catch(() => undefined);
    if (l?.isDirectory()) {
      // A folder appeared (created or moved in whole): events for its files may never come.
      this.pending.delete(rel);
      if (this.opts.enters(rel)) await this.walk(rel);
      return undefined;
    }
    const st = l?.isSymbolicLink() ? await stat(abs).catch(() => undefined) : l;
    if (!st?.isFile() || !this.opts.wants(rel) || this.opts.known(rel, st.size, st.mtimeMs)) {
      this.pending.delete(rel);
      return undefined;
    }
    const file = { relPath: rel, size: st.size, mtimeMs: st.mtimeMs };
    const v = observe(c.track, { at: this.now(), stat: file }, this.source.quiet);
    if (v.kind === 'gone') this.pending.delete(rel);
    else if (v.kind === 'waiting') this.pending.set(rel, { track: v.track, checkAt: v.checkAt });
    else return { file, track: v.track };
    return undefined;
  }

  private async hand(file: ReadyFile): Promise<void> {
    const rel = file.relPath;
    this.pending.delete(rel);
    const taken = await this.opts.onReady(file);
    if (taken === 'taken') this.s.taken++;
    else if (taken === 'full') this.s.deferred++;
    else if (taken === 'changed') this.track(rel, { checkAt: this.now() });
    else {
      this.s.skipped++;
      this.refused.set(rel, `${file.size}:${file.mtimeMs}`);
      if (this.refused.size > this.maxPending) this.refused.delete(this.refused.keys().next().value!);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.tickTimer);
    clearTimeout(this.walkTimer);
    this.fsw?.close();
    this.fsw = undefined;
    this.s.watching = false;
    await Promise.all([this.ticking, this.walking]);
    this.pending.clear();
  }
}
