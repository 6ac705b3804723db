import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@opsfleet/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { readStat } from '../../src/proc/stat.ts';
import { type Service, ServiceSpec, type ServiceStatus } from '../../src/spec.ts';
import { SystemdBackend } from '../../src/systemd/systemd-backend.ts';

/**
 * The backend against a REAL systemd user manager. Skipped unless OPSFLEET_REAL_SYSTEMD=1, which
 * `with-user-manager.sh` sets after starting one (on a host where `systemctl --user` already
 * works, setting the variable is enough). Units are written to the manager's own unit folder
 * (~/.config/systemd/user) and removed at the end.
 */

const real = process.env.OPSFLEET_REAL_SYSTEMD === '1';
const svc = (s: Record<string, unknown>): Service => ServiceSpec.parse({ backend: 'systemd', ...s });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// These probes run systemctl: a process each, too costly to start every 25 ms.
const systemctlPace = { everyMs: 100 };

describe.skipIf(!real)('SystemdBackend with a real systemd user manager', () => {
  const work = real ? mkdtempSync(join(tmpdir(), 'opsfleet-real-')) : '';
  const dataDir = join(work, 'data');
  const backend = new SystemdBackend({ mode: 'user', dataDir, baseDir: work });
  const log = (name: string) => {
    const f = join(dataDir, 'logs', `${name}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  };
  const state = async (name: string) => (await backend.status(name)).state;
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const services = [
    svc({ name: 'app', command: 'sh', args: ['-c', 'echo started; exec sleep 1000'] }),
    svc({
      name: 'args',
      command: 'printf',
      args: ['[%s]\\n', 'a b', '100%', '$HOME', "it's", 'say "hi"', 'back\\slash', ';', '', 'new\nline'],
      env: {},
      restart: { policy: 'never' },
      autostart: false,
    }),
    svc({
      name: 'crash',
      command: 'sh',
      args: ['-c', 'echo crashing; exit 3'],
      restart: { initialDelay: '100ms', maxRestarts: 2, window: '60s', fatalCooldown: '1s' },
      autostart: false,
    }),
    svc({
      name: 'flaky',
      command: 'sh',
      args: ['-c', `if [ -e ${work}/flaky ]; then exec sleep 1000; fi; touch ${work}/flaky; exit 1`],
      restart: { initialDelay: '200ms', stableAfter: '1s' },
      autostart: false,
    }),
    svc({
      name: 'grumpy',
      command: 'sh',
      args: ['-c', 'trap "exit 1" TERM; while :; do sleep 0.1; done'],
      autostart: false,
    }),
  ];

  it('apply writes the units into the manager’s folder, enables app, reloads', async () => {
    const result = await backend.apply(services);
    expect(result.added).toEqual(['app', 'args', 'crash', 'flaky', 'grumpy']);
    expect(existsSync(join(backend.unitDir, 'opsfleet-app.service'))).toBe(true);
    expect(existsSync(join(backend.unitDir, 'default.target.wants', 'opsfleet-app.service'))).toBe(true);
    expect(await backend.apply(services)).toMatchObject({ added: [], changed: [], removed: [] });
  });

  it('start, status with the real pid, output in the log file, pause and resume through /proc', async () => {
    await backend.start('app');
    const s = await backend.status('app');
    expect(s).toMatchObject({ state: 'running', restarts: 0 });
    expect(readStat(s.pid!)?.comm).toBe('sleep');
    await eventually('the log line', async () => log('app').includes('started\n'));
    await backend.pause('app');
    expect(readStat(s.pid!)?.state).toBe('T');
    expect(await state('app')).toBe('paused');
    await backend.resume('app');
    expect(await state('app')).toBe('running');
    // Stop while paused: systemd sends SIGCONT after SIGTERM.
    await backend.pause('app');
    await backend.stop('app');
    expect(await backend.status('app')).toMatchObject({ state: 'stopped' });
    expect(readStat(s.pid!)).toBeUndefined();
  });

  it('arguments reach the process exactly as written', async () => {
    await backend.start('args').catch(() => undefined);
    await eventually('printf output', async () => log('args').includes('[new\nline]'));
    expect(log('args')).toBe(
      '[a b]\n[100%]\n[$HOME]\n[it\'s]\n[say "hi"]\n[back\\slash]\n[;]\n[]\n[new\nline]\n',
    );
  });

  it('a crash loop: backoff, then FATAL when systemd gives up, then the cool-down start', async () => {
    // Type=exec: a process that dies at once can fail the start job itself; systemd restarts it anyway.
    await backend.start('crash').catch(() => undefined);
    const seen = new Set<ServiceStatus['state']>();
    await eventually(
      'FATAL',
      async () => {
        const st = await state('crash');
        seen.add(st);
        return st === 'fatal';
      },
      systemctlPace,
    );
    const fatal = await backend.status('crash');
    expect(fatal).toMatchObject({ restarts: 3, lastExit: { code: 3 } });
    expect(fatal.nextStartAt).toBeDefined();
    const taken = await backend.tick(Date.parse(fatal.nextStartAt!));
    expect(taken.find((t) => t.name === 'crash')?.recovery.action).toBe('restart');
    // It crashes again; the restarts seen before the reset are still counted.
    await eventually('FATAL again', async () => (await state('crash')) === 'fatal', systemctlPace);
    expect((await backend.status('crash')).restarts).toBeGreaterThanOrEqual(6);
    await backend.stop('crash');
  });

  it('stableAfter: after a restart and a stable second, the counters are reset and the count kept', async () => {
    await backend.start('flaky').catch(() => undefined);
    await eventually(
      'running after one restart',
      async () => {
        const s = await backend.status('flaky');
        return s.state === 'running' && s.restarts === 1;
      },
      systemctlPace,
    );
    await sleep(1100);
    const taken = await backend.tick();
    expect(taken.find((t) => t.name === 'flaky')?.recovery.action).toBe('reset-counters');
    expect((await backend.systemctl.show('opsfleet-flaky.service', ['NRestarts'])).NRestarts).toBe('0');
    expect(await backend.status('flaky')).toMatchObject({ state: 'running', restarts: 1 });
    await backend.stop('flaky');
  });

  it('a stop answered with exit 1 is a stop, not a crash', async () => {
    await backend.start('grumpy');
    await backend.stop('grumpy');
    expect(await backend.status('grumpy')).toMatchObject({ state: 'stopped' });
    expect((await backend.tick(Date.now() + 3_600_000)).filter((t) => t.name === 'grumpy')).toEqual([]);
  });

  it('apply with nothing removes every unit', async () => {
    const result = await backend.apply([]);
    expect(result.removed.sort()).toEqual(['app', 'args', 'crash', 'flaky', 'grumpy']);
    expect(existsSync(join(backend.unitDir, 'opsfleet-app.service'))).toBe(false);
    expect(existsSync(join(backend.unitDir, 'default.target.wants', 'opsfleet-app.service'))).toBe(false);
  });
});
