import { readdirSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/**
 * Where service logs live: `<dataDir>/logs/<name>.log` is the live file the service writes to
 * (its stdout and stderr, opened O_APPEND by the supervisor); `<name>.log.1` is the newest
 * rotated copy, `<name>.log.<keep>` the oldest. `<name>.log.rotating` exists only while a
 * rotation copies.
 */

/** The same rule as a service name in `spec.ts`; also keeps names from leaving the folder. */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const ROTATING_SUFFIX = '.rotating';

export function logsDir(dataDir: string): string {
  return join(dataDir, 'logs');
}

export function liveFile(name: string): string {
  return `${name}.log`;
}

/** `index` 0 is the live file. */
export function logFileName(name: string, index: number): string {
  return index === 0 ? `${name}.log` : `${name}.log.${index}`;
}

export function logPath(dir: string, name: string, index = 0): string {
  return join(dir, logFileName(name, index));
}

export function rotatingPath(dir: string, name: string): string {
  return join(dir, `${name}.log${ROTATING_SUFFIX}`);
}

/**
 * The service and index a file name belongs to: `api.log` → api, 0; `api.log.3` → api, 3;
 * `api.log.rotating` → api, -1. Unambiguous, since every name ends in `.log` or `.log.<n>`.
 */
export function parseLogFileName(file: string): { name: string; index: number } | undefined {
  const m = /^(.+)\.log(?:\.(\d+|rotating))?$/.exec(file);
  if (!m || !SERVICE_NAME.test(m[1]!)) return undefined;
  const index = m[2] === undefined ? 0 : m[2] === 'rotating' ? -1 : Number(m[2]);
  if (index === 0 && m[2] !== undefined) return undefined; // `.log.0` is not ours
  return { name: m[1]!, index };
}

export interface LogFile {
  path: string;
  /** Base name, e.g. `api.log.2`. */
  file: string;
  /** 0 for the live file, 1 for the newest rotated file, … */
  index: number;
  size: number;
  mtimeMs: number;
}

/** The live and rotated files of one service that exist now, newest first (index order). */
export async function listLogFiles(dir: string, name: string): Promise<LogFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: LogFile[] = [];
  for (const file of entries) {
    const p = parseLogFileName(file);
    if (!p || p.name !== name || p.index < 0) continue;
    try {
      const s = await stat(join(dir, file));
      if (s.isFile())
        out.push({ path: join(dir, file), file, index: p.index, size: s.size, mtimeMs: s.mtimeMs });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/**
 * Every service that has files in `dir`, with its files (rotating copies included, index -1).
 * Synchronous: the rotator lists the folder every few seconds, and a stat of a file just listed
 * is answered from the kernel's inode cache in microseconds, where an awaited stat per file
 * was a trip through the thread pool and a wakeup of the event loop each (bench:agent).
 */
export function listAllLogFiles(dir: string): Map<string, LogFile[]> {
  const byName = new Map<string, LogFile[]>();
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return byName;
    throw err;
  }
  // join() normalises its whole argument each call, costly for every file every few seconds;
  // a name from readdir has no separator and is never . or .., so appending it is the same.
  const root = join(dir);
  const base = root === '.' ? '' : root.endsWith(sep) ? root : root + sep;
  for (const file of entries) {
    const p = parseLogFileName(file);
    if (!p) continue;
    const path = base + file;
    const s = statSync(path, { throwIfNoEntry: false });
    if (!s?.isFile()) continue;
    const list = byName.get(p.name) ?? [];
    list.push({ path, file, index: p.index, size: s.size, mtimeMs: s.mtimeMs });
    byName.set(p.name, list);
  }
  for (const list of byName.values()) list.sort((a, b) => a.index - b.index);
  return byName;
}
