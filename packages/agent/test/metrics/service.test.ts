import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  countOpenFiles,
  processTree,
  readProcessTable,
  ServiceSampler,
  type ServiceStatusInput,
  sampleTree,
  treeCpuPercent,
} from '../../src/metrics/service.ts';
import { readStat } from '../../src/proc/stat.ts';

const T0 = join(import.meta.dirname, 'fixtures/proc-t0');
const T1 = join(import.meta.dirname, 'fixtures/proc-t1');
const SERVICE_TS = join(import.meta.dirname, '../../src/metrics/service.ts');

describe('process trees from a fixture /proc', () => {
  it('a service is its main process and every descendant; names with spaces and ) are read right', () => {
    const t1 = readProcessTable(T1);
    expect(t1.byPid.get(100)).toMatchObject({ comm: 'svc) R 1 1 (x', ppid: 1, utime: 1150, stime: 250 });
    expect(t1.byPid.get(105)).toMatchObject({ comm: 'new (child)', ppid: 102, state: 'R' });
    expect(
      processTree(t1, 100)
        .map((p) => p.pid)
        .sort(),
    ).toEqual([100, 101, 102, 104, 105]);
    // pid 103 (the grandchild under 101) is there at t0 and gone at t1; 200 is no descendant
    expect(
      processTree(readProcessTable(T0), 100)
        .map((p) => p.pid)
        .sort(),
    ).toEqual([100, 101, 102, 103, 104]);
    expect(processTree(t1, 999)).toEqual([]);
  });

  it('CPU %, RSS, threads, open files, uptime; restarts from the supervisor', () => {
    const sampler = new ServiceSampler({ ticksPerSecond: 100, pageSize: 4096 });
    const services: ServiceStatusInput[] = [
      { name: 'a', pid: 100, restarts: 2, state: 'running' },
      { name: 'b', pid: 300, restarts: 1, state: 'running' },
      { name: 'gone', pid: 999, restarts: 4, state: 'running' },
      { name: 'off', restarts: 0, state: 'stopped' },
    ];
    const boot = 1_700_000_000_000;
    const first = sampler.sample(services, readProcessTable(T0), boot + 1_234_560 + 1_998_000, 10_000);
    expect(first[0]).not.toHaveProperty('cpuPercent'); // one sample cannot tell CPU %
    const second = sampler.sample(services, readProcessTable(T1), boot + 1_234_560 + 2_000_000, 12_000);
    expect(second).toEqual([
      {
        name: 'a',
        state: 'running',
        up: true,
        restarts: 2,
        processes: 5,
        // Δticks over 2 s at 100 Hz: 100 +200, 101 +100, 102 +0, 104 (zombie) +0, 105 (new) +40;
        // 103 exited in between. 340 ticks = 3.4 s of CPU in 2 s = 170 % of one core.
        cpuPercent: 170,
        rssBytes: (25600 + 5120 + 2560 + 0 + 1280) * 4096,
        // started 123456 ticks = 1234.56 s after boot (btime 1700000000)
        uptimeSeconds: 2000,
        openFiles: 10 + 5 + 3 + 2, // the zombie has none
        threads: 11 + 4 + 4 + 1 + 1,
      },
      {
        // same pid, new start time: a restart in between, so no CPU % this time
        name: 'b',
        state: 'running',
        up: true,
        restarts: 1,
        processes: 1,
        rssBytes: 1000 * 4096,
        uptimeSeconds: 1284.56, // started 195000 ticks after boot
        openFiles: 3,
        threads: 2,
      },
      { name: 'gone', state: 'running', up: false, restarts: 4, processes: 0 },
      { name: 'off', state: 'stopped', up: false, restarts: 0, processes: 0 },
    ]);
  });

  it('CPU % needs the same root process in both samples and time between them', () => {
    const a = sampleTree(readProcessTable(T0), 100, { ticksPerSecond: 100, pageSize: 4096, at: 0 })!;
    const b = sampleTree(readProcessTable(T1), 100, { ticksPerSecond: 100, pageSize: 4096, at: 1_000 })!;
    expect(treeCpuPercent(a, b, 100)).toBe(340);
    expect(treeCpuPercent(a, b, 250)).toBe(136); // a kernel with CLK_TCK 250 reads the same ticks as less
    expect(treeCpuPercent(undefined, b, 100)).toBeUndefined();
    expect(treeCpuPercent(b, b, 100)).toBeUndefined();
  });
});

describe('live processes', () => {
  const children: ChildProcess[] = [];
  const orphans: number[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const pid of orphans.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  /** A node child running `code`; resolves once it wrote `ready`. */
  function start(code: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('ready')) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code} before ready`)));
    });
  }

  it('a process burning a core reads far above 0 % CPU, and exactly the CPU time it used', async () => {
    // The child burns half a CPU-second by its own clock (process.cpuUsage), however long that
    // takes on a busy machine, between two samples; then it reports what it used.
    const burner = spawn(
      process.execPath,
      [
        '-e',
        `process.stdin.once('data', () => {
          const from = process.cpuUsage();
          let used = 0;
          while (used < 5e5) {
            const u = process.cpuUsage(from);
            used = u.user + u.system;
          }
          process.stdout.write('used ' + used + '\\n');
        });
        process.stdout.write('ready\\n');`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.push(burner);
    const lines = (async function* () {
      let buf = '';
      for await (const chunk of burner.stdout!) {
        buf += chunk;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          yield buf.slice(0, i);
          buf = buf.slice(i + 1);
        }
      }
    })();
    expect((await lines.next()).value).toBe('ready');
    const sampler = new ServiceSampler();
    const svc = [{ name: 'burner', pid: burner.pid!, restarts: 0, state: 'running' }];
    const t0 = performance.now();
    sampler.sample(svc, readProcessTable(), Date.now(), t0);
    burner.stdin!.write('go\n');
    const usedMicros = Number(((await lines.next()).value as string).split(' ')[1]);
    const t1 = performance.now();
    const [m] = sampler.sample(svc, readProcessTable(), Date.now(), t1);
    const cpuSeconds = (m!.cpuPercent! / 100) * ((t1 - t0) / 1000);
    // what the sampler saw = what the child used, within a few clock ticks (plus its idle wait)
    expect(cpuSeconds).toBeGreaterThan(usedMicros / 1e6 - 0.03);
    expect(cpuSeconds).toBeLessThan(usedMicros / 1e6 + 0.1);
    // on a machine with a core to spare that is ~100 %; a loaded CI host stretches the wall time
    expect(m!.cpuPercent).toBeGreaterThan(os.availableParallelism() > 1 && os.loadavg()[0]! < 1 ? 30 : 5);
    expect(m!.cpuPercent).toBeLessThan(130); // one thread cannot use much more than one core
  });

  it('RSS counts the whole tree, grandchild included; open files match /proc/<pid>/fd', async () => {
    const grandchild =
      "const b = Buffer.alloc(50 * 2 ** 20, 1); process.stdout.write('ready\\n'); setInterval(() => b[0]++, 1000);";
    const allocator = await start(`
      const keep = Buffer.alloc(50 * 2 ** 20, 1);
      const g = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: ['ignore', 'pipe', 'inherit'] });
      g.stdout.once('data', () => process.stdout.write('ready ' + g.pid + '\\n'));
      process.on('SIGTERM', () => { g.kill('SIGKILL'); process.exit(0); });
      setInterval(() => keep[0]++, 1000);`);
    const table = readProcessTable();
    const tree = processTree(table, allocator.pid!);
    expect(tree).toHaveLength(2);
    const grandchildPid = tree[1]!.pid;
    orphans.push(grandchildPid);

    const [m] = new ServiceSampler().sample(
      [{ name: 'alloc', pid: allocator.pid!, restarts: 3, state: 'running' }],
      table,
    );
    expect(m!.processes).toBe(2);
    expect(m!.restarts).toBe(3);
    expect(m!.rssBytes).toBeGreaterThanOrEqual(100 * 2 ** 20); // 2 × 50 MiB touched
    const own = readStat(allocator.pid!)!;
    expect(m!.rssBytes! - own.rss * 4096).toBeGreaterThanOrEqual(50 * 2 ** 20); // the grandchild's share
    expect(m!.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(m!.uptimeSeconds).toBeLessThan(30);

    const leaf = sampleTree(table, grandchildPid)!;
    expect(leaf.openFiles).toBe(readdirSync(`/proc/${grandchildPid}/fd`).length);
    expect(m!.openFiles).toBe(
      readdirSync(`/proc/${allocator.pid}/fd`).length + readdirSync(`/proc/${grandchildPid}/fd`).length,
    );
    expect(m!.threads).toBe(own.numThreads + readStat(grandchildPid)!.numThreads);
  });

  it('open files of a process we may not look into are unknown, not 0', () => {
    // As root every fd folder is readable, so a child loads the module as root, then becomes
    // nobody and asks about pid 1; as another user, ask directly.
    if (process.getuid?.() !== 0) {
      expect(countOpenFiles(1)).toBeUndefined();
      return;
    }
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { countOpenFiles } from ${JSON.stringify(SERVICE_TS)};
        const asRoot = countOpenFiles(1);
        process.setgid(65534);
        process.setuid(65534);
        process.stdout.write(asRoot + ' ' + countOpenFiles(1));`,
      ],
      { encoding: 'utf8', cwd: join(import.meta.dirname, '../../../..') },
    );
    expect(r.stderr).toBe('');
    const [asRoot, asNobody] = r.stdout.split(' ');
    expect(Number(asRoot)).toBeGreaterThan(0);
    expect(asNobody).toBe('undefined');
  });
});
