import type { FileHandle } from 'node:fs/promises';

/**
 * Line readers over an open file: forwards from an offset, or backwards from the end in fixed
 * chunks, so the last lines of a 100 MB file cost a few chunks, not the file. Lines are split
 * on `\n` (a trailing `\r` is dropped) and decoded as UTF-8 line by line; a line longer than
 * `maxLineBytes` is cut there (at a character boundary) and marked `truncated`, and its bytes
 * beyond the cap are never kept in memory.
 */

export const DEFAULT_CHUNK = 64 * 1024;
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;

/** Bytes and reads done, for tests and for the query's answer. */
export interface ReadStats {
  bytesRead: number;
  reads: number;
}

export function newReadStats(): ReadStats {
  return { bytesRead: 0, reads: 0 };
}

export interface RawLine {
  /** Offset of the line's first byte (in `file`, when lines are read across files). */
  start: number;
  /** The file the line starts in, when the reader was told (a line can continue into the next). */
  file?: string;
  /** Offset just past its last byte (its `\n`, or the end of the data). */
  end: number;
  text: string;
  truncated: boolean;
}

export interface ReaderOptions {
  maxLineBytes?: number;
  chunkSize?: number;
  stats?: ReadStats;
}

/** The file became shorter than the range being read: it was truncated (rotated) meanwhile. */
export class FileChangedError extends Error {
  constructor(message = 'the file was truncated while it was read') {
    super(message);
    this.name = 'FileChangedError';
  }
}

/** Decode `buf[from, to)` as one line: cut at `cap` on a character boundary, drop a final `\r`. */
export function decodeLine(
  buf: Buffer,
  from: number,
  to: number,
  cap: number,
): { text: string; truncated: boolean } {
  if (to - from > cap) {
    let cut = from + cap;
    // Step back over continuation bytes so a multi-byte character is not split.
    while (cut > from && (buf[cut]! & 0xc0) === 0x80) cut--;
    return { text: buf.toString('utf8', from, cut), truncated: true };
  }
  if (to > from && buf[to - 1] === 13) to--;
  return { text: buf.toString('utf8', from, to), truncated: false };
}

/**
 * Splits a stream of chunks into lines, keeping at most `cap` bytes of the line in progress.
 * The chunks may come from several files read one after the other (rotated copies, then the
 * live file): a line that starts in one and ends in the next comes out whole, as a line of
 * the file it starts in. Used by the forward reader and by the live stream.
 */
export class LineSplitter {
  private pieces: Buffer[] = [];
  private kept = 0;
  /** Bytes of the line in progress seen so far (kept or not). */
  private seen = 0;
  /** Offset (in `startFile`) where the line in progress starts. */
  lineStart: number;
  private startFile: string | undefined;
  private file: string | undefined;

  constructor(
    private readonly cap: number,
    start = 0,
    file?: string,
  ) {
    this.lineStart = start;
    this.startFile = file;
    this.file = file;
  }

  /** Bytes of the line in progress kept (at most the cap + 1). */
  get pendingBytes(): number {
    return this.seen;
  }

  /** The next chunks come from `file` starting at `offset`; a line in progress continues. */
  continueIn(file: string | undefined, offset: number): void {
    this.file = file;
    if (this.seen === 0) {
      this.lineStart = offset;
      this.startFile = file;
    }
  }

  /** Feed `chunk`, whose first byte sits at `offset`; returns the lines it completes. */
  push(chunk: Buffer, offset: number): RawLine[] {
    const out: RawLine[] = [];
    let idx = 0;
    for (;;) {
      const nl = chunk.indexOf(10, idx);
      if (nl < 0) {
        this.keep(chunk, idx, chunk.length);
        break;
      }
      const end = offset + nl;
      let line: RawLine;
      if (this.seen === 0) {
        line = { start: this.lineStart, end, ...decodeLine(chunk, idx, nl, this.cap) };
      } else {
        this.keep(chunk, idx, nl);
        const whole = Buffer.concat(this.pieces, this.kept);
        const d = decodeLine(whole, 0, whole.length, this.cap);
        line = { start: this.lineStart, end, text: d.text, truncated: d.truncated || this.seen > this.cap };
      }
      if (this.startFile !== undefined) line.file = this.startFile;
      out.push(line);
      this.pieces = [];
      this.kept = 0;
      this.seen = 0;
      this.lineStart = end + 1;
      this.startFile = this.file;
      idx = nl + 1;
    }
    return out;
  }

  /** The line in progress (no `\n` yet), if any, and forget it; the next line starts at `end`. */
  flush(end: number): RawLine | undefined {
    if (this.seen === 0) return undefined;
    const whole = Buffer.concat(this.pieces, this.kept);
    const d = decodeLine(whole, 0, whole.length, this.cap);
    const out: RawLine = {
      start: this.lineStart,
      end,
      text: d.text,
      truncated: d.truncated || this.seen > this.cap,
    };
    if (this.startFile !== undefined) out.file = this.startFile;
    this.reset(end, this.file);
    return out;
  }

  /** Forget the line in progress and start again at `offset` (of `file`). */
  reset(offset: number, file?: string): void {
    this.pieces = [];
    this.kept = 0;
    this.seen = 0;
    this.lineStart = offset;
    this.startFile = file ?? this.file;
    this.file = this.startFile;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    this.seen += to - from;
    // One byte more than the cap is kept so that decodeLine sees the line is too long.
    const n = Math.min(this.cap + 1 - this.kept, to - from);
    if (n <= 0) return;
    this.pieces.push(Buffer.from(chunk.subarray(from, from + n)));
    this.kept += n;
  }
}

async function readAt(fh: FileHandle, buf: Buffer, length: number, position: number, stats?: ReadStats) {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (stats) {
      stats.bytesRead += bytesRead;
      stats.reads++;
    }
    if (bytesRead === 0) throw new FileChangedError();
    got += bytesRead;
  }
}

/**
 * Lines of `[start, end)` in file order. A last line without `\n` is returned too (its `end`
 * is `end`) — unless a `splitter` is passed with `flush: false`: then it stays in the splitter,
 * to be continued by the next file (see {@link LineSplitter.continueIn}).
 */
export async function* linesForward(
  fh: FileHandle,
  start: number,
  end: number,
  opts: ReaderOptions & { splitter?: LineSplitter; file?: string; flush?: boolean } = {},
): AsyncGenerator<RawLine> {
  const chunk = opts.chunkSize ?? DEFAULT_CHUNK;
  const splitter =
    opts.splitter ?? new LineSplitter(opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, start, opts.file);
  splitter.continueIn(opts.file, start);
  const buf = Buffer.allocUnsafe(chunk);
  let pos = start;
  while (pos < end) {
    const n = Math.min(chunk, end - pos);
    await readAt(fh, buf, n, pos, opts.stats);
    yield* splitter.push(buf.subarray(0, n), pos);
    pos += n;
  }
  if (opts.flush !== false) {
    const last = splitter.flush(end);
    if (last) yield last;
  }
}

/** A line's beginning carried between files: its first `cap + 1` bytes and its full length. */
export interface Carry {
  head: Buffer;
  length: number;
}

export interface BackwardOptions extends ReaderOptions {
  /**
   * The rest of the last line, found at the start of the next (newer) file: this file does
   * not end with `\n`, so its last line continues there.
   */
  carry?: Carry;
  /**
   * Do not return the first line (at offset 0): it continues a line of the previous (older)
   * file, which then reads it as its `carry`. It is left in `hold.out`.
   */
  hold?: { out?: Carry };
}

/**
 * Lines of `[0, end)` from the last to the first, reading `chunkSize` bytes at a time from the
 * end. The empty piece after a final `\n` is not a line. A line longer than the cap is not
 * gathered: its first `maxLineBytes` are read again from its start once that is found.
 */
export async function* linesBackward(
  fh: FileHandle,
  end: number,
  opts: BackwardOptions = {},
): AsyncGenerator<RawLine> {
  const chunk = opts.chunkSize ?? DEFAULT_CHUNK;
  const cap = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const buf = Buffer.allocUnsafe(chunk);
  let pos = end;
  let lineEnd = end;
  // Later parts of the line in progress (whose start is further back), in file order.
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let overflow = false;

  const emit = async (
    start: number,
    head: Buffer,
    from: number,
    to: number,
  ): Promise<RawLine | undefined> => {
    const stop = lineEnd;
    const extra = stop === end ? opts.carry : undefined;
    if (start === stop && stop === end && !extra) return undefined; // after the final newline
    const length = stop - start + (extra?.length ?? 0);
    let bytes: Buffer;
    if (overflow) {
      const n = Math.min(cap + 1, stop - start);
      bytes = Buffer.allocUnsafe(n);
      await readAt(fh, bytes, n, start, opts.stats);
      if (extra && n < cap + 1) bytes = Buffer.concat([bytes, extra.head]);
    } else if (pendingLen === 0 && !extra) {
      bytes = head.subarray(from, to);
    } else {
      bytes = Buffer.concat([head.subarray(from, to), ...pending, ...(extra ? [extra.head] : [])]);
    }
    pending = [];
    pendingLen = 0;
    overflow = false;
    if (start === 0 && opts.hold) {
      opts.hold.out = { head: Buffer.from(bytes.subarray(0, cap + 1)), length };
      return undefined;
    }
    const line = decodeLine(bytes, 0, bytes.length, cap);
    return { start, end: stop, text: line.text, truncated: line.truncated || length > cap };
  };

  while (pos > 0) {
    const n = Math.min(chunk, pos);
    pos -= n;
    await readAt(fh, buf, n, pos, opts.stats);
    let idx = n;
    while (idx > 0) {
      const nl = buf.lastIndexOf(10, idx - 1);
      if (nl < 0) {
        if (!overflow) {
          if (pendingLen + idx > cap) {
            overflow = true;
            pending = [];
            pendingLen = 0;
          } else {
            pending.unshift(Buffer.from(buf.subarray(0, idx)));
            pendingLen += idx;
          }
        }
        break;
      }
      const line = await emit(pos + nl + 1, buf, nl + 1, idx);
      if (line) yield line;
      lineEnd = pos + nl;
      idx = nl;
    }
  }
  const first = await emit(0, buf, 0, 0);
  if (first) yield first;
}
