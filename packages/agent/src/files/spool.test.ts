import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileId, type NewEntry, Spool } from './spool.ts';

let base: string;
let n = 0;
const freshDir = () => join(base, `spool-${n++}`);
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'files-spool-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const file = (relPath: string, fields: Partial<NewEntry> = {}): NewEntry => ({
  source: 'dumps',
  relPath,
  size: 100,
  mtimeMs: 1_700_000_000_000.5,
  destination: 'main',
  labels: { app: 'a' },
  ...fields,
});

describe('Spool', () => {
  it('takes a file once, by its identity', async () => {
    const spool = await Spool.open({ dir: freshDir(), queueSize: 10 });
    const first = await spool.add(file('a.hprof'));
    expect(first.added).toBe(true);
    expect(first.entry).toMatchObject({ state: 'queued', seq: 1, attempts: 0, relPath: 'a.hprof' });
    expect(first.entry!.id).toBe(fileId('dumps', 'a.hprof', 100, 1_700_000_000_000.5));
    expect((await spool.add(file('a.hprof'))).added).toBe(false);
    // Written again later: a new file.
    expect((await spool.add(file('a.hprof', { size: 200 }))).added).toBe(true);
    expect(spool.counts()).toMatchObject({ queued: 2 });
    await spool.close();
  });

  it('update bumps seq and updatedAt and keeps the identity', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const spool = await Spool.open({ dir: freshDir(), queueSize: 10, now: () => now });
    const { entry } = await spool.add(file('a'));
    now += 5000;
    const up = await spool.update(entry!.id, { state: 'uploading', attempts: 1 });
    expect(up).toMatchObject({
      seq: 2,
      state: 'uploading',
      attempts: 1,
      updatedAt: '2026-01-01T00:00:05.000Z',
    });
    expect(up.detectedAt).toBe('2026-01-01T00:00:00.000Z');
    await expect(spool.update('nope', { state: 'failed' })).rejects.toThrow(/no spool entry/);
    await spool.close();
  });

  it('next gives queued and uploading entries oldest first; full() at queueSize', async () => {
    const spool = await Spool.open({ dir: freshDir(), queueSize: 3 });
    const ids: string[] = [];
    for (const p of ['1', '2', '3']) ids.push((await spool.add(file(p))).entry!.id);
    expect(spool.full()).toBe(true);
    await spool.update(ids[0]!, { state: 'uploaded' });
    await spool.update(ids[2]!, { state: 'uploading' });
    expect(spool.full()).toBe(false);
    expect(spool.next(10).map((e) => e.relPath)).toEqual(['2', '3']);
    expect(spool.next(1).map((e) => e.relPath)).toEqual(['2']);
    expect(spool.counts()).toEqual({ queued: 1, uploading: 1, uploaded: 1, failed: 0, pruned: 0 });
    await spool.close();
  });

  it('reopens with every entry, its progress and its order', async () => {
    const dir = freshDir();
    const spool = await Spool.open({ dir, queueSize: 10 });
    const a = (await spool.add(file('a'))).entry!;
    const b = (await spool.add(file('b', { hash: 'ab'.repeat(32) }))).entry!;
    const progress = {
      uploadId: 'u-1',
      bucket: 'bk',
      key: 'k',
      partSize: 5 * 1024 * 1024,
      checksum: 'CRC32C' as const,
      parts: [{ partNumber: 1, etag: '"e1"', size: 5 * 1024 * 1024, checksum: 'AAAA' }],
    };
    await spool.update(a.id, { state: 'uploading', progress });
    await spool.update(b.id, {
      state: 'uploaded',
      object: { bucket: 'bk', key: 'b', url: 'http://x/bk/b', etag: '"e"', size: 100 },
    });
    await spool.close();

    const again = await Spool.open({ dir, queueSize: 10 });
    expect(again.next(10)).toEqual([expect.objectContaining({ id: a.id, seq: 2, progress })]);
    expect(await again.get(b.id)).toMatchObject({ state: 'uploaded', seq: 2, object: { key: 'b' } });
    // A hashed file is still recognised from what a walk sees.
    expect(again.known('dumps', 'b', 100, 1_700_000_000_000.5)).toBe(true);
    expect(again.known('dumps', 'b', 101, 1_700_000_000_000.5)).toBe(false);
    expect((await again.update(b.id, { attempts: 3 })).seq).toBe(3);
    await again.close();
  });

  it('recent gives entries changed since a time, done ones read back from the journal', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const spool = await Spool.open({ dir: freshDir(), queueSize: 10, now: () => now });
    const a = (await spool.add(file('a'))).entry!;
    now += 60_000;
    const b = (await spool.add(file('b'))).entry!;
    await spool.update(b.id, { state: 'uploaded' });
    await spool.add(file('c'));
    expect(spool.recent(now).map((e) => [e.relPath, e.state, e.seq])).toEqual([
      ['b', 'uploaded', 2],
      ['c', 'queued', 1],
    ]);
    expect(spool.recent(0).map((e) => e.id)[0]).toBe(a.id);
    await spool.close();
  });

  it('a torn last line is skipped and cut, the rest intact and writable', async () => {
    const dir = freshDir();
    const spool = await Spool.open({ dir, queueSize: 10 });
    await spool.add(file('a'));
    await spool.add(file('b'));
    await spool.close();
    const journal = join(dir, 'journal.log');
    const before = (await stat(journal)).size;
    await appendFile(journal, '1234abcd\tE\tdeadbeef\tque');
    const again = await Spool.open({ dir, queueSize: 10 });
    expect(again.corruptLines).toBe(0);
    expect((await stat(journal)).size).toBe(before);
    expect(again.next(10).map((e) => e.relPath)).toEqual(['a', 'b']);
    await again.add(file('c'));
    await again.close();
    const third = await Spool.open({ dir, queueSize: 10 });
    expect(third.next(10).map((e) => e.relPath)).toEqual(['a', 'b', 'c']);
    await third.close();
  });

  it('a line whose checksum fails is skipped, not trusted', async () => {
    const dir = freshDir();
    const spool = await Spool.open({ dir, queueSize: 10 });
    await spool.add(file('a'));
    await spool.close();
    const journal = join(dir, 'journal.log');
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(journal, 'utf8');
    await writeFile(journal, `${text}${text.replace('"relPath":"a"', '"relPath":"z"')}`);
    const again = await Spool.open({ dir, queueSize: 10 });
    expect(again.corruptLines).toBe(1);
    expect(again.next(10).map((e) => e.relPath)).toEqual(['a']);
    await again.close();
  });

  it('prunes done entries after the retention into tombstones that still block the file', async () => {
    const dir = freshDir();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const opts = { dir, queueSize: 10, retentionMs: 60_000, now: () => now };
    const spool = await Spool.open(opts);
    const a = (await spool.add(file('a'))).entry!;
    const b = (await spool.add(file('b'))).entry!;
    await spool.add(file('c'));
    await spool.update(a.id, { state: 'uploaded' });
    await spool.update(b.id, { state: 'failed', lastError: 'AccessDenied' });
    now += 61_000;
    expect(spool.prune()).toBe(2);
    await spool.settle();
    expect(spool.counts()).toEqual({ queued: 1, uploading: 0, uploaded: 0, failed: 0, pruned: 2 });
    expect(await spool.get(a.id)).toBeUndefined();
    expect((await spool.add(file('a'))).added).toBe(false);
    await spool.close();

    const again = await Spool.open(opts);
    expect(again.counts().pruned).toBe(2);
    // The walk saw b still on disk, not a: a's tombstone goes, and a may be taken again.
    const present = new Set([fileId('dumps', 'b', 100, 1_700_000_000_000.5)]);
    expect(await again.forgetMissing('dumps', present)).toBe(1);
    expect(again.known('dumps', 'a', 100, 1_700_000_000_000.5)).toBe(false);
    expect(again.known('dumps', 'b', 100, 1_700_000_000_000.5)).toBe(true);
    await again.close();
    const third = await Spool.open(opts);
    expect(third.counts()).toEqual({ queued: 1, uploading: 0, uploaded: 0, failed: 0, pruned: 1 });
    await third.close();
  });

  it('compacts a journal grown by updates, keeping the latest of each entry', async () => {
    const dir = freshDir();
    const spool = await Spool.open({ dir, queueSize: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push((await spool.add(file(`f${i}`, { labels: { pad: 'x'.repeat(2000) } }))).entry!.id);
    for (let round = 1; round <= 40; round++) {
      await Promise.all(ids.map((id) => spool.update(id, { attempts: round })));
    }
    await spool.settle();
    const size = (await stat(join(dir, 'journal.log'))).size;
    // 20 entries × 41 versions × ~2.2 KB would be ~1.8 MB uncompacted.
    expect(size).toBeLessThan(2 * 1024 * 1024);
    expect(size).toBeLessThan(41 * 20 * 2000);
    expect((await spool.get(ids[7]!))!.attempts).toBe(40);
    await spool.close();
    const again = await Spool.open({ dir, queueSize: 100 });
    expect(again.next(100).map((e) => [e.relPath, e.attempts, e.seq])).toEqual(
      ids.map((_, i) => [`f${i}`, 40, 41]),
    );
    await again.close();
  });

  it('opens a spool of 100k entries quickly', { timeout: 120_000 }, async () => {
    const dir = freshDir();
    const spool = await Spool.open({ dir, queueSize: 200_000 });
    for (let start = 0; start < 100_000; start += 2000) {
      const adds: Promise<unknown>[] = [];
      for (let i = start; i < start + 2000; i++) adds.push(spool.add(file(`dir/${i}.log`, { size: i })));
      await Promise.all(adds);
    }
    // Most are done, as on a long-running agent.
    const done = spool.next(100_000).slice(0, 90_000);
    await Promise.all(done.map((e) => spool.update(e.id, { state: 'uploaded' })));
    await spool.close();

    const t0 = performance.now();
    const again = await Spool.open({ dir, queueSize: 200_000 });
    const ms = performance.now() - t0;
    console.log(`spool of 100k entries (10k active): opened in ${ms.toFixed(0)} ms`);
    expect(again.counts()).toMatchObject({ queued: 10_000, uploaded: 90_000 });
    expect(ms).toBeLessThan(10_000);
    expect(again.known('dumps', 'dir/5.log', 5, 1_700_000_000_000.5)).toBe(true);
    await again.close();
  });

  it('refuses a spool another live process holds, and takes over the lock of a killed one', {
    timeout: 30_000,
  }, async () => {
    const dir = freshDir();
    const child = join(base, 'holder.mts');
    const spoolModule = fileURLToPath(new URL('./spool.ts', import.meta.url));
    await writeFile(
      child,
      `import { Spool } from ${JSON.stringify(spoolModule)};
await Spool.open({ dir: ${JSON.stringify(dir)}, queueSize: 10 });
process.stdout.write('open\\n');
setInterval(() => {}, 1000);
`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', child], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise((r) => proc.stdout.once('data', r));
      await expect(Spool.open({ dir, queueSize: 10 })).rejects.toThrow(/in use by process \d+/);
    } finally {
      proc.kill('SIGKILL');
    }
    await new Promise((r) => proc.once('exit', r));
    const spool = await Spool.open({ dir, queueSize: 10 });
    expect((await spool.add(file('a'))).added).toBe(true);
    await spool.close();
    // Closed: the next agent opens it at once.
    await (await Spool.open({ dir, queueSize: 10 })).close();
  });

  it('keeps every acknowledged entry through kill -9 in the middle of writing', {
    timeout: 60_000,
  }, async () => {
    const dir = freshDir();
    const child = join(base, 'crash-child.mts');
    const spoolModule = fileURLToPath(new URL('./spool.ts', import.meta.url));
    await writeFile(
      child,
      `import { Spool } from ${JSON.stringify(spoolModule)};
const spool = await Spool.open({ dir: ${JSON.stringify(dir)}, queueSize: 1e9 });
for (let i = 0; ; i++) {
  const entry = { source: 'dumps', relPath: 'f' + i, size: i, mtimeMs: 1, destination: 'main', labels: { pad: 'x'.repeat(i % 500) } };
  // Several writes in flight at once, as uploads and the watcher write together.
  const [a, b] = await Promise.all([spool.add(entry), spool.add({ ...entry, relPath: 'g' + i })]);
  const u = await spool.update(a.entry.id, { state: 'uploading', attempts: i });
  process.stdout.write(a.entry.id + ' ' + u.seq + ' ' + i + '\\n' + b.entry.id + ' 1 ' + i + '\\n');
}
`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', child], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => proc.once('exit', r));
    const acked: [string, number, number][] = [];
    const lines = createInterface({ input: proc.stdout });
    await new Promise<void>((resolve, reject) => {
      proc.once('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`the child ended on its own (${code})`));
      });
      lines.on('line', (line) => {
        const [id, seq, i] = line.split(' ');
        acked.push([id!, Number(seq), Number(i)]);
        if (acked.length === 400) {
          proc.kill('SIGKILL');
          resolve();
        }
      });
    });
    await exited;

    const spool = await Spool.open({ dir, queueSize: 1e9 });
    for (const [id, seq, i] of acked) {
      const entry = await spool.get(id);
      expect(entry, `entry ${i} acknowledged before the kill`).toBeDefined();
      expect(entry!.seq).toBeGreaterThanOrEqual(seq);
      expect(entry!.size).toBe(i);
      expect(entry!.labels.pad).toBe('x'.repeat(i % 500));
    }
    // Whatever the kill tore is gone, and the spool takes new writes.
    expect(spool.corruptLines).toBeLessThanOrEqual(1);
    expect((await spool.add(file('after-crash'))).added).toBe(true);
    await spool.close();
  });
});
