import { describe, expect, it } from 'vitest';
import { SupervisorError } from '../../src/supervisor/supervisor.ts';
import { alive, dataDir, quick, reap, supervisor, svc, waitState } from './helpers.ts';

describe('apply (hot reload)', () => {
  it('restarts only what changed, stops what was removed, starts what was added', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    const a = svc('a', 'forever.mjs', ['v1']);
    const b = svc('b', 'forever.mjs', ['b']);
    expect(await sup.apply([a, b])).toMatchObject({ started: ['a', 'b'], stopped: [], restarted: [] });
    const a1 = await waitState(sup, 'a', 'running');
    const b1 = await waitState(sup, 'b', 'running');
    reap(a1.pid);
    reap(b1.pid);

    // a's args change: only a restarts.
    const a2spec = svc('a', 'forever.mjs', ['v2']);
    expect(await sup.apply([a2spec, b])).toMatchObject({
      restarted: ['a'],
      unchanged: ['b'],
      started: [],
      stopped: [],
    });
    const a2 = await waitState(sup, 'a', 'running');
    reap(a2.pid);
    expect(a2.pid).not.toBe(a1.pid);
    expect(alive(a1.pid!)).toBe(false);
    expect(sup.get('b')!.pid).toBe(b1.pid);

    // b goes, c comes; a untouched.
    const c = svc('c', 'forever.mjs', ['c']);
    expect(await sup.apply([a2spec, c])).toMatchObject({ stopped: ['b'], started: ['c'], unchanged: ['a'] });
    const c1 = await waitState(sup, 'c', 'running');
    reap(c1.pid);
    expect(alive(b1.pid!)).toBe(false);
    expect(sup.get('b')).toBeUndefined();
    expect(sup.get('a')!.pid).toBe(a2.pid);
    expect(sup.list().map((s) => s.name)).toEqual(['a', 'c']);

    // A policy change is applied in place, without a restart.
    const a3spec = svc('a', 'forever.mjs', ['v2'], { restart: quick, stopTimeout: '2s' });
    expect(await sup.apply([a3spec, c])).toMatchObject({ updated: ['a'], unchanged: ['c'], restarted: [] });
    expect(sup.get('a')!.pid).toBe(a2.pid);
  });

  it('dropping a dependency releases a waiting service without restarting anything', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    const db = svc('db', 'forever.mjs', [], { autostart: false });
    await sup.apply([db, svc('api', 'forever.mjs', [], { dependsOn: ['db'] })]);
    expect(sup.get('api')).toMatchObject({ state: 'waiting', reason: 'dependency db is stopped' });
    expect(await sup.apply([db, svc('api', 'forever.mjs')])).toMatchObject({
      updated: ['api'],
      unchanged: ['db'],
    });
    reap((await waitState(sup, 'api', 'running')).pid);
    expect(sup.get('db')!.state).toBe('stopped');
  });

  it('a refused graph changes nothing', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    await sup.apply([svc('a', 'forever.mjs')]);
    const a1 = await waitState(sup, 'a', 'running');
    reap(a1.pid);
    await expect(sup.apply([svc('a', 'forever.mjs', [], { dependsOn: ['a'] })])).rejects.toThrow(
      'dependency cycle: a → a',
    );
    expect(sup.get('a')).toMatchObject({ state: 'running', pid: a1.pid });
  });

  it('refuses systemd services, which the agent hands to the systemd backend, and keeps what runs', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    await sup.apply([svc('a', 'forever.mjs')]);
    const a1 = await waitState(sup, 'a', 'running');
    reap(a1.pid);
    const apply = sup.apply([
      svc('a', 'forever.mjs'),
      svc('unit', 'forever.mjs', [], { backend: 'systemd' }),
    ]);
    await expect(apply).rejects.toThrow(SupervisorError);
    await expect(apply).rejects.toThrow(/unit: the supervisor runs direct services/);
    expect(sup.get('a')).toMatchObject({ state: 'running', pid: a1.pid });
    expect(sup.get('unit')).toBeUndefined();
    await expect(sup.start('nope')).rejects.toThrow('no service named nope');
  });
});
