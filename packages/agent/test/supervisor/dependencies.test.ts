import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../src/supervisor/graph.ts';
import { alive, dataDir, quick, type Recorded, reap, supervisor, svc, waitState } from './helpers.ts';

const index = (events: Recorded[], name: string, state: string, from = 0) =>
  events.findIndex((e, i) => i >= from && e.status.name === name && e.status.state === state);

describe('dependencies', () => {
  it('starts a dependency first, holds the dependent while it is down, and stops in reverse order', async () => {
    const { sup, events } = supervisor({ dataDir: dataDir() });
    // a restarts after 500ms, long enough to see b held back.
    const a = svc('a', 'forever.mjs', [], { restart: { ...quick, initialDelay: '500ms' } });
    const b = svc('b', 'forever.mjs', [], { dependsOn: ['a'], restart: quick });
    const result = await sup.apply([b, a]); // listed dependent first: the graph decides the order
    expect(result.started.sort()).toEqual(['a', 'b']);
    const a1 = await waitState(sup, 'a', 'running');
    const b1 = await waitState(sup, 'b', 'running');
    reap(a1.pid);
    reap(b1.pid);
    expect(index(events, 'a', 'running')).toBeLessThan(index(events, 'b', 'starting'));

    // a crashes: b is stopped and waits for it, then both come back.
    const crashAt = events.length;
    process.kill(a1.pid!, 'SIGKILL');
    const held = await eventually('b to wait', () =>
      events.find((e, i) => i >= crashAt && e.status.name === 'b' && e.status.state === 'waiting'),
    );
    expect(held.status.reason).toBe('dependency a is backoff');
    expect(alive(b1.pid!)).toBe(false);
    const a2 = await waitState(sup, 'a', 'running', (s) => s.pid !== a1.pid);
    const b2 = await waitState(sup, 'b', 'running', (s) => s.pid !== b1.pid);
    reap(a2.pid);
    reap(b2.pid);
    expect(a2.restarts).toBe(1);
    expect(b2.restarts).toBe(0); // held back by its dependency: not a restart of its own
    expect(index(events, 'a', 'running', crashAt)).toBeLessThan(index(events, 'b', 'starting', crashAt));

    // Stop in reverse: b is down before a is asked to stop.
    const closeAt = events.length;
    await sup.close();
    expect(index(events, 'b', 'stopped', closeAt)).toBeLessThan(index(events, 'a', 'stopping', closeAt));
    expect(alive(a2.pid!) || alive(b2.pid!)).toBe(false);
  });

  it('stopping a dependency holds its dependents; starting a dependent starts its dependencies', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    await sup.apply([
      svc('db', 'forever.mjs', [], { autostart: false }),
      svc('api', 'forever.mjs', [], { dependsOn: ['db'] }),
    ]);
    expect(sup.get('api')).toMatchObject({ state: 'waiting', reason: 'dependency db is stopped' });

    const api = await sup.start('api'); // starts db first
    expect(api.state).toBe('running');
    expect(sup.get('db')!.state).toBe('running');

    await sup.stop('db');
    expect(sup.get('api')).toMatchObject({ state: 'waiting', reason: 'dependency db is stopped' });
    expect(alive(api.pid!)).toBe(false);

    await sup.start('db');
    await waitState(sup, 'api', 'running');
  });

  it('refuses a cycle, naming it, before starting anything', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    const services = [
      svc('web', 'forever.mjs', [], { dependsOn: ['api'] }),
      svc('api', 'forever.mjs', [], { dependsOn: ['db'] }),
      svc('db', 'forever.mjs', [], { dependsOn: ['api', 'cache'] }),
    ];
    await expect(sup.apply(services)).rejects.toThrow(DependencyError);
    await expect(sup.apply(services)).rejects.toThrow(
      'db depends on cache, which is not a service; dependency cycle: api → db → api',
    );
    expect(sup.list()).toEqual([]);
  });
});
