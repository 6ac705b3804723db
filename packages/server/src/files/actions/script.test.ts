import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbound } from '../../http/outbound.ts';
import type { ActionRun, UploadedFile } from './action.ts';
import { script } from './script.ts';

const FILE: UploadedFile = {
  id: '3d9d1c0e-41c4-4a55-9a53-5b1e2b1f0a01',
  agent: 'web-1',
  source: 'dumps',
  path: '/var/dumps/app 1.hprof',
  size: 99,
  mtime: '2026-12-07T10:00:00Z',
  labels: { app: 'shop' },
  object: {
    bucket: 'dumps',
    key: 'web-1/app 1.hprof',
    url: 's3://dumps/web-1/app%201.hprof',
    etag: '"e"',
    size: 99,
  },
};

/** Running, not a zombie left for a parent that does not reap (PID 1 in a container may not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('script file action', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-scripts-'));
  const program = (name: string, body: string) => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };
  const show = program(
    'show.sh',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    'echo "url=$OPSFLEET_FILE_URL name=$OPSFLEET_FILE_NAME arg=$1 db=${DATABASE_URL:-none}"',
  );
  const hang = program('hang.sh', 'sleep 60 & echo $! > "$1"; wait');
  const tempfail = program('tempfail.sh', 'echo busy >&2; exit 75');
  const broken = program('broken.sh', 'exit 3');
  const before = { ...process.env };
  const net = new Outbound();
  beforeAll(() => {
    process.env.FILE_ACTION_SCRIPTS = [show, hang, tempfail, broken].join(',');
    process.env.DATABASE_URL = 'postgres://secret@db/opsfleet';
  });
  afterAll(() => {
    process.env = before;
    net.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function attempt(
    config: { program: string; args?: string[] },
    signal = new AbortController().signal,
  ) {
    let output = '';
    const run: ActionRun = {
      file: FILE,
      idempotencyKey: 'k',
      attempt: 1,
      signal,
      output: (t) => {
        output += t;
      },
      net,
    };
    return { outcome: await script.run(run, config), output: () => output };
  }

  it('runs an allowed program with the file as environment and arguments, and none of the server’s environment', async () => {
    const { outcome, output } = await attempt({ program: show, args: ['{key}'] });
    expect(outcome).toEqual({ ok: true, result: { exitCode: 0 } });
    expect(output()).toBe(
      'url=s3://dumps/web-1/app%201.hprof name=app 1.hprof arg=web-1/app 1.hprof db=none\n',
    );
  });

  it('refuses at check time a program not on FILE_ACTION_SCRIPTS, or a relative one', () => {
    expect(script.check({ program: '/bin/sh' })).toEqual([
      {
        path: 'program',
        message: 'not on the allow-list: the server’s admin lists runnable programs in FILE_ACTION_SCRIPTS',
      },
    ]);
    expect(script.check({ program: 'show.sh' })).toEqual([{ path: 'program', message: 'an absolute path' }]);
    expect(script.check({ program: show, args: ['{nope}'] })).toEqual([
      { path: 'args.0', message: '{nope} is not a file field' },
    ]);
    expect(script.check({ program: show })).toEqual([]);
  });

  it('an abort (timeout or cancel) kills the whole process group', async () => {
    const pidFile = join(dir, 'child.pid');
    const stop = new AbortController();
    const running = attempt({ program: hang, args: [pidFile] }, stop.signal);
    let child = 0;
    for (let i = 0; i < 100 && !child; i++) {
      await new Promise((r) => setTimeout(r, 50));
      child = Number(readFileSync(pidFile, { encoding: 'utf8', flag: 'a+' }).trim());
    }
    expect(alive(child)).toBe(true);
    stop.abort('timeout');
    expect((await running).outcome).toMatchObject({ ok: false, cause: 'aborted' });
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(child)).toBe(false);
  });

  it('exit 75 asks for another attempt; another status fails for good', async () => {
    const t = await attempt({ program: tempfail });
    expect(t.outcome).toMatchObject({ ok: false, retryable: true, result: { exitCode: 75 } });
    expect(t.output()).toBe('busy\n');
    expect((await attempt({ program: broken })).outcome).toMatchObject({
      ok: false,
      retryable: false,
      cause: 'exit_status',
    });
  });
});
