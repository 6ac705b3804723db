import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest } from '../src/http-client.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

describe('httpRequest', () => {
  it('sends method, headers and body, and answers status, reason, headers and body', async () => {
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () =>
        res
          .writeHead(418, 'Short And Stout', {
            'x-seen': `${req.method} ${req.headers.authorization} ${req.headers['content-length']}`,
          })
          .end(`got ${body}`),
      );
    });
    const res = await httpRequest(`${url}/x`, {
      method: 'POST',
      headers: { authorization: 'Bearer t' },
      body: 'héllo',
    });
    expect(res).toMatchObject({ status: 418, reason: 'Short And Stout', ok: false, bodyBytes: 10 });
    expect(res.headers['x-seen']).toBe('POST Bearer t 6');
    expect(res.body.toString()).toBe('got héllo');
  });

  it('keeps the first maxBody bytes of an endless body and drops the connection', async () => {
    let closed = false;
    const url = await serve((req, res) => {
      res.writeHead(200);
      const t = setInterval(() => res.write('x'.repeat(1000)), 5);
      req.socket.on('close', () => {
        closed = true;
        clearInterval(t);
      });
    });
    const res = await httpRequest(url, { maxBody: 2500 });
    expect(res.ok).toBe(true);
    expect(res.body.length).toBe(2500);
    expect(res.bodyBytes).toBeGreaterThan(2500);
    for (let i = 0; i < 50 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
  });

  it('rejects when the signal fires, and names the cause when nothing listens', async () => {
    const url = await serve(() => {}); // never answers
    await expect(httpRequest(url, { signal: AbortSignal.timeout(100) })).rejects.toThrow(/abort/i);
    const gone = await serve(() => {});
    servers[1]!.close();
    await expect(httpRequest(gone)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
