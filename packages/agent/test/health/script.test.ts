import { fileURLToPath } from 'node:url';
import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { scriptChecker } from '../../src/health/checkers/script.ts';
import { alive, check, signal } from './helpers.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const run = (args: string[], timeout = '2s') =>
  scriptChecker.run(check({ type: 'script', timeout, script: { command: 'sh', args } }), {}, signal());

describe('script checker', () => {
  it.each([
    [0, 'passing'],
    [1, 'warning'],
    [2, 'critical'],
    [127, 'critical'],
  ])('exit %i is %s', async (code, status) => {
    const r = await run([fixture('exit.sh'), String(code)]);
    expect(r.status).toBe(status);
    expect(r.output).toBe(`checking, will exit ${code}\na note on stderr\n`);
  });

  it('a silent script reports how it ended', async () => {
    expect(await run(['-c', 'exit 3'])).toMatchObject({ status: 'critical', output: 'exit 3' });
    expect(await run(['-c', 'kill -TERM $$'])).toMatchObject({
      status: 'critical',
      output: 'killed by SIGTERM',
    });
  });

  it('on timeout the whole process group is killed, the forked child too', async () => {
    const started = Date.now();
    const r = await run([fixture('fork-and-hang.sh')], '500ms');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.status).toBe('critical');
    const [first, ...rest] = r.output.split('\n');
    expect(first).toBe('timed out after 500ms');
    const child = Number(/child (\d+)/.exec(rest.join('\n'))?.[1]);
    const parent = Number(/parent (\d+)/.exec(rest.join('\n'))?.[1]);
    expect(child).toBeGreaterThan(0);
    expect(parent).toBeGreaterThan(0);
    await eventually('both processes gone', () => !alive(child) && !alive(parent), { timeoutMs: 2000 });
  });

  it('a background child holding the output does not keep the check waiting', async () => {
    const started = Date.now();
    const r = await run(['-c', 'sleep 30 & echo "child $!"; exit 0']);
    expect(r.status).toBe('passing');
    expect(Date.now() - started).toBeLessThan(1500);
    const child = Number(/child (\d+)/.exec(r.output)?.[1]);
    await eventually('the leftover child gone', () => !alive(child), { timeoutMs: 2000 });
  });

  it('keeps the first 4 KiB of a long output and says so', async () => {
    const r = await run([fixture('big-output.sh')]);
    expect(r.status).toBe('passing');
    const [kept, note] = r.output.split('\n… ');
    expect(Buffer.byteLength(kept!)).toBe(4096);
    expect(kept!.startsWith('line-000-')).toBe(true);
    expect(note).toBe('output truncated: 10240 bytes, kept the first 4096');
  });

  it('a command that cannot start is critical', async () => {
    const r = await scriptChecker.run(
      check({ type: 'script', script: { command: '/nonexistent/check-me' } }),
      {},
      signal(),
    );
    expect(r.status).toBe('critical');
    expect(r.output).toMatch(/^cannot run \/nonexistent\/check-me: .*ENOENT/);
  });
});
