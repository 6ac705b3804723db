import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { bootTimeMs, clockTicks, type ProcStat, readStat } from '../proc/stat.ts';
import type { ServiceState } from '../spec.ts';

/**
 * Per-service metrics. A service is its main process and every descendant (found through the
 * ppid links of /proc/<pid>/stat), so a shell wrapper, a cluster master or a worker pool are
 * measured whole. CPU % needs two samples; one sample per process tree is kept between calls.
 */

/** What the supervisor tells about a service. */
export interface ServiceStatusInput {
  name: string;
  /** The main process; none when the service is not running. */
  pid?: number;
  /** Restarts counted by the supervisor. */
  restarts: number;
  state: ServiceState | string;
}

/** All processes of a moment: each stat by pid and the children of each pid. */
export interface ProcessTable {
  /** The proc root it was read from. */
  proc: string;
  byPid: Map<number, ProcStat>;
  children: Map<number, number[]>;
}

/** One pass over /proc/<pid>/stat for every process (threads are not listed, only their leaders). */
export function readProcessTable(proc = '/proc'): ProcessTable {
  const byPid = new Map<number, ProcStat>();
  const children = new Map<number, number[]>();
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry), proc);
    if (!stat) continue; // exited between readdir and read
    byPid.set(stat.pid, stat);
  }
  for (const stat of byPid.values()) {
    const list = children.get(stat.ppid);
    if (list) list.push(stat.pid);
    else children.set(stat.ppid, [stat.pid]);
  }
  return { proc, byPid, children };
}

/** The process and its descendants, root first; empty when the root is not in the table. */
export function processTree(table: ProcessTable, rootPid: number): ProcStat[] {
  const root = table.byPid.get(rootPid);
  if (!root) return [];
  const out = [root];
  const seen = new Set([rootPid]);
  for (let i = 0; i < out.length; i++) {
    for (const child of table.children.get(out[i]!.pid) ?? []) {
      if (seen.has(child)) continue; // pid 0's children list includes 1 and 2 …; never loop
      seen.add(child);
      out.push(table.byPid.get(child)!);
    }
  }
  return out;
}

/**
 * Entries of /proc/<pid>/fd. Undefined when we may not look (EACCES/EPERM: another user's
 * process and no CAP_SYS_PTRACE): unknown is not 0. A process that is gone has none.
 */
export function countOpenFiles(pid: number, proc = '/proc'): number | undefined {
  try {
    // Built as readStat builds its path: join() normalises the whole path on every call.
    return readdirSync(`${proc}/${pid}/fd`).length;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return undefined;
    if (code === 'ENOENT' || code === 'ESRCH') return 0;
    throw err;
  }
}

let pageSizeCache: number | undefined;

/** `getconf PAGESIZE`: 4096 on x86-64, but 16 KiB or 64 KiB on some arm64 and ppc64 kernels. */
export function pageSize(): number {
  if (pageSizeCache === undefined) {
    const n = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
    pageSizeCache = Number.isFinite(n) && n > 0 ? n : 4096;
  }
  return pageSizeCache;
}

/** One sample of a process tree. */
export interface TreeSample {
  rootPid: number;
  /** The root's start time in clock ticks after boot: with the pid, its identity. */
  rootStartTime: number;
  /** Monotonic ms (performance.now()) when the tree was read. */
  at: number;
  /** `pid:startTime` → utime + stime ticks, per live process. */
  ticks: Map<string, number>;
  pids: number[];
  /** Sum of RSS over the tree, bytes (shared pages are counted in every process that maps them). */
  rssBytes: number;
  threads: number;
  /** Sum of open descriptors; undefined when any process of the tree could not be looked at. */
  openFiles: number | undefined;
  /** When the root started, ms since the epoch. */
  startedAtMs: number;
}

export interface SampleOptions {
  /** `sysconf(_SC_CLK_TCK)`; asked of getconf when not given. */
  ticksPerSecond?: number;
  /** Bytes per page; asked of getconf when not given. */
  pageSize?: number;
  /** Monotonic ms of the reading; default performance.now(). */
  at?: number;
}

export function sampleTree(
  table: ProcessTable,
  rootPid: number,
  opts: SampleOptions = {},
): TreeSample | undefined {
  const { proc } = table;
  const tree = processTree(table, rootPid);
  const root = tree[0];
  if (!root || root.state === 'Z') return undefined;
  const hz = opts.ticksPerSecond ?? clockTicks();
  const page = opts.pageSize ?? pageSize();
  const ticks = new Map<string, number>();
  let rssPages = 0;
  let threads = 0;
  let openFiles: number | undefined = 0;
  for (const p of tree) {
    ticks.set(`${p.pid}:${p.startTime}`, p.utime + p.stime);
    rssPages += p.rss;
    threads += p.numThreads;
    if (p.state === 'Z' || openFiles === undefined) continue; // a zombie has no descriptors
    const fds = countOpenFiles(p.pid, proc);
    openFiles = fds === undefined ? undefined : openFiles + fds;
  }
  return {
    rootPid,
    rootStartTime: root.startTime,
    at: opts.at ?? performance.now(),
    ticks,
    pids: tree.map((p) => p.pid),
    rssBytes: rssPages * page,
    threads,
    openFiles,
    startedAtMs: bootTimeMs(proc) + (root.startTime * 1000) / hz,
  };
}

/**
 * CPU % of a tree between two samples: Δ(utime+stime) / CLK_TCK / Δwall × 100, **per core**
 * (100 = one core busy the whole interval; a tree using 4 cores shows 400, as `top` does).
 * Processes in both samples count their delta, processes that appeared count all their time
 * (they were born in the interval), processes that exited in the interval are lost for their
 * last interval (the kernel moves their time to the parent's cutime only when reaped).
 * Undefined without a previous sample of the same root process (pid and start time), which
 * is the case after a restart.
 */
export function treeCpuPercent(
  prev: TreeSample | undefined,
  next: TreeSample,
  ticksPerSecond: number,
): number | undefined {
  if (!prev || prev.rootPid !== next.rootPid || prev.rootStartTime !== next.rootStartTime) return undefined;
  const seconds = (next.at - prev.at) / 1000;
  if (seconds <= 0) return undefined;
  let ticks = 0;
  for (const [id, t] of next.ticks) ticks += Math.max(0, t - (prev.ticks.get(id) ?? 0));
  return (ticks / ticksPerSecond / seconds) * 100;
}

/** What is reported for one service. */
export interface ServiceMetrics {
  name: string;
  state: string;
  /** Running, and its main process is there. */
  up: boolean;
  restarts: number;
  /** Processes in the tree (0 when down). */
  processes: number;
  /** Absent on the first sample of a process (CPU needs two) and when down. */
  cpuPercent?: number;
  rssBytes?: number;
  uptimeSeconds?: number;
  /** Absent when down or when /proc/<pid>/fd may not be read. */
  openFiles?: number;
  threads?: number;
}

/**
 * Keeps the last tree sample of each service so the next call can tell CPU %. Call `sample`
 * every interval with the supervisor's list; services no longer listed are forgotten.
 */
export class ServiceSampler {
  private readonly last = new Map<string, TreeSample>();

  constructor(private readonly opts: Omit<SampleOptions, 'at'> = {}) {}

  /** `table` is this moment's processes (`readProcessTable()`), `now` epoch ms, `at` monotonic ms. */
  sample(
    services: ServiceStatusInput[],
    table: ProcessTable = readProcessTable(),
    now = Date.now(),
    at = performance.now(),
  ): ServiceMetrics[] {
    const hz = this.opts.ticksPerSecond ?? clockTicks();
    const out: ServiceMetrics[] = [];
    const listed = new Set<string>();
    for (const s of services) {
      listed.add(s.name);
      const tree = s.pid ? sampleTree(table, s.pid, { ...this.opts, ticksPerSecond: hz, at }) : undefined;
      const base: ServiceMetrics = {
        name: s.name,
        state: s.state,
        up: false,
        restarts: s.restarts,
        processes: 0,
      };
      if (!tree) {
        this.last.delete(s.name);
        out.push(base);
        continue;
      }
      const cpu = treeCpuPercent(this.last.get(s.name), tree, hz);
      this.last.set(s.name, tree);
      out.push({
        ...base,
        up: s.state === 'running',
        processes: tree.pids.length,
        ...(cpu === undefined ? {} : { cpuPercent: cpu }),
        rssBytes: tree.rssBytes,
        uptimeSeconds: Math.max(0, (now - tree.startedAtMs) / 1000),
        ...(tree.openFiles === undefined ? {} : { openFiles: tree.openFiles }),
        threads: tree.threads,
      });
    }
    for (const name of this.last.keys()) if (!listed.has(name)) this.last.delete(name);
    return out;
  }
}
