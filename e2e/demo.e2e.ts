import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@opsfleet/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The demo as a newcomer meets it (`npm start`): every URL it prints answers a plain GET and a
 * POST of garbage without taking anything down, and Ctrl-C (SIGINT to the whole process group,
 * as a terminal sends it) stops every part with no ERROR line and nothing left running.
 */
const CLI = join(import.meta.dirname, '../packages/cli/bin/opsfleet.mjs');

describe('the demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-demo-'));
  let demo: ChildProcess | undefined;
  let output = '';
  afterAll(() => {
    if (demo?.pid && demo.exitCode === null) process.kill(-demo.pid, 'SIGKILL');
  });

  it('survives requests to every address it prints, and Ctrl-C stops all of it cleanly', async () => {
    demo = spawn(process.execPath, [CLI, 'demo'], {
      env: { ...process.env, OPSFLEET_DEMO_DIR: dir, LOG_LEVEL: 'info' },
      // A process group of its own, as a terminal's foreground job has.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    demo.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    await eventually('the demo to print its addresses', () => output.includes('Ctrl-C stops the demo'), {
      timeoutMs: 110_000,
    });
    const urls = [...new Set(output.match(/http:\/\/127\.0\.0\.1:\d+[^\s,)]*/g) ?? [])];
    expect(urls.length).toBeGreaterThan(8);
    for (const url of urls) {
      for (const init of [
        {},
        { method: 'POST', body: 'not json', headers: { 'content-type': 'application/json' } },
      ]) {
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
        expect(res.status, `${init.method ?? 'GET'} ${url}`).toBeLessThan(500);
        await res.arrayBuffer();
      }
    }
    expect(demo.exitCode, output).toBeNull();

    const members = () =>
      execFileSync('ps', ['-o', 'pid=', '-g', String(demo!.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean);
    expect(members().length).toBeGreaterThan(0);
    process.kill(-demo.pid!, 'SIGINT');
    await eventually('the demo to exit', () => demo!.exitCode !== null || demo!.signalCode !== null, {
      timeoutMs: 20_000,
    });
    await eventually('every process of the demo to be gone', () => {
      try {
        return members().length === 0;
      } catch {
        return true; // ps exits 1 when the group is empty
      }
    });
    // The agent's services run in sessions of their own: they must be gone too.
    const leftovers = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(dir));
    expect(leftovers).toEqual([]);
    expect(output.split('\n').filter((l) => /\bERROR\b|"level":50|Unhandled|TypeError/.test(l))).toEqual([]);
  });
});
