import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbound } from '../../http/outbound.ts';
import type { ActionRun, UploadedFile } from './action.ts';
import { nats } from './nats.ts';

const FILE: UploadedFile = {
  id: '9a0d6b0e-1b1c-4c0c-8d7f-6f9a2b3c4d5e',
  agent: 'web-1',
  source: 'dumps',
  path: '/var/dumps/a.hprof',
  size: 7,
  mtime: '2026-12-07T10:00:00Z',
  labels: {},
  object: { bucket: 'b', key: 'k', url: 's3://b/k', etag: '"e"', size: 7 },
};

// A stream of its own per run, so runs on one NATS server do not see each other's messages.
const STREAM = `OPSFLEET_TEST_${process.pid}_${Date.now()}`;
const SUBJECT = `opsfleet.test.${process.pid}.${Date.now()}`;

describe('NATS JetStream file action (NATS at 127.0.0.1:4222)', () => {
  let nc: NatsConnection;
  const net = new Outbound({ allow: ['127.0.0.1/32'] });
  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: [`${SUBJECT}.>`] });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(STREAM);
    await nc.close();
    net.close();
  });

  const run = (key: string, attempt = 1): ActionRun => ({
    file: FILE,
    idempotencyKey: key,
    attempt,
    signal: new AbortController().signal,
    output: () => undefined,
    net,
  });

  it('publishes the file event with its idempotency key; a second attempt is dropped by the stream', async () => {
    const config = { url: 'nats://127.0.0.1:4222', subject: `${SUBJECT}.{source}` };
    const first = await nats.run(run(`${FILE.id}:a1`), config);
    const second = await nats.run(run(`${FILE.id}:a1`, 2), config);
    expect(first).toMatchObject({ ok: true, result: { stream: STREAM, duplicate: false } });
    expect(second).toMatchObject({ ok: true, result: { duplicate: true } });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(1);
    const msg = await jsm.streams.getMessage(STREAM, { last_by_subj: `${SUBJECT}.dumps` });
    expect(msg?.header.get('Nats-Msg-Id')).toBe(`${FILE.id}:a1`);
    expect(msg?.json()).toMatchObject({
      type: 'file.uploaded',
      file: { id: FILE.id },
      object: { url: 's3://b/k' },
    });
  });

  it('a subject no stream captures is refused, not retried; an address the policy forbids too', async () => {
    expect(
      await nats.run(run('k2'), { url: 'nats://127.0.0.1:4222', subject: 'nobody.listens.here' }),
    ).toMatchObject({
      ok: false,
      retryable: false,
    });
    const strict = new Outbound();
    expect(
      await nats.run(
        { ...run('k3'), net: strict },
        { url: 'nats://127.0.0.1:4222', subject: `${SUBJECT}.x` },
      ),
    ).toMatchObject({ ok: false, retryable: false, cause: 'refused' });
    strict.close();
  });

  it('checks its settings', () => {
    expect(nats.check({ url: 'http://x', subject: 'a.*' })).toEqual([
      { path: 'url', message: 'a nats://host:port URL' },
      { path: 'subject', message: 'a subject without spaces or wildcards' },
    ]);
  });
});
