import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { watch } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpoolEntry } from './model.ts';
import { WatchPipeline } from './pipeline-watch.ts';
import { type FileSource, FileSourceSpec } from './spec.ts';
import { Spool } from './spool.ts';
import { openForWriteUnder } from './writers.ts';

let base: string;
let root: string;
let spoolDir: string;
const open: { spool?: Spool; pipeline?: WatchPipeline }[] = [];

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'files-watch-'));
  root = join(base, 'root');
  spoolDir = join(base, 'spool');
  await mkdir(root);
});
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.pipeline?.stop();
    await o.spool?.close();
  }
  await rm(base, { recursive: true, force: true });
});

const source = (fields: Record<string, unknown> = {}): FileSource =>
  FileSourceSpec.parse({
    name: 'dumps',
    path: root,
    destination: 'main',
    quiet: '300ms',
    rescan: '1h',
    ...fields,
  });

async function startAgent(
  sources: FileSource[],
  opts: {
    queueSize?: number;
    watch?: typeof import('node:fs').watch;
    onTaken?: (e: SpoolEntry) => void;
  } = {},
) {
  const spool = await Spool.open({ dir: spoolDir, queueSize: opts.queueSize ?? 100 });
  const pipeline = new WatchPipeline({ spool, sources, watch: opts.watch, onTaken: opts.onTaken });
  open.push({ spool, pipeline });
  pipeline.start();
  return { spool, pipeline };
}

async function stopAgent(agent: { spool: Spool; pipeline: WatchPipeline }) {
  await agent.pipeline.stop();
  await agent.spool.close();
  open.splice(
    open.findIndex((o) => o.spool === agent.spool),
    1,
  );
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const paths = (spool: Spool): string[] =>
  spool
    .next(1000)
    .map((e: SpoolEntry) => e.relPath)
    .sort();

describe('WatchPipeline', () => {
  it('takes a slowly written file once, after it stops growing, with its final size', async () => {
    const taken: SpoolEntry[] = [];
    const { spool } = await startAgent([source({ quiet: '1s' })], { onTaken: (e) => taken.push(e) });
    const path = join(root, 'heap.hprof');
    const chunk = Buffer.alloc(4096, 7);
    for (let i = 0; i < 15; i++) {
      await appendFile(path, chunk);
      await sleep(200);
      expect(paths(spool), `taken while still written (append ${i})`).toEqual([]);
    }
    const stoppedAt = Date.now();
    const [entry] = await waitFor('the file taken', () => spool.next(10).length > 0 && spool.next(10));
    expect(entry).toMatchObject({
      relPath: 'heap.hprof',
      size: 15 * 4096,
      state: 'queued',
      destination: 'main',
    });
    expect(Date.parse(entry!.detectedAt)).toBeGreaterThanOrEqual(stoppedAt + 900);
    await sleep(1500);
    expect(spool.counts().queued).toBe(1);
    expect(taken.map((e) => [e.relPath, e.size])).toEqual([['heap.hprof', 15 * 4096]]);
  });

  it('never takes temp names, files in ignored folders, or a symlink out of the root', async () => {
    const { spool, pipeline } = await startAgent([
      source({ routes: [{ subdir: 'app-a', labels: { app: 'a' } }] }),
    ]);
    await mkdir(join(root, '.git'));
    await mkdir(join(root, 'app-a', 'lost+found'), { recursive: true });
    await writeFile(join(root, 'dump.hprof.tmp'), 'partial');
    await writeFile(join(root, 'report.docx.crdownload'), 'partial');
    await writeFile(join(root, '.git', 'config'), 'x');
    await writeFile(join(root, 'app-a', 'lost+found', 'x'), 'x');
    await symlink('/etc/passwd', join(root, 'passwd'));
    await writeFile(join(root, 'app-a', 'real.hprof'), 'dump');
    const [entry] = await waitFor('the real file', () => spool.next(10).length > 0 && spool.next(10));
    expect(entry).toMatchObject({ relPath: 'app-a/real.hprof', labels: { app: 'a' } });
    await waitFor('the symlink refused', () => pipeline.stats().outsideRoot === 1);
    await sleep(800);
    expect(paths(spool)).toEqual(['app-a/real.hprof']);
  });

  it('takes files created while stopped at start-up, and a restart does not take them again', async () => {
    await mkdir(join(root, 'a', 'b'), { recursive: true });
    await writeFile(join(root, 'one.log'), '1');
    await writeFile(join(root, 'a', 'b', 'two.log'), '22');
    const first = await startAgent([source()]);
    await waitFor('both files', () => first.spool.counts().queued === 2);
    expect(paths(first.spool)).toEqual(['a/b/two.log', 'one.log']);
    await stopAgent(first);

    await writeFile(join(root, 'three.log'), '333');
    const second = await startAgent([source()]);
    await waitFor('the file written while stopped', () => second.spool.counts().queued === 3);
    await sleep(800);
    expect(paths(second.spool)).toEqual(['a/b/two.log', 'one.log', 'three.log']);
    // The files taken before were not even reconsidered.
    expect(second.pipeline.stats().sources[0]).toMatchObject({ taken: 1, skipped: 0, pending: 0 });
    // Rewritten: a new file under the same name.
    await writeFile(join(root, 'one.log'), 'changed');
    await waitFor('the rewritten file', () => second.spool.counts().queued === 4);
  });

  it('waits while a process holds the file open for writing', async () => {
    const path = join(root, 'held.hprof');
    const code = `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(path)},'a');fs.writeSync(fd,'x');process.stdout.write('open\\n');process.stdin.on('end',()=>fs.closeSync(fd));process.stdin.resume();setTimeout(()=>{},60000);`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await once(child.stdout, 'data');
      const { spool } = await startAgent([source()]);
      await sleep(1500);
      expect(paths(spool), 'taken while a writer held it').toEqual([]);
      child.stdin.end();
      await waitFor('the file taken once closed', () => spool.counts().queued === 1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('tracks at most maxPending candidates; the rest are taken by later walks', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await writeFile(join(root, `${n}.log`), n);
    const spool = await Spool.open({ dir: spoolDir, queueSize: 100 });
    const pipeline = new WatchPipeline({ spool, sources: [source({ rescan: '1s' })], maxPending: 2 });
    open.push({ spool, pipeline });
    pipeline.start();
    await sleep(100);
    expect(pipeline.stats().sources[0]!.pending).toBeLessThanOrEqual(2);
    expect(pipeline.stats().sources[0]!.overflow).toBeGreaterThan(0);
    await waitFor('all five', () => spool.counts().queued === 5);
  });

  it('takes a burst of files with one /proc walk per tick, not one per file', async () => {
    await Promise.all(Array.from({ length: 500 }, (_, i) => writeFile(join(root, `f${i}.log`), String(i))));
    let scans = 0;
    const spool = await Spool.open({ dir: spoolDir, queueSize: 1000 });
    const writers = (dir: string) => {
      scans++;
      return openForWriteUnder(dir).then((r) => r.paths);
    };
    const pipeline = new WatchPipeline({ spool, sources: [source()], writers });
    open.push({ spool, pipeline });
    pipeline.start();
    await waitFor('all 500', () => spool.counts().queued === 500, 30_000);
    expect(scans).toBeLessThan(20);
  });

  it('a folder moved in whole is walked', async () => {
    const { spool } = await startAgent([source()]);
    await mkdir(join(base, 'outside', 'batch'), { recursive: true });
    await writeFile(join(base, 'outside', 'batch', 'x.hprof'), 'x');
    await writeFile(join(base, 'outside', 'batch', 'y.hprof'), 'y');
    await rename(join(base, 'outside', 'batch'), join(root, 'batch'));
    await waitFor('both moved files', () => spool.counts().queued === 2);
    expect(paths(spool)).toEqual(['batch/x.hprof', 'batch/y.hprof']);
  });

  it('leaves files on disk while the spool is full and takes them once it has room', async () => {
    const { spool, pipeline } = await startAgent([source()], { queueSize: 2 });
    for (const n of ['a', 'b', 'c', 'd']) await writeFile(join(root, `${n}.log`), n);
    await waitFor('the queue filled', () => spool.counts().queued === 2);
    await waitFor('saturation reported', () => pipeline.stats().saturated);
    await sleep(800);
    expect(spool.counts().queued).toBe(2);
    const firstTwo = paths(spool);
    for (const e of spool.next(10)) await spool.update(e.id, { state: 'uploaded' });
    await waitFor('the rest taken', () => spool.counts().queued === 2 && spool.counts().uploaded === 2);
    expect([...firstTwo, ...paths(spool)].sort()).toEqual(['a.log', 'b.log', 'c.log', 'd.log']);
    expect(pipeline.stats().saturated).toBe(false);
  });

  it('keeps going on walks when fs.watch hits the inotify limit, and reports it', async () => {
    const failing = (() => {
      throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
        code: 'ENOSPC',
      });
    }) as unknown as typeof import('node:fs').watch;
    const { spool, pipeline } = await startAgent([source({ rescan: '500ms' })], { watch: failing });
    await writeFile(join(root, 'late.log'), 'x');
    await waitFor('the file found by a walk', () => spool.counts().queued === 1);
    const [stats] = pipeline.stats().sources;
    expect(stats).toMatchObject({
      watching: false,
      watchLimited: true,
      lastError: expect.stringMatching(/^ENOSPC/),
    });
    expect(stats!.maxUserWatches).toBeGreaterThan(0);
  });

  it('takes nothing once stopped', async () => {
    const agent = await startAgent([source()]);
    await writeFile(join(root, 'before.log'), 'b');
    await waitFor('the first file', () => agent.spool.counts().queued === 1);
    await agent.pipeline.stop();
    await writeFile(join(root, 'after.log'), 'a');
    await sleep(1000);
    expect(paths(agent.spool)).toEqual(['before.log']);
  });

  it('watches again once the limit allows it', async () => {
    let calls = 0;
    const flaky = ((...args: Parameters<typeof watch>) => {
      if (calls++ === 0)
        throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
          code: 'ENOSPC',
        });
      return watch(...args);
    }) as unknown as typeof watch;
    const { spool, pipeline } = await startAgent([source({ rescan: '500ms' })], { watch: flaky });
    await waitFor('watching again', () => pipeline.stats().sources[0]!.watching);
    expect(pipeline.stats().sources[0]).toMatchObject({
      watchLimited: false,
      lastError: expect.stringMatching(/^ENOSPC/),
    });
    await writeFile(join(root, 'x.log'), 'x');
    await waitFor('the file', () => spool.counts().queued === 1);
  });

  it('hashes when the source asks', async () => {
    const { spool } = await startAgent([source({ hash: true })]);
    await writeFile(join(root, 'h.bin'), 'content');
    const [entry] = await waitFor('the file', () => spool.next(10).length > 0 && spool.next(10));
    expect(entry!.hash).toBe(createHash('sha256').update('content').digest('hex'));
  });

  it('hot reload starts new sources and stops removed ones, keeping the spool', async () => {
    const other = join(base, 'other');
    await mkdir(other);
    const { spool, pipeline } = await startAgent([source()]);
    await writeFile(join(root, 'a.log'), 'a');
    await waitFor('a', () => spool.counts().queued === 1);
    await pipeline.update([
      FileSourceSpec.parse({ name: 'logs', path: other, destination: 'main', quiet: '300ms' }),
    ]);
    await writeFile(join(other, 'b.log'), 'b');
    await writeFile(join(root, 'ignored-now.log'), 'x');
    await waitFor('b', () => spool.counts().queued === 2);
    await sleep(800);
    expect(spool.next(10).map((e) => `${e.source}:${e.relPath}`)).toEqual(['dumps:a.log', 'logs:b.log']);
    expect(pipeline.stats().sources.map((s) => s.source)).toEqual(['logs']);
  });
});
