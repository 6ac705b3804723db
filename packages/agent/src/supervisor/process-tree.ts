import { readdirSync } from 'node:fs';
import { readStat } from '../proc/stat.ts';

/**
 * The process table as /proc shows it, and the walks a stop needs: the members of a process
 * group, and the descendants of a process by parent links — which finds the children that
 * left the group with setsid, as long as the walk is made while their parents are alive.
 */

export interface ProcEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  startTime: number;
  state: string;
}

/** Every process now; one that vanishes while being read is left out. */
export function snapshot(proc = '/proc'): ProcEntry[] {
  const out: ProcEntry[] = [];
  let names: string[];
  try {
    names = readdirSync(proc);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name), proc);
    if (s) out.push(s);
  }
  return out;
}

/** A zombie has ended: it only waits for its parent (or init) to collect its status. */
export const isLive = (e: ProcEntry) => e.state !== 'Z' && e.state !== 'X';

/** The descendants of `roots` (not the roots themselves), by parent links, breadth first. */
export function descendantsOf(entries: readonly ProcEntry[], roots: Iterable<number>): ProcEntry[] {
  return new ProcTable(entries).descendants(roots);
}

/**
 * One snapshot indexed by pid, parent and group, for looking at many services' trees in one
 * pass: built once, each lookup is a map read instead of a walk over every process.
 */
export class ProcTable {
  private readonly byPid = new Map<number, ProcEntry>();
  private readonly children = new Map<number, ProcEntry[]>();
  private readonly groups = new Map<number, ProcEntry[]>();

  constructor(entries: Iterable<ProcEntry>) {
    for (const e of entries) {
      this.byPid.set(e.pid, e);
      push(this.children, e.ppid, e);
      push(this.groups, e.pgrp, e);
    }
  }

  get(pid: number): ProcEntry | undefined {
    return this.byPid.get(pid);
  }

  group(pgid: number): readonly ProcEntry[] {
    return this.groups.get(pgid) ?? [];
  }

  /** The descendants of `roots` (not the roots themselves), by parent links, breadth first. */
  descendants(roots: Iterable<number>): ProcEntry[] {
    const out: ProcEntry[] = [];
    const seen = new Set<number>(roots);
    const queue = [...seen];
    for (let i = 0; i < queue.length; i++)
      for (const c of this.children.get(queue[i]!) ?? []) {
        if (seen.has(c.pid)) continue;
        seen.add(c.pid);
        out.push(c);
        queue.push(c.pid);
      }
    return out;
  }
}

function push(m: Map<number, ProcEntry[]>, key: number, e: ProcEntry): void {
  const list = m.get(key);
  if (list) list.push(e);
  else m.set(key, [e]);
}

export function groupMembers(entries: readonly ProcEntry[], pgid: number): ProcEntry[] {
  return entries.filter((e) => e.pgrp === pgid);
}
