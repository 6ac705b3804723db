import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { readProcessTable } from '../../src/metrics/service.ts';
import { loadState } from '../../src/supervisor/state-file.ts';
import { dataDir, reap, supervisor, svc, waitState } from './helpers.ts';

describe('process-tree pass', () => {
  it('remembers a descendant that left the group from processes the metrics sampler read', async () => {
    const dir = dataDir();
    const file = join(dir, 'tree.json');
    // Its own pass would come only after the test: what is remembered comes from the shared read.
    const { sup } = supervisor({ dataDir: dir, treeInterval: 600_000 });
    await sup.apply([svc('tree', 'fork-tree.mjs', [file], { stopTimeout: '500ms' })]);
    const running = await waitState(sup, 'tree', 'running');
    const tree = await eventually(
      'the tree',
      (): { inGroup: number; leftGroup: number } | false =>
        existsSync(file) && JSON.parse(readFileSync(file, 'utf8')),
    );
    for (const pid of [running.pid, tree.inGroup, tree.leftGroup]) reap(pid);
    expect(loadState(dir).services.tree?.known ?? []).toEqual([]);

    sup.trackTreesIn(readProcessTable().byPid.values());
    expect(loadState(dir).services.tree?.known?.map((k) => k.pid)).toEqual([tree.leftGroup]);
  });
});
