import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AdoptedWatch } from './adopted-watch.ts';

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('AdoptedWatch', () => {
  it('reports a watched process once it has ended, and stops its timer when nothing is left', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const watch = new AdoptedWatch(10, 1000, () => true);
    let exits = 0;
    watch.watch(child.pid!, 1, () => exits++);
    await new Promise((r) => setTimeout(r, 100));
    expect(exits).toBe(0);
    child.kill('SIGKILL');
    await until(() => exits === 1);
    expect(watch.size).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(exits).toBe(1);
  });

  it('notices a pid that now belongs to another process at the next identity check', async () => {
    // Our own pid always exists, so only the start-time check can tell it is not the one adopted.
    const checked: number[] = [];
    const watch = new AdoptedWatch(5, 3, (_pid, startTime) => {
      checked.push(startTime);
      return false;
    });
    let exited = false;
    watch.watch(process.pid, 42, () => {
      exited = true;
    });
    await until(() => exited);
    expect(checked).toEqual([42]);
  });

  it('stops watching on release, and one release does not end another watch of the same pid', async () => {
    let alive = true;
    const watch = new AdoptedWatch(5, 1, () => alive);
    const calls: string[] = [];
    const stopOld = watch.watch(process.pid, 1, () => calls.push('old'));
    watch.watch(process.pid, 2, () => calls.push('new'));
    stopOld();
    expect(watch.size).toBe(1);
    alive = false;
    await until(() => calls.length > 0);
    expect(calls).toEqual(['new']);
  });
});
