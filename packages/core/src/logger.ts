import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  watch,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import pino, { type DestinationStream, type Logger } from 'pino';

export interface LogOptions {
  level?: string;
  format?: 'json' | 'console';
  output?: 'stdout' | 'console' | 'file' | 'both';
  file?: { path: string; max_size?: number; max_backups?: number; max_age?: number; compress?: boolean };
  name?: string;
  /** Where stdout output goes (tests capture it). */
  stdout?: NodeJS.WritableStream;
}

/** Field names whose values never reach a log line, at the top level and one or two levels down. */
const SECRET_KEYS = [
  'access_key_secret',
  'accessKeySecret',
  'AccessKeySecret',
  'secretKey',
  'SecretKey',
  'secret_key',
  'secret_access_key',
  'secretAccessKey',
  'SecretAccessKey',
  'client_secret',
  'secret',
  'password',
  'passwd',
  'authorization',
  'Authorization',
  'cookie',
  'token',
  'session_token',
  'sessionToken',
  'SessionToken',
  'api_key',
  'apiKey',
  'private_key',
];
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`]);

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Bare when unambiguous, quoted when it holds spaces, quotes or '='; an error shows its message. */
function consoleValue(v: unknown): string {
  if (typeof v === 'string') return v === '' || /[\s="]/.test(v) ? JSON.stringify(v) : v;
  if (v && typeof v === 'object' && 'message' in v && 'stack' in v) return JSON.stringify(String(v.message));
  return JSON.stringify(v);
}

/** One readable line per record: time, level, message, then the remaining fields as key=value. */
export function formatConsoleLine(line: string): string {
  try {
    const rec = JSON.parse(line);
    const { time, level, msg, pid: _pid, hostname: _host, name, ...rest } = rec;
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${consoleValue(v)}`)
      .join(' ');
    const ts = new Date(time).toISOString();
    return `${ts} ${(LEVEL_NAMES[level] ?? level).padEnd(5)} ${name ? `[${name}] ` : ''}${msg ?? ''}${fields ? ` ${fields}` : ''}\n`;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
}

function consoleStream(out: NodeJS.WritableStream): DestinationStream {
  return new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) out.write(formatConsoleLine(line));
      done();
    },
  });
}

/**
 * How pino-roll names the files of `path`: `logs/exporter.log` → `logs/exporter.N.log`; a path
 * without an extension gets `.log`.
 */
function rollNaming(path: string): { dir: string; stem: string; ext: string } {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const own = dot > 0 ? name.slice(dot + 1) : '';
  const ext = own.length > 1 ? `.${own}` : own ? '' : '.log';
  return { dir: dirname(path), stem, ext };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Deletes rotated files of `path` (`<stem>.N<ext>`) last written more than `maxAgeDays` ago.
 * The newest file, the one being written, is always kept.
 */
export function pruneRotated(path: string, maxAgeDays: number, now = Date.now()): void {
  if (!maxAgeDays || maxAgeDays <= 0) return;
  const { dir, stem, ext } = rollNaming(path);
  const re = new RegExp(`^${escapeRe(stem)}\\.(\\d+)${escapeRe(ext)}(?:\\.gz)?$`);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const rotated = names
    .map((n) => ({ n, num: Number(re.exec(n)?.[1] ?? Number.NaN) }))
    .filter((f) => !Number.isNaN(f.num))
    .sort((a, b) => a.num - b.num);
  rotated.pop();
  for (const { n } of rotated) {
    const full = join(dir, n);
    try {
      if (now - statSync(full).mtimeMs > maxAgeDays * 86_400_000) unlinkSync(full);
    } catch {
      // Removed meanwhile (pino-roll's own count limit) or not ours to delete: nothing to do.
    }
  }
}

/**
 * Gzips the rotated files of `path` (all numbered files but the newest, which is being written)
 * to `<stem>.N<ext>.gz`, then keeps the newest `maxBackups` of them (0: all). pino-roll cannot
 * compress, and its own count limit would not find the renamed files, so with compression on
 * this keeps the count instead.
 */
export async function compressRotated(path: string, maxBackups: number): Promise<void> {
  const { dir, stem, ext } = rollNaming(path);
  const re = new RegExp(`^${escapeRe(stem)}\\.(\\d+)${escapeRe(ext)}(\\.gz)?$`);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const files = names
    .map((n) => {
      const m = re.exec(n);
      return m ? { n, num: Number(m[1]), gz: Boolean(m[2]) } : undefined;
    })
    .filter((f) => f !== undefined)
    .sort((a, b) => b.num - a.num);
  const writing = files.find((f) => !f.gz)?.num;
  const rotated = files.filter((f) => f.num !== writing);
  for (const f of rotated.filter((r) => !r.gz)) {
    const from = join(dir, f.n);
    const tmp = `${from}.gz.tmp`;
    try {
      await pipeline(createReadStream(from), createGzip(), createWriteStream(tmp));
      renameSync(tmp, `${from}.gz`);
      unlinkSync(from);
    } catch {
      // Deleted meanwhile, or the disk is full: the plain file stays, nothing is lost.
      try {
        unlinkSync(tmp);
      } catch {}
    }
  }
  if (maxBackups <= 0) return;
  const kept = new Set<number>();
  for (const f of rotated) {
    if (kept.size < maxBackups) kept.add(f.num);
    if (kept.has(f.num)) continue;
    for (const suffix of ['', '.gz'])
      try {
        unlinkSync(join(dir, `${stem}.${f.num}${ext}${suffix}`));
      } catch {}
  }
}

/** Runs `tidy` whenever a file appears in the log folder, i.e. on every rotation. */
function onRotation(path: string, tidy: () => Promise<void>): void {
  const { dir, stem } = rollNaming(path);
  let pending: NodeJS.Timeout | undefined;
  try {
    const watcher = watch(dir, (event, name) => {
      if (event !== 'rename' || pending || (name && !String(name).startsWith(`${stem}.`))) return;
      pending = setTimeout(() => {
        pending = undefined;
        void tidy();
      }, 200);
      pending.unref();
    });
    watcher.on('error', () => watcher.close());
    watcher.unref();
  } catch {
    // No watch support: pruning at start still applies.
  }
}

function fileStream(file: NonNullable<LogOptions['file']>): DestinationStream {
  mkdirSync(dirname(file.path), { recursive: true });
  const maxAge = file.max_age ?? 0;
  const backups = Math.floor(file.max_backups ?? 3);
  // One tidy at a time: the files a tidy writes wake the watcher that starts the next.
  let tidying = Promise.resolve();
  const tidy = () =>
    (tidying = tidying.then(async () => {
      if (file.compress) await compressRotated(file.path, backups);
      pruneRotated(file.path, maxAge);
    }));
  pruneRotated(file.path, maxAge);
  if (file.compress) void tidy();
  if (maxAge > 0 || file.compress) onRotation(file.path, tidy);
  return pino.transport({
    target: 'pino-roll',
    options: {
      file: file.path,
      size: `${file.max_size ?? 100}m`,
      // pino-roll keeps `count` files besides the current one; 0 backups means keep them all,
      // as with lumberjack. removeOtherLogFiles applies the count to files of earlier runs too.
      // With compression the count is kept by compressRotated, which sees the .gz files.
      ...(backups > 0 && !file.compress ? { limit: { count: backups, removeOtherLogFiles: true } } : {}),
      mkdir: true,
    },
  });
}

/** The structured logger of every part: JSON or console lines, stdout and/or a rotated file, secrets redacted. */
export function createLogger(opts: LogOptions = {}): Logger {
  const out = opts.stdout ?? process.stdout;
  const output = opts.output ?? 'stdout';
  // multistream filters each stream at 'info' unless told otherwise; the logger's level decides.
  const streams: { stream: DestinationStream; level: 'trace' }[] = [];
  if (output !== 'file')
    streams.push({
      stream: opts.format === 'console' ? consoleStream(out) : (out as DestinationStream),
      level: 'trace',
    });
  if (output === 'file' || output === 'both')
    streams.push({ stream: fileStream(opts.file ?? { path: 'logs/opsfleet.log' }), level: 'trace' });
  return pino(
    {
      level: opts.level ?? 'info',
      name: opts.name,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      base: { pid: process.pid },
    },
    pino.multistream(streams),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
