import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { logPath, pidPath } from '../../src/supervisor/direct.ts';
import { dataDir, readLog, reap, supervisor, svc, waitState } from './helpers.ts';

const isRoot = process.getuid?.() === 0;

describe('environment', () => {
  it('reads envFile again at every start, so a restart picks up the change', async () => {
    const dir = dataDir();
    const envFile = join(dir, 'app.env');
    writeFileSync(envFile, '# settings\nGREETING=hello\n');
    const { sup } = supervisor({ dataDir: dir });
    await sup.apply([
      svc('env', 'print-env.mjs', ['GREETING', 'FROM_SPEC', 'HOME_SET'], {
        env: { FROM_SPEC: 'spec', GREETING: 'overridden by the file' },
        envFile,
      }),
    ]);
    reap((await waitState(sup, 'env', 'running')).pid);
    await eventually('the first values', () =>
      readLog(dir, 'env').includes('GREETING=hello\nFROM_SPEC=spec\n'),
    );

    writeFileSync(envFile, 'GREETING=bonjour\n');
    reap((await sup.restart('env')).pid);
    await eventually('the new value', () => readLog(dir, 'env').includes('GREETING=bonjour'));
    // The log is appended to, never truncated by a start.
    expect(readLog(dir, 'env')).toMatch(/GREETING=hello[\s\S]*GREETING=bonjour/);
  });

  it('an unreadable envFile fails the start with a reason naming it', async () => {
    const dir = dataDir();
    const { sup } = supervisor({ dataDir: dir });
    await sup.apply([
      svc('env', 'print-env.mjs', [], { envFile: join(dir, 'missing.env'), restart: { policy: 'never' } }),
    ]);
    const s = await waitState(sup, 'env', 'stopped', (x) => x.lastExit !== undefined);
    expect(s.reason).toBe(
      `could not start: envFile ${join(dir, 'missing.env')}: ENOENT (restart policy never)`,
    );
  });

  it.runIf(isRoot)('runs as another user when the agent is root', async () => {
    const dir = dataDir();
    const { sup } = supervisor({ dataDir: dir });
    await sup.apply([svc('as-nobody', 'print-env.mjs', ['USER', 'HOME'], { user: 'nobody' })]);
    const s = await waitState(sup, 'as-nobody', 'running');
    reap(s.pid);
    const status = readFileSync(`/proc/${s.pid}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+65534\s/m);
    expect(status).toMatch(/^Gid:\s+65534\s/m);
    expect(status).toMatch(/^Groups:\s*$/m); // root's supplementary groups are not inherited
    await eventually('the login env', () =>
      readLog(dir, 'as-nobody').includes('USER=nobody\nHOME=/nonexistent'),
    );
  });

  it('refuses a cwd that is not a directory', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    await sup.apply([
      svc('lost', 'forever.mjs', [], { cwd: '/nonexistent/dir', restart: { policy: 'never' } }),
    ]);
    const s = await waitState(sup, 'lost', 'stopped', (x) => x.lastExit !== undefined);
    expect(s.reason).toBe('could not start: cwd /nonexistent/dir is not a directory (restart policy never)');
  });

  it('refuses an unknown user with a clear reason', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    await sup.apply([
      svc('ghostly', 'forever.mjs', [], { user: 'ghost-user', restart: { policy: 'never' } }),
    ]);
    const s = await waitState(sup, 'ghostly', 'stopped', (x) => x.lastExit !== undefined);
    expect(s.reason).toBe('could not start: user ghost-user is not in /etc/passwd (restart policy never)');
  });
});

describe('log file and pid file', () => {
  it('stdout and stderr are the log file itself (O_APPEND), not pipes; the pid file holds the pid', async () => {
    const dir = dataDir();
    const { sup } = supervisor({ dataDir: dir });
    await sup.apply([svc('logged', 'forever.mjs', ['hello'])]);
    const s = await waitState(sup, 'logged', 'running');
    reap(s.pid);
    for (const fd of [1, 2]) {
      expect(readlinkSync(`/proc/${s.pid}/fd/${fd}`)).toBe(logPath(dir, 'logged'));
      const flags = Number.parseInt(
        /^flags:\s+(\d+)/m.exec(readFileSync(`/proc/${s.pid}/fdinfo/${fd}`, 'utf8'))![1]!,
        8,
      );
      expect(flags & 0o2000, 'O_APPEND').toBe(0o2000);
    }
    expect(readFileSync(pidPath(dir, 'logged'), 'utf8')).toBe(`${s.pid}\n`);
    await eventually('the output', () => readLog(dir, 'logged').includes(`forever fixture ${s.pid} hello`));
  });
});
