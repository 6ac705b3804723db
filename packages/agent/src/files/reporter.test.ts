import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileReport, SpoolEntry } from './model.ts';
import { FileReporter, REPORT_BATCH, ReportQueue, reportOf } from './reporter.ts';

const entry = (id: string, seq: number, over: Partial<SpoolEntry> = {}): SpoolEntry => ({
  id,
  source: 'heap',
  relPath: `app/${id}.hprof`,
  size: 100,
  mtimeMs: Date.UTC(2026, 11, 7, 12),
  destination: 'dumps',
  labels: { team: 'a' },
  state: 'queued',
  attempts: 0,
  seq,
  detectedAt: '2026-12-07T12:00:00.000Z',
  updatedAt: '2026-12-07T12:00:01.000Z',
  ...over,
});

describe('reportOf', () => {
  it.each([
    ['queued', {}, { state: 'detected' }],
    [
      'uploading, two parts done',
      {
        state: 'uploading' as const,
        progress: {
          uploadId: 'u',
          bucket: 'b',
          key: 'k',
          partSize: 5,
          checksum: 'CRC32C' as const,
          parts: [
            { partNumber: 1, etag: '"a"', size: 5 },
            { partNumber: 2, etag: '"b"', size: 5 },
          ],
        },
      },
      { state: 'uploading', bytesUploaded: 10 },
    ],
    [
      'uploaded',
      {
        state: 'uploaded' as const,
        object: { bucket: 'b', key: 'k', url: 'http://s3/b/k', etag: '"e"', size: 100 },
      },
      { state: 'uploaded', bytesUploaded: 100, object: { url: 'http://s3/b/k' } },
    ],
    [
      'failed',
      { state: 'failed' as const, lastError: 'AccessDenied' },
      { state: 'failed', error: 'AccessDenied' },
    ],
  ])('%s', (_, over, expected) => {
    const r = reportOf(entry('f1', 3, over));
    expect(r).toMatchObject({
      id: 'f1',
      seq: 3,
      path: 'app/f1.hprof',
      mtime: '2026-12-07T12:00:00.000Z',
      ...expected,
    });
  });

  it('says nothing of an error while the file is not failed', () => {
    expect(reportOf(entry('f1', 2, { state: 'uploading', lastError: 'timeout' }))).not.toHaveProperty(
      'error',
    );
  });
});

describe('ReportQueue', () => {
  it('keeps the newest report of a file, whatever order they come in', () => {
    const q = new ReportQueue();
    for (const seq of [2, 5, 3, 5, 1]) q.add(reportOf(entry('f1', seq)));
    q.add(reportOf(entry('f2', 1)));
    expect(q.take(10).map((r) => [r.id, r.seq])).toEqual([
      ['f1', 5],
      ['f2', 1],
    ]);
  });

  it('keeps a newer report that arrived while the older was being sent', () => {
    const q = new ReportQueue();
    q.add(reportOf(entry('f1', 1)));
    const sent = q.take(10);
    q.add(reportOf(entry('f1', 2)));
    q.done(sent);
    expect(q.take(10).map((r) => r.seq)).toEqual([2]);
  });
});

describe('FileReporter', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function receiver(answers: number[]) {
    const got: FileReport[][] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const status = answers.shift() ?? 200;
        if (status === 200) got.push((JSON.parse(body) as { events: FileReport[] }).events);
        expect(req.headers.authorization).toBe('Bearer agent-key');
        expect(req.url).toBe('/api/v1/agent/files/events');
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: 0 }));
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it('keeps reports the server refused and sends them, in batches, once it takes them', async () => {
    const { got, url } = await receiver([503, 503]);
    const warnings: string[] = [];
    const reporter = new FileReporter({
      server: { url, token: 'agent-key' },
      log: { warn: (_, m) => warnings.push(m), info: () => {} },
    });
    for (let i = 0; i < REPORT_BATCH + 20; i++) reporter.report(entry(`f${i}`, 1));
    expect(await reporter.flush()).toBe(false);
    expect(reporter.backlog).toBe(REPORT_BATCH + 20);
    expect(await reporter.flush()).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(await reporter.flush()).toBe(true);
    expect(got.map((b) => b.length)).toEqual([REPORT_BATCH, 20]);
    expect(reporter.backlog).toBe(0);
  });

  it('drops only the reports the server refuses as invalid, and sends the others', async () => {
    const got: FileReport[][] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const events = (JSON.parse(body) as { events: FileReport[] }).events;
        const bad = events.some((e) => e.path.includes('bad'));
        if (!bad) got.push(events);
        res
          .writeHead(bad ? 400 : 200, { 'content-type': 'application/json' })
          .end(JSON.stringify(bad ? { detail: 'body.events.0.path: invalid' } : { accepted: events.length }));
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const warnings: string[] = [];
    const reporter = new FileReporter({
      server: { url, token: 'agent-key' },
      log: { warn: (_, m) => warnings.push(m), info: () => {} },
    });
    reporter.report(entry('good1', 1));
    reporter.report(entry('bad', 1));
    reporter.report(entry('good2', 1));
    expect(await reporter.flush()).toBe(true);
    expect(got.flat().map((r) => r.id)).toEqual(['good1', 'good2']);
    expect(warnings).toEqual(['files: the server refused a report; dropped']);
    expect(reporter.backlog).toBe(0);
  });
});
