import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbound } from '../../http/outbound.ts';
import type { ActionRun, UploadedFile } from './action.ts';
import { rabbitmq } from './rabbitmq.ts';

const FILE: UploadedFile = {
  id: '5b2e4a90-7d0c-4a4f-9f55-0a6a1d3e2c11',
  agent: 'web-1',
  source: 'dumps',
  path: '/var/dumps/a.hprof',
  size: 7,
  mtime: '2026-12-07T10:00:00Z',
  labels: {},
  object: { bucket: 'b', key: 'k', url: 's3://b/k', etag: '"e"', size: 7 },
};
const BROKER = 'amqp://127.0.0.1:5672';
const EXCHANGE = `opsfleet.test.${process.pid}.${Date.now()}`;
const QUEUE = `${EXCHANGE}.q`;

describe('RabbitMQ file action (RabbitMQ at 127.0.0.1:5672)', () => {
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  const net = new Outbound({ allow: ['127.0.0.1/32'] });
  beforeAll(async () => {
    conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
    ch = await conn.createChannel();
    await ch.assertExchange(EXCHANGE, 'topic', { durable: false, autoDelete: false });
    await ch.assertQueue(QUEUE, { durable: false, exclusive: true });
    await ch.bindQueue(QUEUE, EXCHANGE, 'files.#');
  });
  afterAll(async () => {
    await ch.deleteExchange(EXCHANGE);
    await conn.close();
    net.close();
  });

  const run = (key: string): ActionRun => ({
    file: FILE,
    idempotencyKey: key,
    attempt: 1,
    signal: new AbortController().signal,
    output: () => undefined,
    net,
  });
  const config = {
    url: BROKER,
    user: 'guest',
    password: 'guest',
    exchange: EXCHANGE,
    routingKey: 'files.{source}',
  };

  it('publishes persistent, confirmed, with the idempotency key as message-id; the bound queue gets it', async () => {
    expect(await rabbitmq.run(run(`${FILE.id}:r1`), config)).toMatchObject({
      ok: true,
      result: { routingKey: 'files.dumps' },
    });
    const msg = await ch.get(QUEUE, { noAck: true });
    expect(msg).not.toBe(false);
    if (!msg) return;
    expect(msg.fields.routingKey).toBe('files.dumps');
    expect(msg.properties).toMatchObject({
      messageId: `${FILE.id}:r1`,
      deliveryMode: 2,
      contentType: 'application/json',
      headers: { 'x-opsfleet-attempt': 1 },
    });
    expect(JSON.parse(msg.content.toString())).toMatchObject({
      file: { id: FILE.id },
      object: { url: 's3://b/k' },
    });
  });

  it('a message no queue takes is a failure, not retried; wrong credentials too; a refused address too', async () => {
    expect(await rabbitmq.run(run('k2'), { ...config, routingKey: 'nobody.{source}' })).toMatchObject({
      ok: false,
      retryable: false,
      cause: 'unroutable',
    });
    expect(await rabbitmq.run(run('k3'), { ...config, password: 'wrong' })).toMatchObject({
      ok: false,
      retryable: false,
    });
    const strict = new Outbound();
    expect(await rabbitmq.run({ ...run('k4'), net: strict }, config)).toMatchObject({
      ok: false,
      cause: 'refused',
    });
    strict.close();
  });

  it('checks its settings', () => {
    expect(rabbitmq.check({ url: 'amqp://u:p@h', exchange: 'x', routingKey: '{nope}' } as never)).toEqual([
      { path: 'url', message: 'put the credentials in user and password, not in the URL' },
      { path: 'routingKey', message: '{nope} is not a file field' },
    ]);
  });
});
