import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * `/proc/<pid>/stat`, read the way proc_pid_stat(5) says: the command name sits in parentheses
 * and may itself contain spaces and `)`, so the fields are split after the *last* `)`. Times
 * are in clock ticks of `sysconf(_SC_CLK_TCK)`, asked of `getconf` once, never assumed.
 */
export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, T, … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** User and system CPU time, clock ticks. */
  utime: number;
  stime: number;
  /** CPU time of waited-for children that have exited, clock ticks: short-lived helpers count too. */
  cutime: number;
  cstime: number;
  numThreads: number;
  /** Clock ticks after boot: with the pid, the identity of a process (a reused pid has another). */
  startTime: number;
  /** Bytes. */
  vsize: number;
  /** Pages. */
  rss: number;
}

/** White space other than single spaces. */
const OTHER_SPACING = /[^\S ]| {2}/;

export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // Fields from the 3rd (state) on; field n of proc(5) is rest[n - 3]. The kernel puts one
  // space between fields, and when no other white space is there a split on ' ' gives the same
  // fields as one on /\s+/ at a fraction of the cost (every process's stat is read every few
  // seconds).
  const tail = text.slice(close + 2).trim();
  const rest = OTHER_SPACING.test(tail) ? tail.split(/\s+/) : tail.split(' ');
  const num = (field: number) => Number(rest[field - 3]);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: num(4),
    pgrp: num(5),
    session: num(6),
    utime: num(14),
    stime: num(15),
    cutime: num(16),
    cstime: num(17),
    numThreads: num(20),
    startTime: num(22),
    vsize: num(23),
    rss: num(24),
  };
}

/** The stat of a live process, or undefined when it is gone. */
export function readStat(pid: number, proc = '/proc'): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`${proc}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

let ticks: number | undefined;

/** `sysconf(_SC_CLK_TCK)`: 100 on most Linux builds, but not all, so it is asked. */
export function clockTicks(): number {
  if (ticks === undefined) {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return ticks;
}

const boots = new Map<string, number>();

/**
 * Boot time, ms since the epoch, from `btime` in /proc/stat. Read once per proc root: it is
 * fixed for the boot, and /proc/stat is long (a line per CPU and every interrupt count).
 */
export function bootTimeMs(proc = '/proc'): number {
  let ms = boots.get(proc);
  if (ms === undefined) {
    const line = readFileSync(`${proc}/stat`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('btime '));
    if (!line) throw new Error(`${proc}/stat has no btime line`);
    ms = Number(line.split(/\s+/)[1]) * 1000;
    boots.set(proc, ms);
  }
  return ms;
}

/** When a process started, ms since the epoch. */
export function startedAtMs(stat: ProcStat, proc = '/proc'): number {
  return bootTimeMs(proc) + (stat.startTime / clockTicks()) * 1000;
}

/** True when `pid` is alive and is the same process as the one that had `startTime`. */
export function isSameProcess(pid: number, startTime: number, proc = '/proc'): boolean {
  const s = readStat(pid, proc);
  return s !== undefined && s.startTime === startTime && s.state !== 'Z';
}
