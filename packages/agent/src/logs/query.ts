import { type FileHandle, open, stat } from 'node:fs/promises';
import { parseDuration } from '@opsfleet/core';
import { AgentError } from '../errors.ts';
import { listLogFiles, logPath, SERVICE_NAME } from './files.ts';
import {
  type DetectedLevel,
  isLogLevel,
  type LineInfo,
  type LogLevel,
  levelRank,
  type ParseOptions,
  parseLine,
} from './line.ts';
import {
  type Carry,
  DEFAULT_MAX_LINE_BYTES,
  FileChangedError,
  LineSplitter,
  linesBackward,
  linesForward,
  newReadStats,
  type RawLine,
  type ReadStats,
} from './reader.ts';

/**
 * Searching a service's log files: the live file and its rotated copies read as one log, in
 * time order. `tail` reads backwards from the newest file in chunks and stops at the N-th
 * match; without `tail` the files are read forwards from the oldest and the first `limit`
 * matches are returned. Semantics in docs/agent.md (Logs).
 */

export interface LineFilterSpec {
  /** Case-insensitive substring, or a regular expression (case-insensitive) with `regex`. */
  keyword?: string;
  regex?: boolean;
  /** The minimum level: `warn` returns warn, error and fatal lines. */
  level?: LogLevel;
  /** With `level`, also return lines whose level is unknown (stack traces, plain prints). */
  includeUnknownLevel?: boolean;
}

export interface LogQuery extends LineFilterSpec, ParseOptions {
  /** From (inclusive): ms since the epoch, a Date, an ISO 8601 time, or a duration ago (`15m`). */
  since?: number | string | Date;
  /** Until (exclusive); same forms as `since`. */
  until?: number | string | Date;
  /** The last N matching lines. */
  tail?: number;
  /** Without `tail`: at most this many lines from the oldest match on (default 1000). */
  limit?: number;
  /** Lines are cut at this many bytes (default 16 KiB); keyword and level see the cut line. */
  maxLineBytes?: number;
  /** Stop once the returned text reaches this many bytes (default 8 MiB); `more` is then set. */
  maxBytes?: number;
  /**
   * How far out of order timestamps may be (default 60 s). Reading stops once a line is older
   * than `since` (newer than `until`) by more than this, and files are skipped by their mtime
   * with the same margin.
   */
  orderSlackMs?: number;
  signal?: AbortSignal;
  /** For relative `since`/`until` and tests. */
  now?: number;
}

export interface LogLine {
  /** The file it was read from (`api.log`, `api.log.2`) and the line's offset in it. */
  file: string;
  offset: number;
  text: string;
  truncated?: true;
  level: DetectedLevel;
  /** The line's own timestamp (ms since the epoch), when it has one. */
  time?: number;
}

export interface LogQueryResult {
  /** Oldest first, whichever direction the files were read. */
  lines: LogLine[];
  /** Stopped at `tail`, `limit` or `maxBytes`: more lines may match. */
  more: boolean;
  /** Files opened and bytes read (how much work the query did). */
  files: number;
  bytesRead: number;
  /** Times the query started again because a rotation happened while it read. */
  retries: number;
  /**
   * False only when rotations overtook the query on every try: the lines next to a rotation
   * boundary may then be missing or repeated.
   */
  consistent: boolean;
}

export class LogQueryError extends AgentError {
  constructor(message: string) {
    super('invalid', message);
    this.name = 'LogQueryError';
  }
}

export const MAX_TAIL = 10_000;
/** A query that a rotation overtook is run again, at most this many times. */
const MAX_RETRIES = 5;
export const MAX_LIMIT = 10_000;

export interface LineFilter {
  /** Keyword or pattern; true without one. */
  text(text: string): boolean;
  /** Minimum level; true without one. */
  level(level: DetectedLevel): boolean;
  readonly byLevel: boolean;
}

/** A minimum level as an API caller gives it: empty is none, anything unknown a LogQueryError. */
export function parseLevel(text: string | undefined): LogLevel | undefined {
  if (text === undefined || text === '') return undefined;
  if (!isLogLevel(text))
    throw new LogQueryError('level must be one of trace, debug, info, warn, error, fatal');
  return text;
}

export function compileFilter(spec: LineFilterSpec): LineFilter {
  let re: RegExp | undefined;
  if (spec.keyword !== undefined && spec.keyword !== '') {
    if (spec.regex) {
      try {
        re = new RegExp(spec.keyword, 'i');
      } catch (err) {
        throw new LogQueryError(`keyword is not a valid regular expression: ${(err as Error).message}`);
      }
    } else {
      re = new RegExp(spec.keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    }
  }
  parseLevel(spec.level);
  const min = spec.level === undefined ? 0 : levelRank(spec.level);
  const unknown = spec.includeUnknownLevel === true;
  return {
    text: re ? (t) => re.test(t) : () => true,
    level: (l) => min === 0 || (l === 'unknown' ? unknown : levelRank(l) >= min),
    byLevel: min > 0,
  };
}

/** A time bound: ms, Date, ISO 8601, or a duration before `now` (`15m`, `2h`). */
export function parseTimeBound(v: number | string | Date | undefined, now: number): number | undefined {
  if (v === undefined) return undefined;
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new LogQueryError('invalid date');
    return v.getTime();
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new LogQueryError(`invalid time ${v}`);
    return v;
  }
  const s = v.trim();
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(s)) return now - parseDuration(s);
  const t = Date.parse(s);
  if (Number.isNaN(t))
    throw new LogQueryError(`'${v}' is neither an ISO 8601 time nor a duration such as 15m`);
  return t;
}

interface Plan {
  filter: LineFilter;
  parse: ParseOptions;
  since?: number;
  until?: number;
  timed: boolean;
  tail?: number;
  limit: number;
  cap: number;
  maxBytes: number;
  slack: number;
  signal?: AbortSignal;
}

function plan(q: LogQuery): Plan {
  const now = q.now ?? Date.now();
  const since = parseTimeBound(q.since, now);
  const until = parseTimeBound(q.until, now);
  const int = (v: number | undefined, what: string, min: number, max: number) => {
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || v < min || v > max)
      throw new LogQueryError(`${what} must be a whole number from ${min} to ${max}`);
    return v;
  };
  return {
    filter: compileFilter(q),
    parse: q.naiveZone ? { naiveZone: q.naiveZone } : {},
    since,
    until,
    timed: since !== undefined || until !== undefined,
    tail: int(q.tail, 'tail', 1, MAX_TAIL),
    limit: int(q.limit, 'limit', 1, MAX_LIMIT) ?? 1000,
    cap: int(q.maxLineBytes, 'maxLineBytes', 256, 1024 * 1024) ?? DEFAULT_MAX_LINE_BYTES,
    maxBytes: int(q.maxBytes, 'maxBytes', 1024, 256 * 1024 * 1024) ?? 8 * 1024 * 1024,
    slack: q.orderSlackMs ?? 60_000,
    signal: q.signal,
  };
}

/** Query the logs of service `name` in `dir` (`<dataDir>/logs`). */
export async function queryLogs(dir: string, name: string, q: LogQuery = {}): Promise<LogQueryResult> {
  if (!SERVICE_NAME.test(name)) throw new LogQueryError(`'${name}' is not a service name`);
  const p = plan(q);
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await queryOnce(dir, name, p);
      if (r.consistent || attempt >= MAX_RETRIES) {
        return { ...r, retries: attempt };
      }
    } catch (err) {
      if (!(err instanceof FileChangedError) || attempt >= MAX_RETRIES) throw err;
    }
    // A rotation ran while we read: let it finish.
    await new Promise((r) => setTimeout(r, 2 + Math.random() * 8 * (attempt + 1)));
  }
}

interface Opened {
  file: string;
  index: number;
  fh: FileHandle;
  size: number;
  ino: number;
  /** Its last byte is `\n` (or it is empty): no line continues into the next file. */
  endsLine: boolean;
  /** Lines of this file were written after `lo` (the next older file's mtime) and by `hi` (its mtime). */
  lo: number;
  hi: number;
}

/** Identity of `<name>.log.1`: a rotation always makes a new one. */
async function rotatedSignature(dir: string, name: string): Promise<string> {
  try {
    const s = await stat(logPath(dir, name, 1));
    return `${s.ino}:${s.ctimeMs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw err;
  }
}

async function readHead(fh: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.min(64, size));
  if (buf.length > 0) await fh.read(buf, 0, buf.length, 0);
  return buf;
}

async function queryOnce(dir: string, name: string, p: Plan) {
  const stats = newReadStats();
  const before = await rotatedSignature(dir, name);
  const files = await listLogFiles(dir, name);
  const opened: Opened[] = [];
  try {
    for (const f of files) {
      let fh: FileHandle;
      try {
        fh = await open(f.path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const s = await fh.stat();
      let endsLine = true;
      if (s.size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, s.size - 1);
        endsLine = last[0] === 10;
      }
      opened.push({
        file: f.file,
        index: f.index,
        fh,
        size: s.size,
        ino: s.ino,
        endsLine,
        lo: 0,
        hi: s.mtimeMs,
      });
    }
    for (let i = 0; i < opened.length; i++) opened[i]!.lo = opened[i + 1]?.hi ?? Number.NEGATIVE_INFINITY;
    const live = opened[0]?.index === 0 ? opened[0] : undefined;
    const head = live ? await readHead(live.fh, live.size) : undefined;

    const found = p.tail !== undefined ? await backward(opened, p, stats) : await forward(opened, p, stats);

    // A rotation while we read shows as a new `.1`, or a live file that shrank or starts differently.
    let consistent = (await rotatedSignature(dir, name)) === before;
    if (consistent && live && head) {
      const s = await live.fh.stat();
      const now = await readHead(live.fh, s.size);
      let pathIno = -1;
      try {
        pathIno = (await stat(logPath(dir, name))).ino;
      } catch {}
      consistent = s.size >= live.size && now.subarray(0, head.length).equals(head) && pathIno === live.ino;
    }
    return { ...found, files: opened.length, bytesRead: stats.bytesRead, consistent };
  } finally {
    await Promise.all(opened.map((o) => o.fh.close().catch(() => {})));
  }
}

interface Found {
  lines: LogLine[];
  more: boolean;
}

function toLine(f: Opened, raw: RawLine, info: LineInfo): LogLine {
  const l: LogLine = { file: raw.file ?? f.file, offset: raw.start, text: raw.text, level: info.level };
  if (raw.truncated) l.truncated = true;
  if (info.time !== undefined) l.time = info.time;
  return l;
}

/** A line with time `t` (own or inherited), or with only its file's bounds, is in range. */
function inRange(p: Plan, t: number | undefined, f: Opened): boolean {
  if (t !== undefined)
    return (p.since === undefined || t >= p.since) && (p.until === undefined || t < p.until);
  return (p.since === undefined || f.hi >= p.since) && (p.until === undefined || f.lo < p.until);
}

function checkAbort(p: Plan) {
  if (p.signal?.aborted) throw p.signal.reason ?? new Error('aborted');
}

/**
 * The time an unstamped line inherits when reading backwards: that of the nearest stamped line
 * before it, found by reading back from it; remembered for the lines in between, which the
 * backward scan reaches next.
 */
class Inherited {
  private from = Number.POSITIVE_INFINITY;
  private to = -1;
  private time: number | undefined;

  constructor(
    private readonly f: Opened,
    private readonly p: Plan,
    private readonly stats: ReadStats,
  ) {}

  async at(start: number): Promise<number | undefined> {
    if (start > this.from && start <= this.to) return this.time;
    for await (const raw of linesBackward(this.f.fh, start, {
      maxLineBytes: this.p.cap,
      stats: this.stats,
    })) {
      const t = parseLine(raw.text, this.p.parse).time;
      if (t !== undefined) {
        this.from = raw.start;
        this.to = start;
        this.time = t;
        return t;
      }
    }
    this.from = -1;
    this.to = start;
    this.time = undefined;
    return undefined;
  }
}

/**
 * Newest file first, each from its end. A file whose first line continues the last line of the
 * next older file (a rotation cut the line) holds that piece back and hands it to the older
 * file's reader, so the line comes out once and whole, as a line of the older file.
 */
async function backward(opened: Opened[], p: Plan, stats: ReadStats): Promise<Found> {
  const tail = p.tail!;
  const out: LogLine[] = [];
  let bytes = 0;
  let more = false;
  let n = 0;
  let carry: Carry | undefined;
  outer: for (let i = 0; i < opened.length; i++) {
    const f = opened[i]!;
    const older = opened[i + 1];
    if (p.since !== undefined && f.hi < p.since - p.slack) break;
    if (p.until !== undefined && f.lo >= p.until + p.slack) {
      carry = undefined;
      continue;
    }
    const hold: { out?: Carry } | undefined = older && !older.endsLine ? {} : undefined;
    const inherited = p.timed ? new Inherited(f, p, stats) : undefined;
    for await (const raw of linesBackward(f.fh, f.size, { maxLineBytes: p.cap, stats, carry, hold })) {
      if (++n % 4096 === 0) checkAbort(p);
      let info: LineInfo | undefined;
      let t: number | undefined;
      if (inherited) {
        info = parseLine(raw.text, p.parse);
        t = info.time ?? (await inherited.at(raw.start));
        if (t !== undefined && p.since !== undefined && t < p.since - p.slack) break outer;
      }
      if (!p.filter.text(raw.text)) continue;
      if (inherited && !inRange(p, t, f)) continue;
      if (p.filter.byLevel) {
        info ??= parseLine(raw.text, p.parse);
        if (!p.filter.level(info.level)) continue;
      }
      out.push(toLine(f, raw, info ?? parseLine(raw.text, p.parse)));
      bytes += raw.text.length;
      if (out.length >= tail || bytes >= p.maxBytes) {
        more = true;
        break outer;
      }
    }
    carry = hold?.out;
  }
  return { lines: out.reverse(), more };
}

/** Oldest file first; one splitter across the files, so a line a rotation cut is whole again. */
async function forward(opened: Opened[], p: Plan, stats: ReadStats): Promise<Found> {
  const out: LogLine[] = [];
  let bytes = 0;
  let more = false;
  let n = 0;
  const splitter = new LineSplitter(p.cap);
  const files = [...opened].reverse();
  let last: number | undefined;
  outer: for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    if (p.since !== undefined && f.hi < p.since - p.slack) {
      splitter.reset(0);
      continue;
    }
    if (p.until !== undefined && f.lo >= p.until + p.slack) break;
    // The last stamp seen in this file; a line cut by a rotation belongs to the older file.
    const olderLast = last;
    const older = files[i - 1];
    last = undefined;
    const flush = i === files.length - 1 || f.endsLine;
    for await (const raw of linesForward(f.fh, 0, f.size, { stats, splitter, file: f.file, flush })) {
      if (++n % 4096 === 0) checkAbort(p);
      const inOlder = older !== undefined && raw.file === older.file;
      let info: LineInfo | undefined;
      let t: number | undefined;
      if (p.timed) {
        info = parseLine(raw.text, p.parse);
        if (inOlder) t = info.time ?? olderLast;
        else {
          if (info.time !== undefined) last = info.time;
          t = last;
        }
        if (t !== undefined && p.until !== undefined && t >= p.until + p.slack) break outer;
      }
      if (!p.filter.text(raw.text)) continue;
      if (p.timed && !inRange(p, t, inOlder ? older : f)) continue;
      if (p.filter.byLevel) {
        info ??= parseLine(raw.text, p.parse);
        if (!p.filter.level(info.level)) continue;
      }
      out.push(toLine(f, raw, info ?? parseLine(raw.text, p.parse)));
      bytes += raw.text.length;
      if (out.length >= p.limit || bytes >= p.maxBytes) {
        more = true;
        break outer;
      }
    }
  }
  return { lines: out, more };
}
