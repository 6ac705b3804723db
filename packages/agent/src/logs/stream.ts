import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { liveFile, logFileName, logPath, rotatingPath, SERVICE_NAME } from './files.ts';
import { type ParseOptions, parseLine } from './line.ts';
import { compileFilter, type LineFilterSpec, type LogLine, LogQueryError, MAX_TAIL } from './query.ts';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, linesBackward, type RawLine } from './reader.ts';

/**
 * `tail -f` for a service log. Follows `<name>.log` from its end (or from its last N lines),
 * woken by fs.watch on the folder and by a poll timer (watch events can be missed, and do not
 * exist on some file systems). Survives rotation:
 * - a rotation (collapse or copy-truncate) shows as a live file shorter than the position
 *   read, or whose bytes just before that position changed. The rotated copies and the live
 *   file, read one after the other (`.k … .1`, live), continue the log the follower was
 *   reading: it finds the `k` for which that sequence holds, at its position, the 1 KiB it
 *   read last, gives out what follows in the copies, and goes on in the live file. Near the
 *   start of the live file those bytes are partly the end of the copy read before, which the
 *   follower holds open: `.1` being another file is then what tells a rotation, and where that
 *   copy has been shifted to gives `k`;
 * - a replaced file (another inode at the path) is read to its end, then the new one from 0.
 * The copies are read as one rotation left them (a rotation in progress is waited for; files are
 * told apart by device and inode). When no copy fits (the copy dropped its head, or was deleted
 * already), reading goes on after the bytes read last where the live file or a copy still holds
 * them, else with the copies made since, whole, then the live file, and `stats.gaps` counts it. A log of identical lines can fool the 1 KiB check: then
 * some of those identical lines may be given out twice or not at all.
 * Lines are given out once complete; a last line without its newline after `partialFlushMs`.
 * Ends without error when `signal` aborts or the consumer stops iterating.
 */

export interface FollowOptions extends LineFilterSpec, ParseOptions {
  signal?: AbortSignal;
  /** Start with the last N matching lines of the live file (default 0: only new lines; at most MAX_TAIL). */
  lines?: number;
  /** Poll even without watch events this often (default 1000 ms). */
  pollInterval?: number;
  /** Use fs.watch as well as polling (default true). */
  watch?: boolean;
  maxLineBytes?: number;
  /** A line still without its newline is given out after this long (default 2000 ms). */
  partialFlushMs?: number;
}

export interface FollowStats {
  /** Rotations followed (truncations and replaced files). */
  rotations: number;
  /** Rotations after which the lines in between could not be found: some may be missing. */
  gaps: number;
  bytesRead: number;
}

const READ_CHUNK = 256 * 1024;
/**
 * The first lines are gathered before they are given out (they are read backwards): bounded, as
 * a query is, so a client asking for a huge tail of a huge log cannot fill the agent's heap.
 */
const FIRST_LINES_MAX_BYTES = 8 * 1024 * 1024;
/**
 * The bytes read last, which a rotated copy must hold for the follower to go on there: long
 * enough to span several lines, as lines that differ only in a counter at their start (most
 * logs) share their last few dozen bytes.
 */
const FP = 1024;
/** How long a follower waits for a rotation in progress to finish (tries × wait). */
const SNAPSHOT_TRIES = 200;
const SNAPSHOT_WAIT_MS = 10;
/** The live file is searched for the last bytes read up to this size. */
const SEARCH_LIMIT = 64 * 1024 * 1024;

interface Copy {
  file: string;
  fh: FileHandle;
  size: number;
  /** Device and inode: a file keeps them when it is renamed. */
  id: string;
}

export function followLog(dir: string, name: string, opts: FollowOptions = {}): LogFollower {
  return new LogFollower(dir, name, opts);
}

export class LogFollower implements AsyncIterable<LogLine> {
  readonly stats: FollowStats = { rotations: 0, gaps: 0, bytesRead: 0 };
  private readonly filter;
  private readonly cap: number;
  private readonly path: string;
  private used = false;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly opts: FollowOptions,
  ) {
    if (!SERVICE_NAME.test(name)) throw new LogQueryError(`'${name}' is not a service name`);
    const n = opts.lines ?? 0;
    if (!Number.isInteger(n) || n < 0 || n > MAX_TAIL)
      throw new LogQueryError(`tail must be a whole number from 0 to ${MAX_TAIL}`);
    this.filter = compileFilter(opts);
    this.cap = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.path = logPath(dir, name);
  }

  private match(raw: RawLine, file: string): LogLine | undefined {
    if (!this.filter.text(raw.text)) return undefined;
    const info = parseLine(raw.text, this.opts);
    if (!this.filter.level(info.level)) return undefined;
    const l: LogLine = { file: raw.file ?? file, offset: raw.start, text: raw.text, level: info.level };
    if (raw.truncated) l.truncated = true;
    if (info.time !== undefined) l.time = info.time;
    return l;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LogLine> {
    if (this.used) throw new Error('a LogFollower can be iterated once');
    this.used = true;
    const signal = this.opts.signal;
    const poll = this.opts.pollInterval ?? 1000;
    const partialFlushMs = this.opts.partialFlushMs ?? 2000;
    const live = liveFile(this.name);

    // Wake-ups: watch events, the poll timer, abort.
    let dirty = false;
    let wake: (() => void) | undefined;
    const kick = () => {
      dirty = true;
      wake?.();
    };
    const onAbort = () => kick();
    signal?.addEventListener('abort', onAbort);
    let watcher: FSWatcher | undefined;
    if (this.opts.watch !== false) {
      try {
        watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
          if (!file || String(file) === live) kick();
        });
        watcher.on('error', () => {
          watcher?.close();
          watcher = undefined;
        });
      } catch {
        watcher = undefined; // polling only
      }
    }
    const sleep = () =>
      new Promise<void>((resolve) => {
        if (dirty || signal?.aborted) {
          dirty = false;
          resolve();
          return;
        }
        const t = setTimeout(done, poll);
        function done() {
          clearTimeout(t);
          wake = undefined;
          dirty = false;
          resolve();
        }
        wake = done;
      });

    let fh: FileHandle | undefined;
    let ino = -1;
    let pos = 0;
    // The last bytes read, whichever file they came from: right after moving from the copies to
    // the live file, some of them are the end of a copy.
    let fp = Buffer.alloc(0);
    // The rotated copy whose end the live file's first byte follows (`.1` when the position was
    // taken). Every rotation names a new `.1`, so `.1` being another file says the log rotated
    // even where the live file's bytes cannot tell (its position near 0). Held open: the inode
    // number of a deleted file could be given to the next copy.
    let prev: Copy | undefined;
    const setPrev = async (c: Copy | undefined) => {
      if (prev && prev !== c) await prev.fh.close().catch(() => {});
      prev = c;
    };
    // Needed only while the live file holds fewer than FP of the bytes read last: else those
    // bytes tell a rotation, and the follower reads on while a rotation copies.
    const firstMoved = async () => pos < FP && (await this.copyId(1)) !== prev?.id;
    let lastData = Date.now();
    const splitter = new LineSplitter(this.cap, 0, live);
    const buf = Buffer.allocUnsafe(READ_CHUNK);

    const openLive = async (): Promise<boolean> => {
      await setPrev(await this.openCopy(1));
      try {
        const h = await open(this.path, 'r');
        fh = h;
        ino = (await h.stat()).ino;
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
    };
    const remember = (chunk: Buffer) => {
      fp = Buffer.concat([fp, chunk]);
      if (fp.length > FP) fp = Buffer.from(fp.subarray(fp.length - FP));
    };
    /** Whether the live file holds, before `at`, the bytes read last (those of them it can). */
    const fpAt = async (h: FileHandle, at: number): Promise<boolean> => {
      const n = Math.min(fp.length, at);
      if (n === 0) return true;
      const b = Buffer.alloc(n);
      const { bytesRead } = await h.read(b, 0, n, at - n);
      return bytesRead === n && b.equals(fp.subarray(fp.length - n));
    };

    try {
      if (await openLive()) {
        // Start after the last complete line: a line being written comes out whole.
        const size = await lastLineEnd(fh!, (await fh!.stat()).size, this.cap);
        const want = this.opts.lines ?? 0;
        if (want > 0) {
          const first: LogLine[] = [];
          let bytes = 0;
          for await (const raw of linesBackward(fh!, size, { maxLineBytes: this.cap })) {
            const l = this.match(raw, live);
            if (l) {
              first.push(l);
              bytes += l.text.length;
            }
            if (first.length >= want || bytes >= FIRST_LINES_MAX_BYTES) break;
          }
          for (const l of first.reverse()) yield l;
        }
        pos = size;
        splitter.reset(size, live);
        if (size > 0) {
          const n = Math.min(FP, size);
          const b = Buffer.alloc(n);
          await fh!.read(b, 0, n, size - n);
          fp = b;
        }
      }

      while (!signal?.aborted) {
        if (!fh) {
          if (!(await openLive())) {
            await sleep();
            continue;
          }
          pos = 0;
          fp = Buffer.alloc(0);
          splitter.continueIn(live, 0);
        }
        const h = fh!;
        const size = (await h.stat()).size;
        if (size < pos || (size > pos && !(await fpAt(h, pos))) || (await firstMoved())) {
          // Rotated: what followed `pos` is in the rotated copies, then the live file.
          this.stats.rotations++;
          const after = yield* this.afterRotation(pos, fp, prev?.id, splitter, remember);
          await setPrev(after.first);
          pos = after.pos;
          splitter.continueIn(live, pos);
          continue;
        }
        if (size > pos) {
          const n = Math.min(READ_CHUNK, size - pos);
          const { bytesRead } = await h.read(buf, 0, n, pos);
          if (bytesRead === 0) continue;
          // A rotation between the check above and the read shifts the file under `pos`; the
          // bytes before `pos` still being the ones read last, and `.1` the same file (a rotation
          // names its copy before it cuts the live file), say the chunk is what followed.
          if (!(await fpAt(h, pos)) || (await firstMoved())) continue;
          this.stats.bytesRead += bytesRead;
          const chunk = buf.subarray(0, bytesRead);
          const lines = splitter.push(chunk, pos);
          remember(chunk);
          pos += bytesRead;
          lastData = Date.now();
          for (const raw of lines) {
            const l = this.match(raw, live);
            if (l) yield l;
            if (signal?.aborted) return;
          }
          continue;
        }
        // Nothing new here: was the file replaced?
        let pathIno = -1;
        try {
          pathIno = (await stat(this.path)).ino;
        } catch {}
        if (pathIno !== ino && pathIno !== -1) {
          this.stats.rotations++;
          await h.close().catch(() => {});
          fh = undefined;
          continue;
        }
        if (splitter.pendingBytes > 0 && Date.now() - lastData >= partialFlushMs) {
          const raw = splitter.flush(pos);
          const l = raw && this.match(raw, live);
          if (l) yield l;
        }
        await sleep();
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      watcher?.close();
      wake?.();
      await fh?.close().catch(() => {});
      await setPrev(undefined);
    }
  }

  /** `.i`, open, with its identity; undefined if there is none. */
  private async openCopy(i: number): Promise<Copy | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(logPath(this.dir, this.name, i), 'r');
    } catch {
      return undefined;
    }
    const st = await fh.stat();
    return { file: logFileName(this.name, i), fh, size: st.size, id: `${st.dev}:${st.ino}` };
  }

  private async copyId(i: number): Promise<string | undefined> {
    try {
      const st = await stat(logPath(this.dir, this.name, i));
      return `${st.dev}:${st.ino}`;
    } catch {
      return undefined;
    }
  }

  /** `.1`, `.2`, … as they are now, each open, with its identity; up to the one `last` names. */
  private async openCopies(last: string | undefined): Promise<Copy[]> {
    const copies: Copy[] = [];
    for (let i = 1; ; i++) {
      const c = await this.openCopy(i);
      if (!c) break;
      copies.push(c);
      if (c.id === last) break;
    }
    return copies;
  }

  /** Whether no rotation ran while `copies` were opened: every file once, `.1` still the first. */
  private async unshifted(copies: Copy[]): Promise<boolean> {
    if (new Set(copies.map((c) => c.id)).size !== copies.length) return false;
    if (!copies.length) return true;
    try {
      const st = await stat(logPath(this.dir, this.name, 1));
      return `${st.dev}:${st.ino}` === copies[0]!.id;
    } catch {
      return false;
    }
  }

  /**
   * After a rotation: find how many rotated copies `k` make `.k … .1 + live` the log that was
   * being read (it has the last bytes read, `fp`, just before `pos`), give out the lines
   * after `pos` in the copies, and return where to go on in the live file.
   */
  private async *afterRotation(
    pos: number,
    fp: Buffer,
    prevId: string | undefined,
    splitter: LineSplitter,
    remember: (chunk: Buffer) => void,
  ): AsyncGenerator<LogLine, { pos: number; first: Copy | undefined }> {
    let copies: Copy[] = [];
    let liveFh: FileHandle | undefined;
    try {
      // The copies as one rotation left them: a rotation while they are opened shifts `.1` to
      // `.2`, and the same file would be read twice (the lines doubled) or one skipped. Files
      // are told apart by device and inode; the set is opened again until no rotation ran.
      let liveSize = 0;
      for (let attempt = 0; ; attempt++) {
        copies = await this.openCopies(prevId);
        liveFh = await open(this.path, 'r').catch(() => undefined);
        liveSize = liveFh ? (await liveFh.stat()).size : 0;
        const settled =
          !(await exists(rotatingPath(this.dir, this.name))) &&
          (await this.unshifted(copies)) &&
          !(await collapsePending(copies[0], liveFh, liveSize));
        if (settled || attempt >= SNAPSHOT_TRIES) break;
        await Promise.all(copies.map((c) => c.fh.close().catch(() => {})));
        await liveFh?.close().catch(() => {});
        await new Promise((r) => setTimeout(r, SNAPSHOT_WAIT_MS));
      }
      // `k` rotations ran since the position was taken when the copy the live file continued is
      // `.k+1` now (or, when there was none, every copy is newer). The others are tried too: that
      // copy may be gone (retention), or the live file shortened without a copy (`keep: 0`).
      const n = copies.length;
      const likely = prevId === undefined ? n : copies.findIndex((c) => c.id === prevId);
      const ks = [likely, ...Array.from({ length: n }, (_, i) => i + 1).filter((k) => k !== likely)];
      for (const k of ks) {
        if (k < 1) continue;
        // Oldest first: .k, …, .1, then the live file; after the copy before them, if it is
        // there, which holds the first of the bytes read last when `pos` is near 0.
        const seq = copies.slice(0, k).reverse();
        const rotated = seq.reduce((a, c) => a + c.size, 0);
        if (rotated + liveSize < pos) continue;
        const before = copies[k];
        const parts = [
          ...(before ? [before] : []),
          ...seq,
          ...(liveFh ? [{ file: liveFile(this.name), fh: liveFh, size: liveSize }] : []),
        ];
        if (!(await matchesAt(parts, pos + (before?.size ?? 0), fp))) continue;
        // Give out what follows `pos` in the copies; the live file is read by the caller.
        yield* this.giveOut(seq, pos, splitter, remember);
        return { pos: Math.max(0, pos - rotated), first: copies[0] };
      }
      // The copies are gone (retention, `keep` smaller than the lag), but what was read last may
      // still be in the live file: going on after it gives out nothing twice.
      const after = liveFh ? await endOfLast(liveFh, liveSize, fp) : -1;
      if (after >= 0) {
        // The line in progress goes on there: the bytes read last end with what it has.
        splitter.continueIn(liveFile(this.name), after);
        return { pos: after, first: copies[0] };
      }
      // Or in a copy at another offset: one that dropped its head (more than `maxSize × keep`
      // written between two checks), or copy-truncate's copy named before the live file was cut.
      // Newest first, down to the copy the live file continued.
      const last = likely < 0 ? n - 1 : Math.min(likely, n - 1);
      for (let i = 0; i <= last; i++) {
        const at = await endOfLast(copies[i]!.fh, copies[i]!.size, fp);
        if (at < 0) continue;
        yield* this.giveOut(copies.slice(0, i + 1).reverse(), at, splitter, remember);
        return { pos: 0, first: copies[0] };
      }
      // Not on disk any more: the copies made after the one the live file continued (all there
      // are, if that one is gone) hold only what followed, and are given out whole.
      this.stats.gaps++;
      const newer = copies.slice(0, likely < 0 ? n : likely).reverse();
      splitter.reset(0, newer[0]?.file ?? liveFile(this.name));
      yield* this.giveOut(newer, 0, splitter, remember);
      return { pos: 0, first: copies[0] };
    } finally {
      // `.1` stays open: the caller holds it as the copy the live file continues.
      await Promise.all(copies.slice(1).map((c) => c.fh.close().catch(() => {})));
      await liveFh?.close().catch(() => {});
    }
  }

  /** The lines of `seq`, read one after the other, from offset `pos` of them all. */
  private async *giveOut(
    seq: Copy[],
    pos: number,
    splitter: LineSplitter,
    remember: (chunk: Buffer) => void,
  ): AsyncGenerator<LogLine> {
    let base = 0;
    for (const c of seq) {
      const from = Math.max(0, pos - base);
      if (from < c.size) {
        splitter.continueIn(c.file, from);
        for (let at = from; at < c.size; ) {
          const b = Buffer.allocUnsafe(Math.min(READ_CHUNK, c.size - at));
          const { bytesRead } = await c.fh.read(b, 0, b.length, at);
          if (bytesRead === 0) break;
          this.stats.bytesRead += bytesRead;
          const chunk = b.subarray(0, bytesRead);
          for (const raw of splitter.push(chunk, at)) {
            const l = this.match(raw, c.file);
            if (l) yield l;
          }
          remember(chunk);
          at += bytesRead;
        }
      }
      base += c.size;
    }
  }
}

/** The offset after the last `\n` of `[0, size)`, looking back at most `cap` bytes (else `size`). */
async function lastLineEnd(fh: FileHandle, size: number, cap: number): Promise<number> {
  if (size === 0) return 0;
  const n = Math.min(size, cap + 1);
  const b = Buffer.alloc(n);
  const { bytesRead } = await fh.read(b, 0, n, size - n);
  if (bytesRead !== n) return size;
  if (b[n - 1] === 10) return size;
  const nl = b.lastIndexOf(10);
  if (nl >= 0) return size - n + nl + 1;
  return n === size ? 0 : size;
}

/**
 * A collapse names its copy `.1` first and removes those bytes from the live file's head next:
 * in between, the live file still starts with what `.1` holds, and reading both would give
 * those lines twice. Told by the end of `.1` being where it would be in the live file.
 */
async function collapsePending(
  first: Copy | undefined,
  live: FileHandle | undefined,
  liveSize: number,
): Promise<boolean> {
  if (!first || !live || first.size < FP || liveSize < first.size) return false;
  const [a, b] = [Buffer.alloc(FP), Buffer.alloc(FP)];
  const [x, y] = await Promise.all([
    first.fh.read(a, 0, FP, first.size - FP),
    live.read(b, 0, FP, first.size - FP),
  ]);
  return x.bytesRead === FP && y.bytesRead === FP && a.equals(b);
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The offset just after the last place `fp` is found in `[0, size)`, or -1. */
async function endOfLast(fh: FileHandle, size: number, fp: Buffer): Promise<number> {
  if (fp.length === 0 || size > SEARCH_LIMIT) return -1;
  // Backwards in chunks that overlap by the length of `fp`: the last place is found first.
  const b = Buffer.allocUnsafe(READ_CHUNK + fp.length);
  for (let end = size; end >= fp.length; end -= READ_CHUNK) {
    const start = Math.max(0, end - b.length);
    const { bytesRead } = await fh.read(b, 0, end - start, start);
    const at = b.subarray(0, bytesRead).lastIndexOf(fp);
    if (at >= 0) return start + at + fp.length;
  }
  return -1;
}

/**
 * Whether the files read one after the other hold `fp` just before offset `pos` (its last
 * `pos` bytes when `pos` is shorter: there is nothing before the first file to compare).
 */
async function matchesAt(
  parts: { fh: FileHandle; size: number }[],
  pos: number,
  fp: Buffer,
): Promise<boolean> {
  const want = fp.subarray(fp.length - Math.min(fp.length, pos));
  if (want.length === 0) return true;
  const got = Buffer.alloc(want.length);
  let at = pos - want.length;
  let filled = 0;
  let base = 0;
  for (const p of parts) {
    if (filled === want.length) break;
    if (at < base + p.size) {
      const from = at - base;
      const n = Math.min(p.size - from, want.length - filled);
      const { bytesRead } = await p.fh.read(got, filled, n, from);
      if (bytesRead !== n) return false;
      filled += n;
      at += n;
    }
    base += p.size;
  }
  return filled === want.length && got.equals(want);
}
