import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbound } from '../../http/outbound.ts';
import type { ActionRun, UploadedFile } from './action.ts';
import { webhook } from './webhook.ts';

const FILE: UploadedFile = {
  id: '0b0e7a52-92a4-4c53-8d0b-0f3f2a3f9e21',
  agent: 'web-1',
  source: 'dumps',
  path: '/var/dumps/a.hprof',
  size: 10,
  mtime: '2026-12-07T10:00:00Z',
  labels: {},
  object: { bucket: 'b', key: 'k', url: 's3://b/k', etag: '"e"', size: 10 },
};

/** A receiver as its docs tell one to be written: recompute the signature, compare in constant time. */
function verified(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): boolean {
  const want = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${headers['x-opsfleet-timestamp']}.${body}`).digest('hex')}`,
  );
  const got = Buffer.from(String(headers['x-opsfleet-signature'] ?? ''));
  return got.length === want.length && timingSafeEqual(got, want);
}

describe('webhook file action', () => {
  let server: Server;
  let url = '';
  const seen: { verified: boolean; key: unknown; body: Record<string, unknown> }[] = [];
  let answer = 200;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({
          verified: verified('s3cret', req.headers, body),
          key: req.headers['x-opsfleet-idempotency-key'],
          body: JSON.parse(body),
        });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  const net = new Outbound({ allow: ['127.0.0.1/32'] });
  afterAll(async () => {
    net.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const run = (): ActionRun => ({
    file: FILE,
    idempotencyKey: `${FILE.id}:action-1`,
    attempt: 1,
    signal: new AbortController().signal,
    output: () => undefined,
    net,
  });

  it('posts the file and its object, signed, with the idempotency key', async () => {
    answer = 204;
    expect(await webhook.run(run(), { url, secret: 's3cret' })).toMatchObject({ ok: true });
    expect(seen.at(-1)).toMatchObject({
      verified: true,
      key: `${FILE.id}:action-1`,
      body: { type: 'file.uploaded', file: { id: FILE.id, path: FILE.path }, object: { url: 's3://b/k' } },
    });
  });

  it.each([
    [503, true],
    [429, true],
    [400, false],
    [404, false],
  ])('HTTP %i: retryable %s', async (status, retryable) => {
    answer = status;
    expect(await webhook.run(run(), { url, secret: 's3cret' })).toMatchObject({ ok: false, retryable });
  });

  it('refuses a destination the address policy forbids, not worth retrying', async () => {
    const strict = new Outbound();
    expect(await webhook.run({ ...run(), net: strict }, { url })).toMatchObject({
      ok: false,
      retryable: false,
    });
    strict.close();
  });
});
