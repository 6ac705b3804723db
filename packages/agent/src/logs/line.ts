/**
 * What one log line says about itself: its level and its time. Services write whatever they
 * like, so both are guessed, cheaply and conservatively; a line that says nothing recognisable
 * is `unknown` and has no time. Table-tested in `line.test.ts`.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type DetectedLevel = LogLevel | 'unknown';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

const RANK: Record<DetectedLevel, number> = {
  unknown: 0,
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** pino/bunyan numbers: trace 10 … fatal 60; `unknown` is 0 (below everything). */
export function levelRank(level: DetectedLevel): number {
  return RANK[level];
}

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);
}

/** Words (any case) that name a level, with the spellings of common loggers. */
const WORDS: Record<string, LogLevel> = {
  trace: 'trace',
  trc: 'trace',
  finest: 'trace',
  finer: 'trace',
  debug: 'debug',
  dbug: 'debug',
  dbg: 'debug',
  fine: 'debug',
  info: 'info',
  information: 'info',
  informational: 'info',
  inf: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  wrn: 'warn',
  error: 'error',
  err: 'error',
  eror: 'error',
  severe: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  panic: 'fatal',
  dpanic: 'fatal',
};

/** The level a word names, or undefined. */
export function levelFromWord(word: string): LogLevel | undefined {
  return WORDS[word.toLowerCase()];
}

/**
 * pino and bunyan numbers (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal; custom
 * levels in between round down), and syslog severities 0..7 (GELF puts them in `level`).
 */
function levelFromNumber(n: number): DetectedLevel {
  if (!Number.isFinite(n) || n < 0) return 'unknown';
  if (n < 10) {
    if (!Number.isInteger(n) || n > 7) return 'unknown';
    return (['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'] as const)[n]!;
  }
  if (n >= 60) return 'fatal';
  if (n >= 50) return 'error';
  if (n >= 40) return 'warn';
  if (n >= 30) return 'info';
  if (n >= 20) return 'debug';
  return 'trace';
}

/** OpenTelemetry SeverityNumber 1..24 (used when `severity` is a number). */
function levelFromSeverityNumber(n: number): DetectedLevel {
  if (!Number.isInteger(n) || n < 1 || n > 24) return 'unknown';
  return LOG_LEVELS[Math.floor((n - 1) / 4)]!;
}

/** The level a JSON field value names: a number (pino/bunyan/syslog) or a word. */
export function normalizeLevel(v: unknown, field: 'level' | 'severity' | 'lvl' = 'level'): DetectedLevel {
  if (typeof v === 'number') return field === 'severity' ? levelFromSeverityNumber(v) : levelFromNumber(v);
  if (typeof v === 'string') {
    const word = levelFromWord(v.trim());
    if (word) return word;
    if (/^\d+$/.test(v.trim())) return normalizeLevel(Number(v), field);
  }
  return 'unknown';
}

export interface LineInfo {
  level: DetectedLevel;
  /** Milliseconds since the epoch, when the line carries a time. */
  time?: number;
}

export interface ParseOptions {
  /**
   * How to read a timestamp written without a zone (`2026-11-25 10:00:00`): in the agent's
   * local zone (default; the service runs on the same host, usually with the same TZ) or as UTC.
   */
  naiveZone?: 'local' | 'utc';
}

/** How far into a text line a level word or a timestamp is looked for. */
export const HEAD_CHARS = 160;

/**
 * Level and time of one line. JSON lines (starting with `{`) are read as JSON: `level` /
 * `severity` / `lvl` for the level and `time` / `ts` / `timestamp` / `@timestamp` for the time;
 * a JSON line cut short (by the line length cap) is read with a pattern for the same fields.
 * Other lines are text: see {@link textLevel} and {@link textTime}.
 */
export function parseLine(line: string, opts: ParseOptions = {}): LineInfo {
  const first = firstNonSpace(line);
  if (line.charCodeAt(first) === 123 /* { */) {
    const info = jsonInfo(line, first, opts);
    if (info) return info;
  }
  const head = line.length > HEAD_CHARS ? line.slice(0, HEAD_CHARS) : line;
  const time = textTime(head, opts);
  return time === undefined ? { level: textLevel(head) } : { level: textLevel(head), time };
}

export function detectLevel(line: string): DetectedLevel {
  return parseLine(line).level;
}

export function detectTime(line: string, opts: ParseOptions = {}): number | undefined {
  return parseLine(line, opts).time;
}

function firstNonSpace(s: string): number {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

const LEVEL_KEYS = ['level', 'severity', 'lvl'] as const;
const TIME_KEYS = ['time', 'ts', 'timestamp', '@timestamp'] as const;

function jsonInfo(line: string, start: number, opts: ParseOptions): LineInfo | undefined {
  let obj: unknown;
  const trimmedEnd = line.trimEnd();
  if (trimmedEnd.endsWith('}')) {
    try {
      obj = JSON.parse(start === 0 && trimmedEnd.length === line.length ? line : trimmedEnd.slice(start));
    } catch {
      obj = undefined;
    }
  }
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    const o = obj as Record<string, unknown>;
    let level: DetectedLevel = 'unknown';
    for (const k of LEVEL_KEYS) {
      if (o[k] === undefined) continue;
      level = normalizeLevel(o[k], k);
      if (level !== 'unknown') break;
    }
    let time: number | undefined;
    for (const k of TIME_KEYS) {
      if (o[k] === undefined) continue;
      time = timeFromValue(o[k], opts);
      if (time !== undefined) break;
    }
    return time === undefined ? { level } : { level, time };
  }
  // Not parseable (cut by the length cap, or not JSON after all): look for the fields by pattern.
  const lm = /"(level|severity|lvl)"\s*:\s*(?:"([^"]{1,20})"|(\d+(?:\.\d+)?))/.exec(line);
  const tm = /"(time|ts|timestamp|@timestamp)"\s*:\s*(?:"([^"]{1,40})"|(\d+(?:\.\d+)?))/.exec(line);
  if (!lm && !tm) return undefined;
  const level = lm
    ? normalizeLevel(lm[2] ?? Number(lm[3]), lm[1] as (typeof LEVEL_KEYS)[number])
    : ('unknown' as const);
  const time = tm ? timeFromValue(tm[2] ?? Number(tm[3]), opts) : undefined;
  return time === undefined ? { level } : { level, time };
}

/**
 * A JSON time value: a number is milliseconds, or seconds when below 1e11 (zap's `ts`,
 * Python's `created`), or micro/nanoseconds when above 1e14/1e17; a string is ISO 8601 or the
 * same number as text.
 */
export function timeFromValue(v: unknown, opts: ParseOptions = {}): number | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) return undefined;
    if (v < 1e11) return Math.round(v * 1000);
    if (v < 1e14) return Math.round(v);
    if (v < 1e17) return Math.round(v / 1000);
    return Math.round(v / 1e6);
  }
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return timeFromValue(Number(s), opts);
    return parseTimestamp(s, opts);
  }
  return undefined;
}

/**
 * `2026-11-25T10:00:00.123Z`, `2026-11-25T10:00:00+08:00`, `2026-11-25 10:00:00,123`,
 * `2026/11/25 10:00:00` (Go's log, nginx). Fractions of any length; `,` or `.` before them.
 */
const TS =
  /(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:\s?(Z|[+-]\d{2}(?::?\d{2})?)(?![\d:]))?/;

/** A timestamp at the start of `s` (an exact value, not searched for). */
export function parseTimestamp(s: string, opts: ParseOptions = {}): number | undefined {
  const m = TS.exec(s);
  if (m?.index !== 0) return undefined;
  return fromMatch(m, opts);
}

/**
 * The time of a text line: a timestamp that starts within the first 40 characters of the line
 * (so `[2026-…]`, `E, [2026-…` and `time="2026-…"` count), read by {@link parseTimestamp}'s rules.
 */
export function textTime(head: string, opts: ParseOptions = {}): number | undefined {
  const m = TS.exec(head.length > 64 ? head.slice(0, 64) : head);
  if (!m || m.index > 40) return undefined;
  return fromMatch(m, opts);
}

function fromMatch(m: RegExpExecArray, opts: ParseOptions): number | undefined {
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms] as const;
  if (parts[1] > 11 || parts[2] < 1 || parts[2] > 31 || parts[3] > 23 || parts[4] > 59 || parts[5] > 60)
    return undefined;
  if (zone) {
    const utc = Date.UTC(...parts);
    if (zone === 'Z') return utc;
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!zm) return undefined;
    const offset = (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60_000;
    return zm[1] === '+' ? utc - offset : utc + offset;
  }
  return opts.naiveZone === 'utc' ? Date.UTC(...parts) : new Date(...parts).getTime();
}

/**
 * The level of a text line, from its first {@link HEAD_CHARS} characters; the first of these
 * that names a level wins:
 * - `level=error`, `lvl=warn`, `severity=info` (logfmt, logrus);
 * - a word in brackets, any case: `[error]` (nginx), `[INFO]`, `<warn>`;
 * - an upper-case word: `ERROR`, `ERR`, `FATAL`, `WARN`, `WARNING`, `INFO`, `DEBUG`, `TRACE`,
 *   `CRITICAL`, `NOTICE`, … (log4j, Python logging, Rails);
 * - a word of any case followed by `:` (`Error: connect ECONNREFUSED`, `warning: …`, `info: …`);
 * - glog/klog's first letter (`E1125 10:00:00.123456 …`).
 * Lower-case words inside prose (`failed to load info`) do not count.
 */
export function textLevel(head: string): DetectedLevel {
  const g = /^([IWEF])\d{4} \d{2}:\d{2}:\d{2}/.exec(head);
  if (g) return ({ I: 'info', W: 'warn', E: 'error', F: 'fatal' } as const)[g[1] as 'I' | 'W' | 'E' | 'F'];
  for (const m of head.matchAll(TEXT_LEVEL)) {
    const word = m[1] ?? m[2] ?? m[3] ?? m[4];
    const level = word ? levelFromWord(word) : undefined;
    if (level) return level;
  }
  return 'unknown';
}

const TEXT_LEVEL =
  /(?:\b(?:level|lvl|severity)=["']?([A-Za-z]+)|[[<(]([A-Za-z]+)[\]>)]|\b([A-Z]{3,11})\b(?!:\/\/)|\b([A-Za-z]{3,11})\s?:(?![\d/]))/g;
