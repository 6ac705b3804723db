import { describe, expect, it } from 'vitest';
import { clockTicks, isSameProcess, parseStat, readStat, startedAtMs } from './stat.ts';

describe('parseStat', () => {
  it.each([
    [
      'plain',
      '4242 (node) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 25 0 0 20 0 11 0 123456 1000000 2500 0',
      'node',
    ],
    [
      'spaces and a paren in the name',
      '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 25 0 0 20 0 11 0 123456 1000000 2500 0',
      'my (odd) name',
    ],
    [
      'a name that looks like fields',
      '4242 (a) S 9 9) R 1 4242 4242 0 -1 4194560 1 0 0 0 150 25 0 0 20 0 11 0 123456 1000000 2500 0',
      'a) S 9 9',
    ],
    [
      'other white space between fields',
      '4242 (node) S  1 4242\t4242 0 -1 4194560 1 0 0 0 150 25 0 0 20 0 11 0 123456 1000000 2500 0\n',
      'node',
    ],
  ])('%s', (_, line, comm) => {
    const s = parseStat(line);
    expect(s).toMatchObject({
      pid: 4242,
      comm,
      ppid: 1,
      pgrp: 4242,
      utime: 150,
      stime: 25,
      numThreads: 11,
      startTime: 123456,
      rss: 2500,
    });
  });

  it('refuses text that is not a stat line', () => {
    expect(() => parseStat('hello')).toThrow(/not a \/proc/);
  });
});

describe('this process', () => {
  it('is identified by pid and start time, and started moments ago', () => {
    const me = readStat(process.pid)!;
    expect(me.comm).toMatch(/node|vitest/);
    expect(isSameProcess(process.pid, me.startTime)).toBe(true);
    expect(isSameProcess(process.pid, me.startTime + 1)).toBe(false);
    expect(clockTicks()).toBeGreaterThan(0);
    const age = Date.now() - startedAtMs(me);
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThan(10 * 60_000);
  });
});
