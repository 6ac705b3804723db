import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpChecker } from '../../src/health/checkers/http.ts';
import { check, close, listen, signal } from './helpers.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') return res.writeHead(200).end('all fine');
    if (req.url === '/down')
      return res.writeHead(503, { 'content-type': 'text/plain' }).end('database unreachable\nretry later');
    if (req.url === '/busy') return res.writeHead(429).end();
    if (req.url === '/created') return res.writeHead(201).end();
    if (req.url === '/head')
      return res.writeHead(req.method === 'HEAD' && req.headers['x-probe'] === 'yes' ? 204 : 400).end();
    if (req.url === '/big') return res.writeHead(200).end('x'.repeat(10 * 1024));
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('late'), 3000);
    res.writeHead(404).end('no such page');
  });
  base = `http://127.0.0.1:${await listen(server)}`;
});
afterAll(() => close(server));

const run = (path: string, extra: Record<string, unknown> = {}, timeout = '1s') =>
  httpChecker.run(check({ type: 'http', timeout, http: { url: `${base}${path}`, ...extra } }), {}, signal());

describe('http checker', () => {
  it('2xx passes; the output is the status line and the body', async () => {
    const r = await run('/ok');
    expect(r.status).toBe('passing');
    expect(r.output).toBe(`HTTP GET ${base}/ok: 200 OK\nall fine`);
    expect(r.ms).toBeGreaterThan(0);
    expect((await run('/created')).status).toBe('passing');
  });

  it('503 is critical and shows the start of the body', async () => {
    const r = await run('/down');
    expect(r.status).toBe('critical');
    expect(r.output).toBe(
      `HTTP GET ${base}/down: 503 Service Unavailable\ndatabase unreachable\nretry later`,
    );
  });

  it('429 is a warning (Consul)', async () => {
    expect((await run('/busy')).status).toBe('warning');
  });

  it('expectStatus replaces 2xx', async () => {
    expect((await run('/down', { expectStatus: [503] })).status).toBe('passing');
    expect((await run('/ok', { expectStatus: [503] })).status).toBe('critical');
  });

  it('sends the method and headers', async () => {
    expect((await run('/head', { method: 'HEAD', headers: { 'x-probe': 'yes' } })).status).toBe('passing');
    expect((await run('/head')).status).toBe('critical');
  });

  it('a response slower than the timeout is critical', async () => {
    const r = await run('/slow', {}, '300ms');
    expect(r.status).toBe('critical');
    expect(r.output).toBe(`HTTP GET ${base}/slow: timed out after 300ms`);
    expect(r.ms).toBeLessThan(1500);
  });

  it('a large body is cut to 4 KiB', async () => {
    const r = await run('/big');
    expect(r.status).toBe('passing');
    expect(Buffer.byteLength(r.output)).toBeLessThan(4096 + 100);
    expect(r.output).toMatch(/output truncated: \d+ bytes, kept the first \d+$/);
  });

  it('a closed port is critical with the network error', async () => {
    const spare = createServer();
    const port = await listen(spare);
    await close(spare);
    const r = await httpChecker.run(
      check({ type: 'http', http: { url: `http://127.0.0.1:${port}/` } }),
      {},
      signal(),
    );
    expect(r.status).toBe('critical');
    expect(r.output).toContain('ECONNREFUSED');
  });
});
