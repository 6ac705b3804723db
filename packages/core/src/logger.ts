import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type DestinationStream, type Logger } from 'pino';

export interface LogOptions {
  level?: string;
  format?: 'json' | 'console';
  output?: 'stdout' | 'console' | 'file' | 'both';
  file?: { path: string; max_size?: number; max_backups?: number; max_age?: number };
  name?: string;
  /** Where stdout output goes (tests capture it). */
  stdout?: NodeJS.WritableStream;
}

/** Field names whose values never reach a log line, at the top level and one or two levels down. */
const SECRET_KEYS = [
  'access_key_secret',
  'accessKeySecret',
  'secretKey',
  'SecretKey',
  'secret',
  'password',
  'authorization',
  'token',
  'api_key',
  'apiKey',
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

/** One readable line per record: time, level, message, then the remaining fields as key=value. */
export function formatConsoleLine(line: string): string {
  try {
    const rec = JSON.parse(line);
    const { time, level, msg, pid: _pid, hostname: _host, name, ...rest } = rec;
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
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

/** Deletes rotated files (`<name>.N<ext>`) older than `maxAgeDays`. */
export function pruneRotated(path: string, maxAgeDays: number, now = Date.now()): void {
  if (!maxAgeDays) return;
  const dir = dirname(path);
  const stem = basename(path).replace(/\.[^.]+$/, '');
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(`${stem}.`)) continue;
    const full = join(dir, n);
    if (now - statSync(full).mtimeMs > maxAgeDays * 86_400_000) unlinkSync(full);
  }
}

function fileStream(file: NonNullable<LogOptions['file']>): DestinationStream {
  mkdirSync(dirname(file.path), { recursive: true });
  pruneRotated(file.path, file.max_age ?? 0);
  const ext = file.path.match(/\.[^./]+$/)?.[0] ?? '';
  return pino.transport({
    target: 'pino-roll',
    options: {
      file: ext ? file.path.slice(0, -ext.length) : file.path,
      extension: ext,
      size: `${file.max_size ?? 100}m`,
      limit: { count: file.max_backups ?? 3 },
      mkdir: true,
    },
  });
}

/** The structured logger of every part: JSON or console lines, stdout and/or a rotated file, secrets redacted. */
export function createLogger(opts: LogOptions = {}): Logger {
  const out = opts.stdout ?? process.stdout;
  const output = opts.output ?? 'stdout';
  const streams: { stream: DestinationStream }[] = [];
  if (output !== 'file')
    streams.push({ stream: opts.format === 'console' ? consoleStream(out) : (out as DestinationStream) });
  if (output === 'file' || output === 'both')
    streams.push({ stream: fileStream(opts.file ?? { path: 'logs/opsfleet.log' }) });
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
