import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function run(mode: string): Promise<{ code: number | null; out: string; ms: number }> {
  return new Promise((resolve) => {
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
      if (out.includes('ready') && !t0) {
        t0 = performance.now();
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) => resolve({ code, out, ms: performance.now() - t0 }));
  });
}

describe('graceful shutdown', () => {
  it('drains on SIGTERM, newest handler first, then exits 0', async () => {
    const { code, out } = await run('ok');
    expect(code).toBe(0);
    expect(out.split('\n').filter(Boolean)).toEqual([
      'ready',
      'draining',
      'drained',
      'first registered, stopped last',
    ]);
  });

  it('exits 1 when draining takes longer than the timeout', async () => {
    const { code, out, ms } = await run('hang');
    expect(code).toBe(1);
    expect(out).not.toContain('drained');
    expect(ms).toBeLessThan(5000);
  });
});
