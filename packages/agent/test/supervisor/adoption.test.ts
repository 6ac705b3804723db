import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { readStat } from '../../src/proc/stat.ts';
import { freshHistory } from '../../src/supervisor/restart-policy.ts';
import { loadState, saveState, specHash } from '../../src/supervisor/state-file.ts';
import { alive, dataDir, fixture, quick, reap, supervisor, svc, waitState } from './helpers.ts';

/** The pids of processes running forever.mjs with this marker: more than one would be a duplicate. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (
        argv.includes(fixture('forever.mjs')) &&
        argv.includes(marker) &&
        readStat(Number(name))?.state !== 'Z'
      )
        out.push(Number(name));
    } catch {}
  }
  return out;
}

describe('adoption after an agent restart', () => {
  it('a second supervisor takes over the running processes: same pids, no duplicates, restarts counted on', async () => {
    const dir = dataDir();
    const [ma, mb] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    const services = [
      svc('a', 'forever.mjs', [ma], { restart: quick }),
      svc('b', 'forever.mjs', [mb], { restart: quick, dependsOn: ['a'] }),
    ];
    const first = supervisor({ dataDir: dir });
    await first.sup.apply(services);
    const a0 = await waitState(first.sup, 'a', 'running');
    reap(a0.pid);
    // One automatic restart under the first agent.
    process.kill(a0.pid!, 'SIGKILL');
    const a1 = await waitState(first.sup, 'a', 'running', (s) => s.pid !== a0.pid);
    const b1 = await waitState(first.sup, 'b', 'running');
    reap(a1.pid);
    reap(b1.pid);
    expect(a1.restarts).toBe(1);

    await first.sup.detach(); // the agent goes away, its services stay
    expect(alive(a1.pid!) && alive(b1.pid!)).toBe(true);
    expect(loadState(dir).services).toMatchObject({ a: { pid: a1.pid, restarts: 1 }, b: { pid: b1.pid } });

    const second = supervisor({ dataDir: dir });
    const result = await second.sup.apply(services);
    expect(result).toMatchObject({ adopted: ['a', 'b'], started: [], restarted: [] });
    expect(second.sup.get('a')).toMatchObject({
      state: 'running',
      pid: a1.pid,
      restarts: 1,
      reason: 'adopted',
    });
    expect(second.sup.get('b')).toMatchObject({ state: 'running', pid: b1.pid });
    expect(processesWith(ma)).toEqual([a1.pid]);
    expect(processesWith(mb)).toEqual([b1.pid]);

    // Not our child: its end is noticed in /proc, exit status unknown, restarted per policy.
    process.kill(a1.pid!, 'SIGKILL');
    const a2 = await waitState(second.sup, 'a', 'running', (s) => s.pid !== a1.pid);
    reap(a2.pid);
    expect(a2).toMatchObject({ restarts: 2, lastExit: { code: null, signal: null } });
    expect(processesWith(ma)).toEqual([a2.pid]);
    // b followed a down and back up.
    const b2 = await waitState(second.sup, 'b', 'running', (s) => s.pid !== b1.pid);
    reap(b2.pid);
    expect(alive(b1.pid!)).toBe(false);

    await second.sup.close();
    expect(processesWith(ma)).toEqual([]);
    expect(processesWith(mb)).toEqual([]);
    expect(loadState(dir).services).toEqual({});
  });

  it('an adopted process whose spec changed while the agent was away is restarted with the new spec', async () => {
    const dir = dataDir();
    const marker = `c-${randomUUID()}`;
    const first = supervisor({ dataDir: dir });
    await first.sup.apply([svc('c', 'forever.mjs', [marker])]);
    const c1 = await waitState(first.sup, 'c', 'running');
    reap(c1.pid);
    await first.sup.detach();

    const second = supervisor({ dataDir: dir });
    const result = await second.sup.apply([svc('c', 'forever.mjs', [`${marker}-v2`])]);
    expect(result).toMatchObject({ adopted: [], restarted: ['c'] });
    const c2 = second.sup.get('c')!;
    reap(c2.pid);
    expect(c2).toMatchObject({ state: 'running' });
    expect(c2.pid).not.toBe(c1.pid);
    expect(alive(c1.pid!)).toBe(false);
    expect(processesWith(`${marker}-v2`)).toEqual([c2.pid]);
  });

  it('a service removed from the config while the agent was away is stopped', async () => {
    const dir = dataDir();
    const first = supervisor({ dataDir: dir });
    await first.sup.apply([svc('old', 'forever.mjs'), svc('kept', 'forever.mjs')]);
    const old = await waitState(first.sup, 'old', 'running');
    reap(old.pid);
    reap((await waitState(first.sup, 'kept', 'running')).pid);
    await first.sup.detach();

    const second = supervisor({ dataDir: dir });
    const result = await second.sup.apply([svc('kept', 'forever.mjs')]);
    expect(result).toMatchObject({ adopted: ['kept'], stopped: ['old'] });
    expect(alive(old.pid!)).toBe(false);
    expect(Object.keys(loadState(dir).services)).toEqual(['kept']);
  });

  it('what was stopped on purpose stays stopped for the next supervisor, after a detach or a close', async () => {
    const dir = dataDir();
    const services = [
      svc('held', 'forever.mjs', [`held-${randomUUID()}`]),
      svc('done', 'exit0.mjs', ['10']),
      svc('up', 'forever.mjs', [`up-${randomUUID()}`]),
    ];
    const first = supervisor({ dataDir: dir });
    await first.sup.apply(services);
    reap((await waitState(first.sup, 'held', 'running')).pid);
    reap((await waitState(first.sup, 'up', 'running')).pid);
    await waitState(first.sup, 'done', 'stopped', (s) => s.lastExit?.code === 0);
    await first.sup.stop('held');
    await first.sup.detach();

    const second = supervisor({ dataDir: dir });
    expect(await second.sup.apply(services)).toMatchObject({ started: [], adopted: ['up'] });
    expect(second.sup.get('held')).toMatchObject({ state: 'stopped', reason: 'stopped by request' });
    expect(second.sup.get('done')).toMatchObject({
      state: 'stopped',
      reason: 'exit code 0 (restart policy on-failure)',
      lastExit: { code: 0 },
    });
    // Stopping the agent with its services does not make them "stopped on purpose".
    await second.sup.close();
    expect(Object.keys(loadState(dir).stopped).sort()).toEqual(['done', 'held']);

    const third = supervisor({ dataDir: dir });
    expect(await third.sup.apply(services)).toMatchObject({ started: ['up'] });
    reap((await waitState(third.sup, 'up', 'running')).pid);
    expect(third.sup.get('held')!.state).toBe('stopped');
  });

  it('a saved pid that now belongs to another process (another start time) is not adopted, nor killed', async () => {
    const dir = dataDir();
    const spec = svc('a', 'forever.mjs');
    const me = readStat(process.pid)!;
    const stale = {
      pid: process.pid,
      pgid: me.pgrp,
      startTime: me.startTime + 1,
      specHash: specHash(spec),
      restarts: 4,
      history: freshHistory(),
    };
    saveState(dir, { a: stale, gone: stale });

    const { sup } = supervisor({ dataDir: dir });
    const result = await sup.apply([spec]);
    expect(result).toMatchObject({ adopted: [], started: ['a'], stopped: [] });
    const s = await waitState(sup, 'a', 'running');
    reap(s.pid);
    expect(s.pid).not.toBe(process.pid);
    expect(s.restarts).toBe(0);
    expect(alive(process.pid)).toBe(true);
    await eventually(
      'the state file to hold the new process',
      () => loadState(dir).services.a?.pid === s.pid,
    );
    expect(Object.keys(loadState(dir).services)).toEqual(['a']);
  });
});
