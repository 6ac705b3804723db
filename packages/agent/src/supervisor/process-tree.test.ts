import { describe, expect, it } from 'vitest';
import { descendantsOf, groupMembers, isLive, type ProcEntry, ProcTable, snapshot } from './process-tree.ts';

const p = (pid: number, ppid: number, pgrp: number, state = 'S'): ProcEntry => ({
  pid,
  ppid,
  pgrp,
  startTime: pid * 10,
  state,
});

// 100 is the service (leader of group 100); 101 stays in the group, 102 left it with setsid
// and has a child 103; 200 is unrelated; 104 is a zombie child of 101.
const table = [
  p(1, 0, 1),
  p(100, 50, 100),
  p(101, 100, 100),
  p(102, 100, 102),
  p(103, 102, 102),
  p(104, 101, 100, 'Z'),
  p(200, 1, 200),
];

describe('process tree', () => {
  it('finds descendants by parent links, across groups', () => {
    expect(descendantsOf(table, [100]).map((e) => e.pid)).toEqual([101, 102, 104, 103]);
  });

  it('finds a group', () => {
    expect(groupMembers(table, 100).map((e) => e.pid)).toEqual([100, 101, 104]);
    expect(
      groupMembers(table, 100)
        .filter(isLive)
        .map((e) => e.pid),
    ).toEqual([100, 101]);
  });

  it('an indexed table answers as the walks over the list do', () => {
    const t = new ProcTable(table);
    expect(t.descendants([100]).map((e) => e.pid)).toEqual([101, 102, 104, 103]);
    expect(t.descendants([102, 200]).map((e) => e.pid)).toEqual([103]);
    expect(t.group(100).map((e) => e.pid)).toEqual(groupMembers(table, 100).map((e) => e.pid));
    expect(t.group(999)).toEqual([]);
    expect(t.get(103)).toMatchObject({ ppid: 102, pgrp: 102 });
    expect(t.get(5)).toBeUndefined();
  });

  it('reads this machine: the test process is in the table with its parent', () => {
    const me = snapshot().find((e) => e.pid === process.pid);
    expect(me).toMatchObject({ ppid: process.ppid });
  });
});
