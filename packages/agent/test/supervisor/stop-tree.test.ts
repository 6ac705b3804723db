import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { readStat } from '../../src/proc/stat.ts';
import { stopTree } from '../../src/supervisor/direct.ts';
import { alive, fixture, reap } from './helpers.ts';

describe('stopTree', () => {
  it("never signals the agent's own process group, even when told to: the tree is stopped pid by pid", async () => {
    // Not detached: the child shares the test process's group, as a foreign state file could claim.
    const child = spawn(process.execPath, [fixture('forever.mjs')], { stdio: ['ignore', 'pipe', 'ignore'] });
    reap(child.pid);
    await once(child.stdout!, 'data');
    const ownGroup = readStat(process.pid)!.pgrp;
    expect(readStat(child.pid!)!.pgrp).toBe(ownGroup);

    const r = await stopTree({ pid: child.pid!, pgid: ownGroup, signal: 'SIGTERM', timeoutMs: 2000 });
    expect(r).toEqual({ killed: false, strays: [], survivors: [] });
    await eventually('the child to end', () => !alive(child.pid!));
    expect(alive(process.pid)).toBe(true);
  });
});
