import { execFile } from 'node:child_process';
import { fstatSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Service } from '../spec.ts';
import { type LogFile, listAllLogFiles, listLogFiles, logPath, rotatingPath } from './files.ts';

/**
 * Size rotation of service logs while the service holds an O_APPEND descriptor of
 * `<name>.log` (its stdout and stderr), so the file cannot be renamed away. Two methods:
 *
 * **collapse** (default where the file system has it: ext4, XFS): copy the first A bytes of
 * the live file (A: a multiple of the block size, less than the size) into `.1`, then remove
 * exactly those bytes from the front of the live file with `fallocate --collapse-range`
 * (FALLOC_FL_COLLAPSE_RANGE, run as util-linux's `fallocate`: Node has no binding). The
 * kernel does it under the inode lock that an O_APPEND write also takes, so nothing written
 * concurrently is lost, ever; the bytes after A (less than a block plus what was written
 * meanwhile) stay at the start of the live file. The line that straddles A is split between
 * `.1` and the live file; query and stream join it again.
 *
 * **copy-truncate** (fallback: btrfs, tmpfs, NFS, no `fallocate`): copy the live file into
 * `.1` (asynchronously, again for what grew meanwhile), then synchronously copy what is still
 * new, fstat, and when nothing more was written ftruncate to 0. Lines written between that
 * fstat and the ftruncate are lost. That is two adjacent system calls, but if the agent is
 * preempted between them (a loaded host), the window lasts as long as the preemption: the
 * tests measure thousands of lines lost from a writer that never pauses on a 2-CPU host at
 * load 6. `windowMicros` in the result says how long it was.
 *
 * Both: shift `<name>.log.i` → `.i+1` first, deleting what would go beyond `keep` or not fit
 * in the cap `maxSize × (keep + 1)` together with the new copy (oldest first); a copy takes
 * at most `maxSize × keep` bytes (the newest, from a line start; older bytes are dropped and
 * counted). `.rotating` is renamed to `.1` once complete (collapse: before the collapse).
 * {@link enforceRetention} then deletes the oldest rotated files while everything together is
 * over the cap, at every check: the live file can pass `maxSize` between checks (the
 * {@link Rotator} checks sooner when a file grows fast), so the cap holds at each check.
 */

export interface RotationTarget {
  name: string;
  /** Rotate when the live file is larger than this (bytes). */
  maxSize: number;
  /** Rotated files kept (`.1` … `.keep`); 0 drops the data without keeping a copy. */
  keep: number;
}

export type RotationMethod = 'collapse' | 'copy-truncate';

export interface RotateOptions {
  /** Rotate whatever the size (if not empty). */
  force?: boolean;
  /** `auto` (default): collapse where it works, else copy-truncate. */
  method?: 'auto' | 'copy-truncate';
  /** The `fallocate` program (default: found on PATH). */
  fallocate?: string;
}

export interface RotateResult {
  rotated: boolean;
  method?: RotationMethod;
  /** Bytes that went into `.1`. */
  copiedBytes: number;
  /** Bytes of the live file that went into no file (keep 0, or more than `maxSize × keep`). */
  droppedBytes: number;
  deletedFiles: number;
  deletedBytes: number;
  /**
   * copy-truncate: synchronous catch-up rounds before the truncate (1: the writer wrote
   * nothing since the last copy) and the time from the last fstat to the end of the ftruncate,
   * during which lines written are lost.
   */
  finalRounds?: number;
  windowMicros?: number;
}

export interface RetentionResult {
  deletedFiles: number;
  deletedBytes: number;
}

/** The most bytes a service's files may take together. */
export function capBytes(t: RotationTarget): number {
  return t.maxSize * (t.keep + 1);
}

const BULK = 1024 * 1024;
const CATCH_UP = 64 * 1024;

async function unlinkCounted(path: string, size: number, r: RetentionResult): Promise<void> {
  try {
    await unlink(path);
    r.deletedFiles++;
    r.deletedBytes += size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The offset of the first line that starts at or after `pos` (or `end` if none does). */
async function nextLineStart(fh: FileHandle, pos: number, end: number): Promise<number> {
  if (pos <= 0) return 0;
  const buf = Buffer.allocUnsafe(64 * 1024);
  let at = pos - 1;
  while (at < end) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - at), at);
    if (bytesRead === 0) break;
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl >= 0) return at + nl + 1;
    at += bytesRead;
  }
  return end;
}

async function copyRange(
  from: FileHandle,
  to: FileHandle,
  start: number,
  end: number,
  shift: number,
  buf: Buffer,
) {
  let pos = start;
  while (pos < end) {
    const { bytesRead } = await from.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) throw new Error('the live file shrank during rotation');
    await to.write(buf, 0, bytesRead, pos - shift);
    pos += bytesRead;
  }
}

function copyRangeSync(from: number, to: number, start: number, end: number, shift: number, buf: Buffer) {
  let pos = start;
  while (pos < end) {
    const n = readSync(from, buf, 0, Math.min(buf.length, end - pos), pos);
    if (n === 0) throw new Error('the live file shrank during rotation');
    writeSync(to, buf, 0, n, pos - shift);
    pos += n;
  }
}

/** File systems (by device) and programs known not to collapse; not asked again. */
const noCollapse = new Set<string>();

/**
 * Remove `[0, length)` from the front of `path` with FALLOC_FL_COLLAPSE_RANGE. `unsupported`
 * when the program or the file system cannot (remembered per device); `failed` otherwise.
 */
async function collapseFront(path: string, length: number, dev: number, program: string) {
  if (noCollapse.has(program) || noCollapse.has(`${program}:${dev}`)) return 'unsupported' as const;
  const args = ['--collapse-range', '--offset', '0', '--length', String(length), path];
  return new Promise<'ok' | 'unsupported' | 'failed'>((resolve) => {
    execFile(program, args, { timeout: 30_000 }, (err, _out, stderr) => {
      if (!err) return resolve('ok');
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        noCollapse.add(program);
        return resolve('unsupported');
      }
      if (/not supported|unrecognized option|invalid option/i.test(String(stderr))) {
        noCollapse.add(`${program}:${dev}`);
        return resolve('unsupported');
      }
      resolve('failed');
    });
  });
}

/** Whether collapse works for files in `dir` (makes and removes a small probe file). */
export async function collapseSupported(dir: string, program = 'fallocate'): Promise<boolean> {
  const probe = join(dir, `.collapse-probe-${process.pid}`);
  const fh = await open(probe, 'w+');
  try {
    const s = await fh.stat();
    const block = s.blksize > 0 ? s.blksize : 4096;
    await fh.write(Buffer.alloc(block * 2, 97), 0, block * 2, 0);
    await fh.sync();
    const r = await collapseFront(probe, block, s.dev, program);
    return r === 'ok' && (await fh.stat()).size === block;
  } finally {
    await fh.close();
    await unlink(probe).catch(() => {});
  }
}

/**
 * Rotate `<dir>/<name>.log` if it is larger than `maxSize` (or, with `force`, if it is not
 * empty). Not safe to run twice at once for the same service: the {@link Rotator} serialises.
 */
export async function rotateIfNeeded(
  dir: string,
  t: RotationTarget,
  opts: RotateOptions = {},
): Promise<RotateResult> {
  const result: RotateResult = {
    rotated: false,
    copiedBytes: 0,
    droppedBytes: 0,
    deletedFiles: 0,
    deletedBytes: 0,
  };
  const live = logPath(dir, t.name);
  const program = opts.fallocate ?? 'fallocate';
  let fh: FileHandle;
  try {
    fh = await open(live, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw err;
  }
  let out: FileHandle | undefined;
  const tmp = rotatingPath(dir, t.name);
  try {
    const st0 = await fh.stat();
    const size0 = st0.size;
    if (size0 === 0 || (!opts.force && size0 <= t.maxSize)) return result;
    const block = st0.blksize > 0 ? st0.blksize : 4096;
    // What collapse would remove: whole blocks, not reaching the end of the file.
    const cut = Math.floor((size0 - 1) / block) * block;
    let collapse = opts.method !== 'copy-truncate' && cut > 0;

    if (t.keep === 0) {
      if (collapse && (await collapseFront(live, cut, st0.dev, program)) === 'ok') {
        Object.assign(result, { rotated: true, method: 'collapse', droppedBytes: cut });
        return result;
      }
      const t0 = process.hrtime.bigint();
      const size = fstatSync(fh.fd).size;
      ftruncateSync(fh.fd, 0);
      Object.assign(result, {
        rotated: true,
        method: 'copy-truncate',
        droppedBytes: size,
        finalRounds: 1,
        windowMicros: Number(process.hrtime.bigint() - t0) / 1000,
      });
      return result;
    }

    // Oldest bytes beyond what one rotated file may hold are not copied.
    const budget = t.maxSize * t.keep;
    const from = size0 > budget ? await nextLineStart(fh, size0 - budget, size0) : 0;
    result.droppedBytes = from;
    if (cut <= from) collapse = false;

    // `.rotating` exists from before the shift to the naming of `.1`: a follower that finds it
    // waits, instead of taking a folder with no `.1`, or a hole in the middle, for all copies.
    out = await open(tmp, 'w');

    // 1. Shift: .i becomes .i+1; what would go beyond .keep, or not fit in the cap together
    //    with the copy about to be made, goes first (oldest first).
    const rotated = (await listLogFiles(dir, t.name)).filter((f) => f.index > 0);
    let room = capBytes(t) - (size0 - from);
    const keepers: LogFile[] = [];
    for (const f of rotated) {
      if (room >= 0 && f.index < t.keep && f.size <= room) {
        keepers.push(f);
        room -= f.size;
      } else room = -1; // this one goes, and every older one with it
    }
    for (const f of rotated.slice(keepers.length).reverse()) await unlinkCounted(f.path, f.size, result);
    for (const f of [...keepers].reverse()) await rename(f.path, logPath(dir, t.name, f.index + 1));

    // 2. Copy. Collapse: exactly [from, cut), which no writer touches any more.
    const buf = Buffer.allocUnsafe(BULK);
    let copied = from;
    if (collapse) {
      await copyRange(fh, out, from, cut, from, buf);
      copied = cut;
      await out.sync();
      await rename(tmp, logPath(dir, t.name, 1));
      const r = await collapseFront(live, cut, st0.dev, program);
      if (r === 'ok') {
        Object.assign(result, { rotated: true, method: 'collapse', copiedBytes: cut - from });
        return result;
      }
      // Not possible here after all: `.1` has [from, cut); go on as copy-truncate.
    }
    for (let round = 0; round < 20; round++) {
      const size = (await fh.stat()).size;
      if (size < copied) throw new Error('the live file shrank during rotation');
      if (size - copied <= CATCH_UP) break;
      await copyRange(fh, out, copied, size, from, buf);
      copied = size;
    }
    await out.sync();
    if (!collapse) await rename(tmp, logPath(dir, t.name, 1));

    // 3. The rest and the truncate, synchronously: lines written between the last fstat and
    //    the ftruncate are lost.
    let rounds = 0;
    let t0 = process.hrtime.bigint();
    for (;;) {
      rounds++;
      t0 = process.hrtime.bigint();
      const size = fstatSync(fh.fd).size;
      if (size === copied || rounds >= 1000) break;
      copyRangeSync(fh.fd, out.fd, copied, size, from, buf);
      copied = size;
    }
    ftruncateSync(fh.fd, 0);
    Object.assign(result, {
      rotated: true,
      method: 'copy-truncate',
      copiedBytes: copied - from,
      finalRounds: rounds,
      windowMicros: Number(process.hrtime.bigint() - t0) / 1000,
    });
    return result;
  } catch (err) {
    if (out && (err as NodeJS.ErrnoException).code === 'ENOSPC') {
      // The disk is full: a copy cannot be made, and the log must not keep it full.
      await out.close().catch(() => {});
      out = undefined;
      await unlink(tmp).catch(() => {});
      const size = fstatSync(fh.fd).size;
      ftruncateSync(fh.fd, 0);
      Object.assign(result, { rotated: true, method: 'copy-truncate', droppedBytes: size });
      return result;
    }
    throw err;
  } finally {
    await out?.close().catch(() => {});
    await fh.close().catch(() => {});
  }
}

/**
 * Keep a service within bounds: rotated files beyond `keep` go, then the oldest rotated files
 * until all its files together (the live one included) take at most `maxSize × (keep + 1)`.
 */
export async function enforceRetention(dir: string, t: RotationTarget): Promise<RetentionResult> {
  const r: RetentionResult = { deletedFiles: 0, deletedBytes: 0 };
  const files = await listLogFiles(dir, t.name);
  let total = 0;
  const kept: LogFile[] = [];
  for (const f of files) {
    if (f.index > t.keep) await unlinkCounted(f.path, f.size, r);
    else {
      total += f.size;
      if (f.index > 0) kept.push(f);
    }
  }
  const cap = capBytes(t);
  for (const f of kept.reverse()) {
    if (total <= cap) break;
    await unlinkCounted(f.path, f.size, r);
    total -= f.size;
  }
  return r;
}

/**
 * Whether a listing of a service's files (`listAllLogFiles`) calls for a rotation or for
 * retention: the live file over `maxSize`, a file beyond `keep`, or all of them over the cap.
 */
export function needsWork(files: readonly LogFile[], t: RotationTarget): boolean {
  let total = 0;
  for (const f of files) {
    if (f.index < 0) continue;
    if ((f.index === 0 && f.size > t.maxSize) || f.index > t.keep) return true;
    total += f.size;
  }
  return total > capBytes(t);
}

export interface RotatorOptions {
  /** `<dataDir>/logs`. */
  dir: string;
  /** How often every service is checked (default 5 s). */
  interval?: number;
  /** The soonest a fast-growing service is checked again (default 250 ms). */
  minInterval?: number;
  /**
   * Files of a service that is no longer configured are deleted once it has been unconfigured
   * (as far as this process knows) and its files untouched for this long (default 24 h).
   */
  grace?: number;
  /** File-name stems in `dir` never swept (e.g. the agent's own log). */
  protect?: string[];
  /** See {@link RotateOptions}. */
  method?: 'auto' | 'copy-truncate';
  fallocate?: string;
  onError?: (err: unknown, name: string) => void;
  now?: () => number;
}

export interface ServiceLogStats {
  rotations: number;
  /** Bytes of rotated files deleted (beyond keep, over the cap, or swept). */
  bytesDeleted: number;
  /** Bytes truncated from a live file without being kept in a rotated one. */
  bytesDropped: number;
  /** All files of the service together, at the last check. */
  bytes: number;
  files: number;
  lastRotationAt?: number;
}

export interface RotatorStats {
  rotations: number;
  /** Rotations by method: collapse loses nothing; copy-truncate may (see the module notes). */
  collapses: number;
  copyTruncates: number;
  bytesDeleted: number;
  bytesDropped: number;
  /** Files of unconfigured services deleted by the sweep. */
  sweptFiles: number;
  errors: number;
  checks: number;
  services: Record<string, ServiceLogStats>;
}

/**
 * Checks the configured services every `interval`, rotates those over `maxSize`, enforces
 * `keep` and the byte cap, and sweeps the files of services no longer configured. Every
 * operation goes through one queue, so a service is never rotated twice at once.
 */
export class Rotator {
  private targets = new Map<string, RotationTarget>();
  private readonly unconfiguredSince = new Map<string, number>();
  private readonly growth = new Map<string, { size: number; at: number }>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly counters: RotatorStats = {
    rotations: 0,
    collapses: 0,
    copyTruncates: 0,
    bytesDeleted: 0,
    bytesDropped: 0,
    sweptFiles: 0,
    errors: 0,
    checks: 0,
    services: {},
  };
  private readonly interval: number;
  private readonly minInterval: number;
  private readonly grace: number;
  private readonly now: () => number;

  constructor(private readonly opts: RotatorOptions) {
    this.interval = opts.interval ?? 5000;
    this.minInterval = Math.min(opts.minInterval ?? 250, this.interval);
    this.grace = opts.grace ?? 24 * 3600_000;
    this.now = opts.now ?? Date.now;
  }

  /** The services to look after now; any left out become unconfigured (swept after `grace`). */
  setServices(list: readonly RotationTarget[]): void {
    const next = new Map<string, RotationTarget>();
    for (const t of list) {
      if (!(t.maxSize > 0) || !(t.keep >= 0)) throw new Error(`bad log settings for ${t.name}`);
      next.set(t.name, { name: t.name, maxSize: t.maxSize, keep: Math.floor(t.keep) });
    }
    this.targets = next;
    for (const name of next.keys()) this.unconfiguredSince.delete(name);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stop the timer and wait for the operation in progress. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.queue.catch(() => {});
  }

  /** One pass now: rotate, enforce retention, sweep. Resolves to the delay until the next. */
  check(): Promise<number> {
    return this.enqueue(() => this.checkNow());
  }

  /** Rotate one service now, whatever its size (the `rotate` command). */
  rotate(name: string): Promise<RotateResult> {
    return this.enqueue(async () => {
      const t = this.targets.get(name);
      if (!t) throw new Error(`no service ${name}`);
      const r = await rotateIfNeeded(this.opts.dir, t, { ...this.rotateOptions(), force: true });
      this.account(name, r);
      const ret = await enforceRetention(this.opts.dir, t);
      this.account(name, ret);
      return r;
    });
  }

  stats(): RotatorStats {
    return structuredClone(this.counters);
  }

  private rotateOptions(): RotateOptions {
    const o: RotateOptions = {};
    if (this.opts.method) o.method = this.opts.method;
    if (this.opts.fallocate) o.fallocate = this.opts.fallocate;
    return o;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => {});
    return p;
  }

  private schedule(delay: number) {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.check().then(
        (next) => this.schedule(next),
        (err) => {
          this.error(err, '*');
          this.schedule(this.interval);
        },
      );
    }, delay);
    this.timer.unref();
  }

  private service(name: string): ServiceLogStats {
    let s = this.counters.services[name];
    if (!s) {
      s = { rotations: 0, bytesDeleted: 0, bytesDropped: 0, bytes: 0, files: 0 };
      this.counters.services[name] = s;
    }
    return s;
  }

  private account(name: string, r: Partial<RotateResult> & RetentionResult) {
    const s = this.service(name);
    if (r.rotated) {
      s.rotations++;
      this.counters.rotations++;
      if (r.method === 'collapse') this.counters.collapses++;
      else this.counters.copyTruncates++;
      s.lastRotationAt = this.now();
    }
    s.bytesDeleted += r.deletedBytes;
    this.counters.bytesDeleted += r.deletedBytes;
    s.bytesDropped += r.droppedBytes ?? 0;
    this.counters.bytesDropped += r.droppedBytes ?? 0;
  }

  private error(err: unknown, name: string) {
    this.counters.errors++;
    this.opts.onError?.(err, name);
  }

  /**
   * One listing of the folder (a readdir and a stat per file) tells which services need work;
   * only those are opened, so an idle host costs one pass over the folder per check.
   */
  private async checkNow(): Promise<number> {
    const dir = this.opts.dir;
    this.counters.checks++;
    const now = this.now();
    let next = this.interval;
    let all = listAllLogFiles(dir);
    // Bytes per ms each live file grew since the last check (its size then was taken after
    // that check's rotation).
    const rates = new Map<string, number>();
    let changed = false;
    for (const t of this.targets.values()) {
      const files = all.get(t.name) ?? [];
      const before = files.find((f) => f.index === 0)?.size ?? 0;
      const prev = this.growth.get(t.name);
      if (prev && before >= prev.size && now > prev.at)
        rates.set(t.name, (before - prev.size) / (now - prev.at));
      if (!needsWork(files, t)) continue;
      changed = true;
      try {
        this.account(t.name, await rotateIfNeeded(dir, t, this.rotateOptions()));
        this.account(t.name, await enforceRetention(dir, t));
      } catch (err) {
        this.error(err, t.name);
      }
    }
    if (changed) all = listAllLogFiles(dir);
    for (const t of this.targets.values()) {
      const files = (all.get(t.name) ?? []).filter((f) => f.index >= 0);
      const s = this.service(t.name);
      s.bytes = files.reduce((a, f) => a + f.size, 0);
      s.files = files.length;
      // When does the live file reach maxSize at its current rate?
      const live = files.find((f) => f.index === 0)?.size ?? 0;
      this.growth.set(t.name, { size: live, at: now });
      const rate = rates.get(t.name);
      if (rate !== undefined && rate > 0)
        next = Math.min(next, Math.max(this.minInterval, (t.maxSize - live) / rate));
    }
    for (const name of this.growth.keys()) if (!this.targets.has(name)) this.growth.delete(name);
    await this.sweep(all, now);
    return next;
  }

  /** Files of services no longer configured, and rotation leftovers. */
  private async sweep(all: Map<string, LogFile[]>, now: number) {
    const protect = new Set(this.opts.protect ?? []);
    for (const [name, files] of all) {
      if (protect.has(name)) continue;
      if (this.targets.has(name)) {
        // A `.rotating` file here is left by a rotation that died (none runs now: one queue).
        for (const f of files) if (f.index < 0) await unlink(f.path).catch(() => {});
        continue;
      }
      const since = this.unconfiguredSince.get(name) ?? now;
      this.unconfiguredSince.set(name, since);
      const touched = Math.max(since, ...files.map((f) => f.mtimeMs));
      if (now - touched < this.grace) continue;
      const r: RetentionResult = { deletedFiles: 0, deletedBytes: 0 };
      try {
        // Rotated files first: the live one last, so a crash leaves no gap at the new end.
        for (const f of [...files].reverse()) await unlinkCounted(f.path, f.size, r);
      } catch (err) {
        this.error(err, name);
      }
      this.counters.sweptFiles += r.deletedFiles;
      this.account(name, r);
      this.unconfiguredSince.delete(name);
    }
    for (const name of this.unconfiguredSince.keys()) if (!all.has(name)) this.unconfiguredSince.delete(name);
  }
}

/** `RotationTarget`s from services as `spec.ts` parses them (`Service.logs`). */
export function rotationTargets(services: readonly Pick<Service, 'name' | 'logs'>[]): RotationTarget[] {
  return services.map((s) => ({ name: s.name, maxSize: s.logs.maxSize, keep: s.logs.keep }));
}
