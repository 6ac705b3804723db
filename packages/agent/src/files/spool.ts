import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { SpoolEntry, SpoolState } from './model.ts';

/**
 * The durable spool: every file taken, its state and upload progress, surviving `kill -9` and
 * power loss. It is one append-only journal, `journal.log`, of checksummed lines:
 *
 *     <crc32 hex> \t <kind> \t <id> \t <state> \t <updatedAt ms> \t <source> \t <stat key|-> \t <JSON>
 *
 * kind `E` is the entry's whole new version, `P` says it was pruned (a tombstone that keeps the
 * file from being taken again while it is on disk), `F` forgets a tombstone. A change resolves
 * only after its line is written and fdatasync'ed; changes arriving meanwhile share the next
 * write and sync. Opening reads only the headers (the JSON of active entries alone is parsed):
 * memory holds an index of every id and the full entries of queued and uploading files only, so
 * 100k entries open quickly and take little room. A line that fails its checksum (the torn last
 * write of a crash) is skipped and the file cut after the last good line. When the journal is
 * more than twice its live lines, it is rewritten (compacted) to `journal.compact`, synced and
 * renamed over, and the folder synced.
 */

export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;
const COMPACT_MIN_BYTES = 1024 * 1024;
const JOURNAL = 'journal.log';
const COMPACTING = 'journal.compact';
const LOCK = 'spool.lock';

/** Stable id: hex SHA-256 of `source \0 relPath \0 size \0 mtimeMs[\0 hash]`, first 32 chars. */
export function fileId(
  source: string,
  relPath: string,
  size: number,
  mtimeMs: number,
  hash?: string,
): string {
  const parts = [source, relPath, String(size), String(mtimeMs)];
  if (hash !== undefined) parts.push(hash);
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

export type NewEntry = Pick<
  SpoolEntry,
  'source' | 'relPath' | 'size' | 'mtimeMs' | 'hash' | 'destination' | 'labels'
>;
/** What uploading may change; the file's identity, seq and times are the spool's. */
export type EntryChange = Partial<
  Pick<SpoolEntry, 'state' | 'attempts' | 'lastError' | 'progress' | 'object'>
>;

export interface SpoolCounts {
  queued: number;
  uploading: number;
  uploaded: number;
  failed: number;
  /** Tombstones of pruned entries. */
  pruned: number;
}

export interface SpoolOptions {
  dir: string;
  /** Taken but not yet uploaded files at which `full()` says stop. */
  queueSize: number;
  /** How long uploaded and failed entries are kept. */
  retentionMs?: number;
  now?: () => number;
}

type SlotState = SpoolState | 'pruned';
interface Slot {
  state: SlotState;
  source: string;
  updatedAt: number;
  /** The file as `fileId` without its hash: what a walk can compute without reading content. */
  statKey: string;
  /** Where its latest line is in the journal; -1 before it was ever written. */
  off: number;
  len: number;
  /** Which version the slot is at, so a finished write knows whether it is still the latest. */
  rec: number;
  /** Kept for active entries, and for any entry until its line is written. */
  entry?: SpoolEntry;
}

interface Pending {
  id: string;
  rec: number;
  line: Buffer;
}

const ACTIVE = new Set<SlotState>(['queued', 'uploading']);

function encode(kind: 'E' | 'P' | 'F', id: string, slot: Slot, json: string): Buffer {
  const statKey = slot.statKey === id ? '-' : slot.statKey;
  const body = `${kind}\t${id}\t${slot.state}\t${slot.updatedAt}\t${slot.source}\t${statKey}\t${json}`;
  const bytes = Buffer.from(body);
  const crc = crc32(bytes).toString(16).padStart(8, '0');
  return Buffer.concat([Buffer.from(`${crc}\t`), bytes, Buffer.from('\n')]);
}

/** A process as `pid starttime`: the start time tells a live owner from a new process that reuses its pid after a reboot. */
async function processKey(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return `${pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

/**
 * Two agents appending to one journal would each keep its own index and corrupt the other's
 * view: the folder is locked by `spool.lock`, naming its owner. A lock left by a process that
 * is gone (`kill -9`, a power cut) is taken over.
 */
async function lock(dir: string): Promise<void> {
  const path = join(dir, LOCK);
  const mine = (await processKey(process.pid)) ?? `${process.pid} ?`;
  const held = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (held && held !== mine) {
    const pid = Number(held.split(' ')[0]);
    if (Number.isInteger(pid) && pid > 0 && (await processKey(pid)) === held)
      throw new Error(`the spool ${dir} is in use by process ${pid}; two agents cannot share one spool`);
  }
  await writeFile(path, `${mine}\n`);
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

export class Spool {
  private readonly index = new Map<string, Slot>();
  /** Active ids in the order they were queued: `next` is oldest first. */
  private readonly active = new Map<string, Slot>();
  /** statKey → id for entries whose id includes a content hash. */
  private readonly byStat = new Map<string, string>();
  private readonly counts_: SpoolCounts = { queued: 0, uploading: 0, uploaded: 0, failed: 0, pruned: 0 };
  private pending: Pending[] = [];
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private size = 0;
  private liveBytes = 0;
  private recs = 0;
  private broken: unknown;
  private closed = false;
  private corrupt = 0;
  private readonly retentionMs: number;
  private readonly now: () => number;

  private constructor(
    private readonly dir: string,
    private fh: FileHandle,
    private readonly queueSize: number,
    opts: SpoolOptions,
  ) {
    this.retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = opts.now ?? Date.now;
  }

  static async open(opts: SpoolOptions): Promise<Spool> {
    await mkdir(opts.dir, { recursive: true });
    await lock(opts.dir);
    // A compaction that did not reach its rename left a partial copy; the journal is intact.
    await rm(join(opts.dir, COMPACTING), { force: true });
    const path = join(opts.dir, JOURNAL);
    const fh = await open(path, 'a+');
    const spool = new Spool(opts.dir, fh, opts.queueSize, opts);
    const stat = await fh.stat();
    if (stat.size === 0) await syncDir(opts.dir);
    else await spool.replay(await fh.readFile());
    spool.prune();
    return spool;
  }

  private async replay(buf: Buffer): Promise<void> {
    let pos = 0;
    let goodEnd = 0;
    let corrupt = 0;
    // Slots are updated in place here and counted once at the end: per-line bookkeeping made
    // opening a large spool several times slower.
    while (pos < buf.length) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break;
      const line = this.parseLine(buf, pos, nl);
      if (!line) corrupt++;
      else {
        goodEnd = nl + 1;
        const { kind, id, state, updatedAt, source, statKey } = line;
        const slot = this.index.get(id);
        if (kind === 'F') this.index.delete(id);
        else if (slot) {
          slot.state = state;
          slot.updatedAt = updatedAt;
          slot.statKey = statKey;
          slot.off = pos;
          slot.len = nl + 1 - pos;
        } else this.index.set(id, { state, source, updatedAt, statKey, off: pos, len: nl + 1 - pos, rec: 0 });
      }
      pos = nl + 1;
    }
    for (const [id, slot] of this.index) {
      slot.rec = ++this.recs;
      this.counts_[slot.state]++;
      this.liveBytes += slot.len;
      if (slot.statKey !== id) this.byStat.set(slot.statKey, id);
      if (ACTIVE.has(slot.state)) {
        slot.entry = this.decode(buf.subarray(slot.off, slot.off + slot.len));
        this.active.set(id, slot);
      }
    }
    this.corrupt = corrupt;
    this.size = goodEnd;
    if (goodEnd < buf.length) {
      await this.fh.truncate(goodEnd);
      await this.fh.datasync();
    }
  }

  private parseLine(buf: Buffer, start: number, end: number) {
    const tabs: number[] = [];
    let p = start;
    while (tabs.length < 7) {
      const t = buf.indexOf(9, p);
      if (t < 0 || t >= end) return undefined;
      tabs.push(t);
      p = t + 1;
    }
    const crc = Number.parseInt(buf.toString('latin1', start, tabs[0]), 16);
    if (crc !== crc32(buf.subarray(tabs[0]! + 1, end))) return undefined;
    const [kind, id, state, updatedAt, source, statKey] = buf
      .toString('utf8', tabs[0]! + 1, tabs[6])
      .split('\t') as ['E' | 'P' | 'F', string, SlotState, string, string, string];
    return {
      kind,
      id,
      state,
      updatedAt: Number(updatedAt),
      source,
      statKey: statKey === '-' ? id : statKey,
      jsonStart: tabs[6]! + 1,
    };
  }

  /** Puts `slot` in the index in place of `old`, keeping counts, the active order and the stat keys right. */
  private place(id: string, old: Slot | undefined, slot: Slot): void {
    if (old) this.counts_[old.state]--;
    this.counts_[slot.state]++;
    this.index.set(id, slot);
    if (ACTIVE.has(slot.state)) {
      // A file going back to queued keeps its place if it still has one.
      this.active.set(id, slot);
    } else this.active.delete(id);
    if (slot.statKey !== id) this.byStat.set(slot.statKey, id);
  }

  private drop(id: string, old: Slot): void {
    this.counts_[old.state]--;
    this.index.delete(id);
    this.active.delete(id);
    if (old.statKey !== id) this.byStat.delete(old.statKey);
  }

  private check(): void {
    if (this.closed) throw new Error('the spool is closed');
    if (this.broken) throw new Error(`the spool could not write its journal: ${String(this.broken)}`);
  }

  /** Queues a line and resolves once it is on disk. */
  private write(kind: 'E' | 'P' | 'F', id: string, slot: Slot, json: string): Promise<void> {
    const line = encode(kind, id, slot, json);
    this.pending.push({ id, rec: slot.rec, line });
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
    });
    return done;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        if (this.broken) throw this.broken;
        const buf = Buffer.concat(batch.map((b) => b.line));
        await this.fh.write(buf, 0, buf.length);
        await this.fh.datasync();
        let off = this.size;
        for (const b of batch) {
          const slot = this.index.get(b.id);
          if (slot && slot.rec === b.rec) {
            this.liveBytes += b.line.length - (slot.off >= 0 ? slot.len : 0);
            slot.off = off;
            slot.len = b.line.length;
            if (!ACTIVE.has(slot.state)) slot.entry = undefined;
          }
          off += b.line.length;
        }
        this.size = off;
        for (const w of waiters) w.resolve();
      } catch (err) {
        // A half-written line would glue itself to the next: refuse further writes until reopened.
        this.broken ??= err;
        for (const w of waiters) w.reject(err);
      }
      if (this.pending.length === 0 && this.size > COMPACT_MIN_BYTES && this.size > 2 * this.liveBytes) {
        await this.compact().catch((err) => {
          this.broken ??= err;
        });
      }
    }
  }

  /** Rewrites the journal with the latest line of each id. Runs inside `flush`, so nothing else writes meanwhile. */
  private async compact(): Promise<void> {
    const slots = [...this.index.values()].filter((s) => s.off >= 0).sort((a, b) => a.off - b.off);
    const tmp = join(this.dir, COMPACTING);
    const out = await open(tmp, 'w');
    const moved = new Map<Slot, number>();
    try {
      const WINDOW = 4 * 1024 * 1024;
      let win = Buffer.alloc(0);
      let winStart = 0;
      let outOff = 0;
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      for (const s of slots) {
        if (s.off < winStart || s.off + s.len > winStart + win.length) {
          const want = Math.max(WINDOW, s.len);
          const b = Buffer.alloc(want);
          const { bytesRead } = await this.fh.read(b, 0, want, s.off);
          win = b.subarray(0, bytesRead);
          winStart = s.off;
        }
        chunk.push(win.subarray(s.off - winStart, s.off - winStart + s.len));
        chunkBytes += s.len;
        moved.set(s, outOff);
        outOff += s.len;
        if (chunkBytes >= WINDOW) {
          await out.write(Buffer.concat(chunk));
          chunk = [];
          chunkBytes = 0;
        }
      }
      if (chunk.length > 0) await out.write(Buffer.concat(chunk));
      await out.sync();
      await out.close();
      await rename(tmp, join(this.dir, JOURNAL));
      await syncDir(this.dir);
      const reopened = await open(join(this.dir, JOURNAL), 'a+');
      // Handle and offsets switch together: a read started before uses the old handle, still open on the old file.
      const old = this.fh;
      this.fh = reopened;
      for (const [s, off] of moved) s.off = off;
      this.size = outOff;
      this.liveBytes = outOff;
      await old.close();
    } catch (err) {
      await out.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Takes a file unless its id is already known (queued, done, failed or pruned): the same file
   * seen again by a rescan or after a restart is not queued twice. Resolves once it is durable.
   */
  async add(input: NewEntry): Promise<{ added: boolean; entry?: SpoolEntry }> {
    this.check();
    const id = fileId(input.source, input.relPath, input.size, input.mtimeMs, input.hash);
    const existing = this.index.get(id);
    if (existing)
      return { added: false, entry: existing.entry ? structuredClone(existing.entry) : undefined };
    const at = this.now();
    const iso = new Date(at).toISOString();
    const entry: SpoolEntry = {
      id,
      source: input.source,
      relPath: input.relPath,
      size: input.size,
      mtimeMs: input.mtimeMs,
      ...(input.hash !== undefined ? { hash: input.hash } : {}),
      destination: input.destination,
      labels: { ...input.labels },
      state: 'queued',
      attempts: 0,
      seq: 1,
      detectedAt: iso,
      updatedAt: iso,
    };
    const statKey = fileId(input.source, input.relPath, input.size, input.mtimeMs);
    const slot: Slot = {
      state: 'queued',
      source: input.source,
      updatedAt: at,
      statKey,
      off: -1,
      len: 0,
      rec: ++this.recs,
      entry,
    };
    this.place(id, undefined, slot);
    await this.write('E', id, slot, JSON.stringify(entry));
    return { added: true, entry: structuredClone(entry) };
  }

  /** Changes an entry, bumping its seq and updatedAt; resolves with the new version once durable. */
  async update(id: string, change: EntryChange): Promise<SpoolEntry> {
    this.check();
    let slot = this.index.get(id);
    if (!slot || slot.state === 'pruned') throw new Error(`no spool entry ${id}`);
    let current = slot.entry;
    while (!current) {
      const rec = slot.rec;
      const read = await this.read(slot);
      slot = this.index.get(id);
      if (!slot || slot.state === 'pruned') throw new Error(`no spool entry ${id}`);
      current = slot.rec === rec ? read : slot.entry;
    }
    const at = this.now();
    const next: SpoolEntry = {
      ...current,
      ...change,
      seq: current.seq + 1,
      updatedAt: new Date(at).toISOString(),
    };
    const fresh: Slot = { ...slot, state: next.state, updatedAt: at, rec: ++this.recs, entry: next };
    this.place(id, slot, fresh);
    await this.write('E', id, fresh, JSON.stringify(next));
    return structuredClone(next);
  }

  private async read(slot: Slot): Promise<SpoolEntry> {
    const buf = Buffer.alloc(slot.len);
    await this.fh.read(buf, 0, slot.len, slot.off);
    return this.decode(buf);
  }

  private decode(buf: Buffer): SpoolEntry {
    const line = this.parseLine(buf, 0, buf.length - 1);
    if (!line) throw new Error('a spool line changed under its checksum');
    return JSON.parse(buf.toString('utf8', line.jsonStart, buf.length - 1)) as SpoolEntry;
  }

  /**
   * Entries changed at or after `sinceMs` (epoch), in the order they were first taken; the
   * agent re-reports them at start. Synchronous: done entries are read from the journal with
   * blocking reads, acceptable once at start.
   */
  recent(sinceMs: number): SpoolEntry[] {
    const out: SpoolEntry[] = [];
    for (const slot of this.index.values()) {
      if (slot.state === 'pruned' || slot.updatedAt < sinceMs) continue;
      if (slot.entry) {
        out.push(structuredClone(slot.entry));
        continue;
      }
      const buf = Buffer.alloc(slot.len);
      readSync(this.fh.fd, buf, 0, slot.len, slot.off);
      out.push(this.decode(buf));
    }
    return out;
  }

  async get(id: string): Promise<SpoolEntry | undefined> {
    const slot = this.index.get(id);
    if (!slot || slot.state === 'pruned') return undefined;
    return structuredClone(slot.entry ?? (await this.read(slot)));
  }

  /** Whether this file (as a walk sees it: no content hash) is known in any state. */
  known(source: string, relPath: string, size: number, mtimeMs: number): boolean {
    const key = fileId(source, relPath, size, mtimeMs);
    return this.index.has(key) || this.byStat.has(key);
  }

  /** Queued and uploading entries, oldest first. */
  next(n: number): SpoolEntry[] {
    const out: SpoolEntry[] = [];
    for (const slot of this.active.values()) {
      if (out.length >= n) break;
      out.push(structuredClone(slot.entry!));
    }
    return out;
  }

  /** Lines skipped at open because their checksum failed (a torn last write, or a damaged disk). */
  get corruptLines(): number {
    return this.corrupt;
  }

  counts(): SpoolCounts {
    return { ...this.counts_ };
  }

  /** Queued + uploading reached queueSize: take no more files until uploads make room. */
  full(): boolean {
    return this.counts_.queued + this.counts_.uploading >= this.queueSize;
  }

  /**
   * Uploaded and failed entries older than the retention become tombstones: their details are
   * gone, but the file is not taken again while it stays on disk (`forgetMissing` drops them
   * once it is gone). Returns how many were pruned.
   */
  prune(): number {
    this.check();
    const cutoff = this.now() - this.retentionMs;
    let n = 0;
    for (const [id, slot] of this.index) {
      if ((slot.state === 'uploaded' || slot.state === 'failed') && slot.updatedAt < cutoff) {
        const tomb: Slot = {
          ...slot,
          state: 'pruned',
          updatedAt: this.now(),
          rec: ++this.recs,
          entry: undefined,
        };
        this.place(id, slot, tomb);
        this.write('P', id, tomb, '').catch(() => undefined);
        n++;
      }
    }
    return n;
  }

  /**
   * After a complete walk of `source`: tombstones of files the walk did not see (their stat keys
   * are not in `present`) are forgotten, so tombstones are bounded by the files on disk.
   */
  async forgetMissing(source: string, present: Set<string>): Promise<number> {
    this.check();
    const writes: Promise<void>[] = [];
    for (const [id, slot] of this.index) {
      if (slot.state !== 'pruned' || slot.source !== source || present.has(slot.statKey)) continue;
      this.drop(id, slot);
      this.liveBytes -= slot.off >= 0 ? slot.len : 0;
      writes.push(this.write('F', id, { ...slot, rec: ++this.recs }, ''));
    }
    await Promise.all(writes);
    return writes.length;
  }

  /** Waits for pending writes; prune's writes included. */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.broken) throw this.broken;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.settle().catch(() => undefined);
    this.closed = true;
    await this.fh.close();
    await rm(join(this.dir, LOCK), { force: true });
  }
}
