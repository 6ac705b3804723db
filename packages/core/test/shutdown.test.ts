import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Starts the fixture, sends `signal` once it is ready; resolves with its exit and output. */
function run(mode: string, signal: NodeJS.Signals = 'SIGTERM') {
  return new Promise<{ code: number | null; lines: string[]; ms: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [
      '--import',
      'tsx',
      join(import.meta.dirname, 'fixtures/graceful.ts'),
      mode,
    ]);
    let out = '';
    let t0 = 0;
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready\n') && !t0) {
        t0 = performance.now();
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      resolve({ code, lines: out.split('\n').filter(Boolean), ms: performance.now() - t0 }),
    );
  });
}

describe('graceful shutdown of a real process', () => {
  it('drains on SIGTERM, newest handler first, then exits 0 well within the timeout', async () => {
    const { code, lines, ms } = await run('ok');
    expect(code).toBe(0);
    expect(lines).toEqual(['ready', 'draining', 'drained', 'first registered, stopped last']);
    expect(ms).toBeLessThan(5000);
  });

  it('does the same on SIGINT', async () => {
    const { code, lines } = await run('ok', 'SIGINT');
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe('first registered, stopped last');
  });

  it('runs the remaining handlers when one fails and still exits 0', async () => {
    const { code, lines } = await run('throw');
    expect(code).toBe(0);
    expect(lines).toEqual([
      'ready',
      'draining',
      'drained',
      'failing',
      'log: shutdown handler failed {"err":"cannot close"}',
      'first registered, stopped last',
    ]);
  });

  it('exits 1 when draining takes longer than the timeout', async () => {
    const { code, lines, ms } = await run('hang');
    expect(code).toBe(1);
    expect(lines).toContain('draining');
    expect(lines).not.toContain('drained');
    expect(lines).toContain('log: shutdown took too long, exiting {"timeout_ms":300}');
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(5000);
  });
});
