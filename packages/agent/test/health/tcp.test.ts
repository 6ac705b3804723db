import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { tcpChecker } from '../../src/health/checkers/tcp.ts';
import { check, close, listen, signal } from './helpers.ts';

/** Opens a connection; resolves true when it connects within `ms`. */
function tryConnect(port: number, ms: number, keep: Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    keep.push(s);
    const t = setTimeout(() => resolve(false), ms);
    s.once('connect', () => {
      clearTimeout(t);
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('tcp checker', () => {
  it('passes while something listens, critical once the port is closed', async () => {
    const server = createServer((s) => s.end());
    const port = await listen(server);
    const c = check({ type: 'tcp', tcp: { port } });
    const up = await tcpChecker.run(c, {}, signal());
    expect(up).toMatchObject({ status: 'passing', output: `TCP connect 127.0.0.1:${port}: success` });
    await close(server);
    const down = await tcpChecker.run(c, {}, signal());
    expect(down.status).toBe('critical');
    expect(down.output).toMatch(new RegExp(`^TCP connect 127.0.0.1:${port}: .*ECONNREFUSED`));
  });

  it('a connect that never completes is critical after the timeout', async () => {
    // A listener whose process is stopped accepts nothing: once its backlog is full, the
    // kernel drops further SYNs and a connect hangs.
    const child = spawn(
      process.execPath,
      [
        '-e',
        "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const sockets: Socket[] = [];
    try {
      const port = Number(
        await new Promise<string>((resolve) => child.stdout.once('data', (b) => resolve(String(b)))),
      );
      child.kill('SIGSTOP');
      for (let i = 0; i < 20 && (await tryConnect(port, 200, sockets)); i++);
      const r = await tcpChecker.run(check({ type: 'tcp', timeout: '300ms', tcp: { port } }), {}, signal());
      expect(r).toMatchObject({
        status: 'critical',
        output: `TCP connect 127.0.0.1:${port}: timed out after 300ms`,
      });
      expect(r.ms).toBeGreaterThanOrEqual(290);
      expect(r.ms).toBeLessThan(1000);
    } finally {
      for (const s of sockets) s.destroy();
      child.kill('SIGKILL');
    }
  });
});
