import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { readStat } from '../../src/proc/stat.ts';
import { SupervisorError } from '../../src/supervisor/supervisor.ts';
import { alive, dataDir, reap, supervisor, svc, waitState } from './helpers.ts';

describe('pause and resume', () => {
  it('SIGSTOPs the whole tree (state T), and SIGCONTs it back to running', async () => {
    const dir = dataDir();
    const file = join(dir, 'tree.json');
    const { sup } = supervisor({ dataDir: dir });
    await sup.apply([svc('tree', 'fork-tree.mjs', [file])]);
    const s = await waitState(sup, 'tree', 'running');
    const tree = await eventually(
      'the tree',
      (): { inGroup: number; leftGroup: number } | false =>
        existsSync(file) && JSON.parse(readFileSync(file, 'utf8')),
    );
    const pids = [s.pid!, tree.inGroup, tree.leftGroup];
    for (const p of pids) reap(p);

    expect(await sup.pause('tree')).toMatchObject({ state: 'paused', pid: s.pid });
    for (const p of pids) await eventually(`pid ${p} to be stopped (T)`, () => readStat(p)?.state === 'T');
    await expect(sup.pause('tree')).rejects.toThrow(
      new SupervisorError('conflict', 'tree is paused; only a running service can be paused'),
    );

    expect(await sup.resume('tree')).toMatchObject({ state: 'running', pid: s.pid });
    for (const p of pids) await eventually(`pid ${p} to run again`, () => readStat(p)?.state !== 'T');

    // A paused service still stops: the stop signal is followed by SIGCONT.
    await sup.pause('tree');
    const stopped = await sup.stop('tree');
    expect(stopped.reason).not.toMatch(/SIGKILL/);
    for (const p of pids) expect(alive(p)).toBe(false);
  });
});
