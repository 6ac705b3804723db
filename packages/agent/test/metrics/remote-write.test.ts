import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type RemoteSample, RemoteWriter, snapshotRegistry } from '../../src/metrics/remote-write.ts';
import { decodeWriteRequest, type Receiver, startReceiver } from './receiver.ts';

const T = 1_750_000_000_123; // a timestamp in ms past 2^32 and 2^40: multi-byte varints

function sample(name: string, labels: Record<string, string>, value: number, timestamp = T): RemoteSample {
  return { labels: { __name__: name, ...labels }, value, timestamp };
}

async function counters(registry: Registry) {
  const json = await registry.getMetricsAsJSON();
  const get = (name: string, labels: Record<string, string> = {}) =>
    json
      .find((m) => m.name === name)
      ?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
  return {
    sent: get('opsfleet_agent_remote_write_samples_total', { result: 'sent' }),
    dropped: get('opsfleet_agent_remote_write_samples_total', { result: 'dropped' }),
    failed: get('opsfleet_agent_remote_write_samples_total', { result: 'failed' }),
    buffer: get('opsfleet_agent_remote_write_buffer_samples'),
    requests: (code: string) => get('opsfleet_agent_remote_write_requests_total', { code }),
  };
}

describe('remote write to a local receiver', () => {
  let receiver: Receiver;
  const writers: RemoteWriter[] = [];
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.stop(0);
    await receiver?.close();
  });

  function writer(opts: Partial<ConstructorParameters<typeof RemoteWriter>[0]> = {}) {
    const registry = new Registry();
    const w = new RemoteWriter({
      url: receiver.url,
      registry,
      externalLabels: { instance: 'host-1', job: 'opsfleet-agent' },
      minBackoffMs: 10,
      maxBackoffMs: 50,
      ...opts,
    });
    writers.push(w);
    return { w, registry };
  }

  it('POSTs a snappy-compressed WriteRequest with the protocol headers, labels sorted, __name__ first', async () => {
    receiver = await startReceiver();
    const { w, registry } = writer({
      headers: { 'X-Scope-OrgID': 'tenant-1', Authorization: 'Bearer t0k', 'content-type': 'text/plain' },
    });
    w.push([
      sample('opsfleet_agent_load', { period: '1m', instance: 'host-1', job: 'opsfleet-agent' }, 0.52),
      sample(
        'opsfleet_agent_disk_bytes',
        { mountpoint: '/', kind: 'size', device: '/dev/vda', zone: '' },
        2 ** 40,
      ),
      sample(
        'opsfleet_agent_load',
        { job: 'opsfleet-agent', instance: 'host-1', period: '1m' },
        0.61,
        T + 15_000,
      ),
    ]);
    await w.flush();

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers).toMatchObject({
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': 'opsfleet-agent/0.1.0',
      'x-scope-orgid': 'tenant-1',
      authorization: 'Bearer t0k',
    });
    expect(receiver.accepted()).toEqual([
      {
        labels: [
          { name: '__name__', value: 'opsfleet_agent_load' },
          { name: 'instance', value: 'host-1' },
          { name: 'job', value: 'opsfleet-agent' },
          { name: 'period', value: '1m' },
        ],
        samples: [
          { value: 0.52, timestamp: T },
          { value: 0.61, timestamp: T + 15_000 },
        ],
      },
      {
        // an empty value is no label (`zone` is gone)
        labels: [
          { name: '__name__', value: 'opsfleet_agent_disk_bytes' },
          { name: 'device', value: '/dev/vda' },
          { name: 'kind', value: 'size' },
          { name: 'mountpoint', value: '/' },
        ],
        samples: [{ value: 2 ** 40, timestamp: T }],
      },
    ]);
    const c = await counters(registry);
    expect([c.sent, c.dropped, c.failed, c.buffer, c.requests('204')]).toEqual([3, 0, 0, 0, 1]);
  });

  it('a prom-client registry becomes series: counters, labelled gauges, histogram buckets, external labels', async () => {
    receiver = await startReceiver();
    const source = new Registry();
    new Counter({ name: 'jobs_total', help: 'h', registers: [source] }).inc(3);
    new Gauge({ name: 'temp', help: 'h', labelNames: ['room'], registers: [source] }).set(
      { room: 'a b"c' },
      -1.5,
    );
    new Histogram({ name: 'lat_seconds', help: 'h', buckets: [0.1, 1], registers: [source] }).observe(0.5);
    const { w } = writer({
      source,
      externalLabels: { instance: 'h1', job: 'opsfleet-agent', room: 'ignored' },
    });
    await w.collect(T);
    await w.flush();
    const got = receiver
      .accepted()
      .map((s) => [Object.fromEntries(s.labels.map((l) => [l.name, l.value])), s.samples]);
    expect(got).toEqual([
      [
        { __name__: 'jobs_total', instance: 'h1', job: 'opsfleet-agent', room: 'ignored' },
        [{ value: 3, timestamp: T }],
      ],
      // the series' own label wins over an external one
      [
        { __name__: 'temp', instance: 'h1', job: 'opsfleet-agent', room: 'a b"c' },
        [{ value: -1.5, timestamp: T }],
      ],
      [
        { __name__: 'lat_seconds_bucket', instance: 'h1', job: 'opsfleet-agent', le: '0.1', room: 'ignored' },
        [{ value: 0, timestamp: T }],
      ],
      [
        { __name__: 'lat_seconds_bucket', instance: 'h1', job: 'opsfleet-agent', le: '1', room: 'ignored' },
        [{ value: 1, timestamp: T }],
      ],
      [
        {
          __name__: 'lat_seconds_bucket',
          instance: 'h1',
          job: 'opsfleet-agent',
          le: '+Inf',
          room: 'ignored',
        },
        [{ value: 1, timestamp: T }],
      ],
      [
        { __name__: 'lat_seconds_sum', instance: 'h1', job: 'opsfleet-agent', room: 'ignored' },
        [{ value: 0.5, timestamp: T }],
      ],
      [
        { __name__: 'lat_seconds_count', instance: 'h1', job: 'opsfleet-agent', room: 'ignored' },
        [{ value: 1, timestamp: T }],
      ],
    ]);
  });

  it('batches at most 2,000 series per request, in order, each sample once', async () => {
    receiver = await startReceiver();
    const { w, registry } = writer();
    w.push(Array.from({ length: 4500 }, (_, i) => sample('s', { i: String(i) }, i)));
    await w.flush();
    expect(receiver.requests.map((r) => r.status)).toEqual([204, 204, 204]);
    expect(receiver.requests.map((r) => decodeWriteRequest(r.body).length)).toEqual([2000, 2000, 500]);
    expect(receiver.accepted().map((s) => s.samples[0]!.value)).toEqual(
      Array.from({ length: 4500 }, (_, i) => i),
    );
    expect((await counters(registry)).sent).toBe(4500);
  });

  it('503 twice, then 200: the same request again after backoff, delivered once', async () => {
    receiver = await startReceiver();
    receiver.respond(503, 503, 200);
    const { w, registry } = writer();
    w.push([sample('up', {}, 1), sample('up', {}, 1, T + 1000)]);
    await w.flush();
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(receiver.requests[1]!.body.equals(receiver.requests[0]!.body)).toBe(true);
    expect(receiver.accepted()).toHaveLength(1);
    expect(receiver.accepted()[0]!.samples).toHaveLength(2);
    const c = await counters(registry);
    expect([c.sent, c.failed, c.dropped, c.requests('503'), c.requests('200')]).toEqual([2, 0, 0, 2, 1]);
  });

  it('429 waits for Retry-After, not for the (shorter) backoff', async () => {
    receiver = await startReceiver();
    receiver.respond({ status: 429, retryAfter: '1' });
    const { w } = writer();
    w.push([sample('up', {}, 1)]);
    await w.flush();
    expect(receiver.requests.map((r) => r.status)).toEqual([429, 204]);
    expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('400 is final: not retried, counted as failed; the writer goes on', async () => {
    receiver = await startReceiver();
    receiver.respond(400);
    const errors: string[] = [];
    const { w, registry } = writer({ onError: (e) => errors.push(e.message) });
    w.push([sample('up', {}, 1), sample('up', { a: '1' }, 1)]);
    await w.flush();
    expect(receiver.requests.map((r) => r.status)).toEqual([400]);
    expect(errors).toEqual(['remote write refused: HTTP 400: answer 400']);
    w.push([sample('up', {}, 1, T + 1)]);
    await w.flush();
    expect(receiver.requests.map((r) => r.status)).toEqual([400, 204]);
    const c = await counters(registry);
    expect([c.failed, c.sent, c.dropped, c.buffer]).toEqual([2, 1, 0, 0]);
  });

  it('a full buffer drops the oldest samples and counts them', async () => {
    receiver = await startReceiver();
    const { w, registry } = writer({ bufferSamples: 100 });
    w.push(Array.from({ length: 150 }, (_, i) => sample('s', {}, i, T + i)));
    expect(w.buffered).toBe(100);
    let c = await counters(registry);
    expect([c.dropped, c.buffer]).toEqual([50, 100]);
    await w.flush();
    const [series] = receiver.accepted();
    expect(series!.samples.map((s) => s.value)).toEqual(Array.from({ length: 100 }, (_, i) => 50 + i));
    c = await counters(registry);
    expect([c.sent, c.dropped, c.buffer]).toEqual([100, 50, 0]);
  });

  it('while the receiver is down the buffer stays bounded; stop() gives up what is left and counts it', async () => {
    receiver = await startReceiver();
    receiver.respond(...Array.from({ length: 1000 }, () => 503));
    const { w, registry } = writer({ bufferSamples: 100, maxSamplesPerRequest: 40 });
    w.push(Array.from({ length: 100 }, (_, i) => sample('s', {}, i, T + i)));
    const flushing = w.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(w.buffered).toBe(100); // 40 in flight + 60 waiting
    w.push(Array.from({ length: 70 }, (_, i) => sample('s', {}, 100 + i, T + 100 + i)));
    expect(w.buffered).toBe(140); // the ring holds 100: 30 of the waiting 60 were pushed out
    let c = await counters(registry);
    expect([c.dropped, c.buffer]).toEqual([30, 140]);
    const started = Date.now();
    await w.stop(200);
    await flushing;
    expect(Date.now() - started).toBeLessThan(1000);
    c = await counters(registry);
    expect([c.sent, c.failed, c.dropped, c.buffer]).toEqual([0, 0, 170, 0]);
    expect(receiver.requests.length).toBeGreaterThan(2);
  });

  it('a receiver that is not there yet: connection errors are retried until it is', async () => {
    receiver = await startReceiver();
    const { port, url } = receiver;
    await receiver.close();
    const { w, registry } = writer({ url });
    w.push([sample('up', {}, 1)]);
    const flushing = w.flush();
    await new Promise((r) => setTimeout(r, 150));
    receiver = await startReceiver(port);
    await flushing;
    expect(receiver.accepted()).toHaveLength(1);
    const c = await counters(registry);
    expect(c.requests('error')).toBeGreaterThan(0);
    expect(c.sent).toBe(1);
  });

  it('refuses label names the protocol does not allow', () => {
    expect(() => new RemoteWriter({ url: 'http://x', externalLabels: { 'bad-name': 'x' } })).toThrow(
      /bad-name/,
    );
    const w = new RemoteWriter({ url: 'http://x' });
    expect(() => w.push([{ labels: { a: '1' }, value: 1, timestamp: T }])).toThrow(/__name__/);
  });

  it('snapshotRegistry stamps every sample with one time', async () => {
    const r = new Registry();
    new Gauge({ name: 'g', help: 'h', labelNames: ['x'], registers: [r] }).set({ x: '1' }, 2);
    expect(await snapshotRegistry(r, T, { job: 'j' })).toEqual([
      { labels: { job: 'j', x: '1', __name__: 'g' }, value: 2, timestamp: T },
    ]);
  });
});
