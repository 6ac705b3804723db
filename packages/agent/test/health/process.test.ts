import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { processChecker } from '../../src/health/checkers/process.ts';
import { readStat } from '../../src/proc/stat.ts';
import { check, signal } from './helpers.ts';

const c = check({ type: 'process' });

describe('process checker', () => {
  it('passes while the process lives, critical after it is killed', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const pid = child.pid!;
    const up = await processChecker.run(c, { pid }, signal());
    expect(up.status).toBe('passing');
    expect(up.output).toMatch(new RegExp(`^process ${pid} \\(node\\) is alive, state [RS]`));
    child.kill('SIGKILL');
    await once(child, 'exit');
    const down = await processChecker.run(c, { pid }, signal());
    expect(down).toMatchObject({ status: 'critical', output: `process ${pid} is gone` });
  });

  it('a zombie is critical', async () => {
    // `sleep 10` inherits a child it never waits for: once that child exits it stays a zombie.
    const holder = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 10'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(
        await new Promise<string>((resolve) => holder.stdout.once('data', (b) => resolve(String(b)))),
      );
      await eventually('the zombie', () => readStat(pid)?.state === 'Z', { timeoutMs: 3000 });
      const r = await processChecker.run(c, { pid }, signal());
      expect(r).toMatchObject({
        status: 'critical',
        output: `process ${pid} (sleep) is a zombie: it exited and was not reaped`,
      });
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('no pid is critical', async () => {
    expect(await processChecker.run(c, {}, signal())).toMatchObject({
      status: 'critical',
      output: 'no process: the service is not running',
    });
  });
});
