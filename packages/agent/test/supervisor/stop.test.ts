import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { readStat } from '../../src/proc/stat.ts';
import { pidPath } from '../../src/supervisor/direct.ts';
import { alive, dataDir, readLog, reap, supervisor, svc, waitState } from './helpers.ts';

interface TreePids {
  inGroup: number;
  leftGroup: number;
}

async function startTree(ignoreTerm: boolean) {
  const dir = dataDir();
  const file = join(dir, 'tree.json');
  const { sup } = supervisor({ dataDir: dir });
  await sup.apply([
    svc('tree', 'fork-tree.mjs', ignoreTerm ? [file, '--ignore-term'] : [file], { stopTimeout: '500ms' }),
  ]);
  const running = await waitState(sup, 'tree', 'running');
  const tree = await eventually(
    'the tree',
    (): TreePids | false => existsSync(file) && JSON.parse(readFileSync(file, 'utf8')),
  );
  for (const pid of [running.pid, tree.inGroup, tree.leftGroup]) reap(pid);
  // The fixture did what it says: one grandchild in the service's group, one outside it.
  expect(readStat(tree.inGroup)!.pgrp).toBe(running.pid);
  expect(readStat(tree.leftGroup)!.pgrp).toBe(tree.leftGroup);
  expect(readStat(tree.leftGroup)!.ppid).toBe(running.pid);
  expect(existsSync(pidPath(dir, 'tree'))).toBe(true);
  return { dir, sup, pid: running.pid!, tree };
}

describe('stop', () => {
  it('SIGKILLs a tree that ignores SIGTERM after stopTimeout, including the grandchild that left the group', async () => {
    const { dir, sup, pid, tree } = await startTree(true);
    const t0 = Date.now();
    const stopped = await sup.stop('tree');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(stopped).toMatchObject({ state: 'stopped', lastExit: { code: null, signal: 'SIGKILL' } });
    expect(stopped.reason).toBe(
      'killed with SIGKILL after 500ms; 1 descendant(s) outside the process group stopped',
    );
    for (const p of [pid, tree.inGroup, tree.leftGroup]) expect(alive(p), `pid ${p}`).toBe(false);
    expect(existsSync(pidPath(dir, 'tree'))).toBe(false);
  });

  it('a tree that obeys SIGTERM is gone without SIGKILL, strays included', async () => {
    const { sup, pid, tree } = await startTree(false);
    const t0 = Date.now();
    const stopped = await sup.stop('tree');
    expect(Date.now() - t0).toBeLessThan(500);
    expect(stopped).toMatchObject({ state: 'stopped', lastExit: { code: null, signal: 'SIGTERM' } });
    expect(stopped.reason).toBe('1 descendant(s) outside the process group stopped');
    for (const p of [pid, tree.inGroup, tree.leftGroup]) expect(alive(p), `pid ${p}`).toBe(false);
  });

  it('a stopped service stays stopped, and starts again on request', async () => {
    const dir = dataDir();
    const { sup } = supervisor({ dataDir: dir });
    await sup.apply([svc('svc', 'ignore-term.mjs', [], { stopTimeout: '200ms', stopSignal: 'SIGINT' })]);
    const first = await waitState(sup, 'svc', 'running');
    reap(first.pid);
    // Running means exec'd; the fixture ignores SIGINT once it has said so.
    await eventually('the fixture to be ready', () =>
      readLog(dir, 'svc').includes(`ignore-term fixture ${first.pid}`),
    );
    expect(await sup.stop('svc')).toMatchObject({ state: 'stopped', lastExit: { signal: 'SIGKILL' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(sup.get('svc')!.state).toBe('stopped');
    const again = await sup.start('svc');
    reap(again.pid);
    expect(again).toMatchObject({ state: 'running', restarts: 0 });
    expect(again.pid).not.toBe(first.pid);
  });
});
