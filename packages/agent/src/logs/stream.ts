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
 *   reading: it finds the `k` for which that sequence holds, at its position, the 64 bytes it
 *   read last, gives out what follows in the copies, and goes on in the live file;
 * - a replaced file (another inode at the path) is read to its end, then the new one from 0.
 * The copies are read as one rotation left them (a rotation in progress is waited for; files are
 * told apart by device and inode). When no copy fits (the copy dropped its head, or was deleted
 * already), reading goes on after the bytes read last if the live file still holds them, else
 * from 0, and `stats.gaps` counts it. A log of identical lines can fool the 64-byte check: then
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
const FP = 64;
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
    let fp = Buffer.alloc(0);
    let lastData = Date.now();
    const splitter = new LineSplitter(this.cap, 0, live);
    const buf = Buffer.allocUnsafe(READ_CHUNK);

    const openLive = async (): Promise<boolean> => {
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
    const fpAt = async (h: FileHandle, at: number): Promise<boolean> => {
      if (fp.length === 0) return true;
      if (at < fp.length) return false;
      const b = Buffer.alloc(fp.length);
      const { bytesRead } = await h.read(b, 0, fp.length, at - fp.length);
      return bytesRead === fp.length && b.equals(fp);
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
        if (size < pos || (size > pos && !(await fpAt(h, pos)))) {
          // Rotated: what followed `pos` is in the rotated copies, then the live file.
          this.stats.rotations++;
          pos = yield* this.afterRotation(pos, fp, splitter, remember);
          // Keep only the remembered bytes that are in the live file now.
          if (fp.length > pos) fp = Buffer.from(fp.subarray(fp.length - pos));
          splitter.continueIn(live, pos);
          continue;
        }
        if (size > pos) {
          const n = Math.min(READ_CHUNK, size - pos);
          const { bytesRead } = await h.read(buf, 0, n, pos);
          if (bytesRead === 0) continue;
          // A rotation between the check above and the read shifts the file under `pos`; the
          // bytes before `pos` still being the ones read last says the chunk is what followed.
          if (!(await fpAt(h, pos))) continue;
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
    }
  }

  /** `.1`, `.2`, … as they are now, each open, with its identity. */
  private async openCopies(): Promise<Copy[]> {
    const copies: Copy[] = [];
    for (let i = 1; i <= 16; i++) {
      let fh: FileHandle;
      try {
        fh = await open(logPath(this.dir, this.name, i), 'r');
      } catch {
        break;
      }
      const st = await fh.stat();
      copies.push({ file: logFileName(this.name, i), fh, size: st.size, id: `${st.dev}:${st.ino}` });
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
    splitter: LineSplitter,
    remember: (chunk: Buffer) => void,
  ): AsyncGenerator<LogLine, number> {
    let copies: Copy[] = [];
    let liveFh: FileHandle | undefined;
    try {
      // The copies as one rotation left them: a rotation while they are opened shifts `.1` to
      // `.2`, and the same file would be read twice (the lines doubled) or one skipped. Files
      // are told apart by device and inode; the set is opened again until no rotation ran.
      let liveSize = 0;
      for (let attempt = 0; ; attempt++) {
        copies = await this.openCopies();
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
      for (let k = 1; k <= copies.length; k++) {
        // Oldest first: .k, …, .1, then the live file.
        const seq = copies.slice(0, k).reverse();
        const rotated = seq.reduce((a, c) => a + c.size, 0);
        if (rotated + liveSize < pos) continue;
        const parts = [
          ...seq,
          ...(liveFh ? [{ file: liveFile(this.name), fh: liveFh, size: liveSize }] : []),
        ];
        if (!(await matchesAt(parts, pos, fp))) continue;
        // Give out what follows `pos` in the copies; the live file is read by the caller.
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
        return Math.max(0, pos - rotated);
      }
      // The copies are gone (retention, `keep` smaller than the lag), but what was read last may
      // still be in the live file: going on after it gives out nothing twice.
      const after = liveFh ? await endOfLast(liveFh, liveSize, fp) : -1;
      if (after >= 0) {
        splitter.reset(after, liveFile(this.name));
        return after;
      }
      this.stats.gaps++;
      splitter.reset(0, liveFile(this.name));
      return 0;
    } finally {
      await Promise.all(copies.map((c) => c.fh.close().catch(() => {})));
      await liveFh?.close().catch(() => {});
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
  const b = Buffer.alloc(size);
  const { bytesRead } = await fh.read(b, 0, size, 0);
  const at = b.subarray(0, bytesRead).lastIndexOf(fp);
  return at < 0 ? -1 : at + fp.length;
}

/** Whether the files read one after the other hold `fp` just before offset `pos`. */
async function matchesAt(
  parts: { fh: FileHandle; size: number }[],
  pos: number,
  fp: Buffer,
): Promise<boolean> {
  if (fp.length === 0) return true;
  if (pos < fp.length) return false;
  const got = Buffer.alloc(fp.length);
  let want = pos - fp.length;
  let filled = 0;
  let base = 0;
  for (const p of parts) {
    if (filled === fp.length) break;
    if (want < base + p.size) {
      const from = want - base;
      const n = Math.min(p.size - from, fp.length - filled);
      const { bytesRead } = await p.fh.read(got, filled, n, from);
      if (bytesRead !== n) return false;
      filled += n;
      want += n;
    }
    base += p.size;
  }
  return filled === fp.length && got.equals(fp);
}
