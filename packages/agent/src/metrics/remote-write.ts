import { hostname } from 'node:os';
import { backoffDelay, sleep } from '@opsfleet/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import { compress } from 'snappyjs';
import pkg from '../../package.json' with { type: 'json' };
import { httpRequest } from '../http-client.ts';

/**
 * Prometheus Remote Write 1.0 (prometheus.io/docs/concepts/remote_write_spec): a protobuf
 * `WriteRequest`, snappy **block** compressed, POSTed with the three headers the spec requires.
 * Samples wait in a bounded buffer (the oldest are dropped when it is full); one request is in
 * flight at a time, so the samples of a series arrive in time order; 5xx, 429 and network
 * errors are retried with exponential backoff and jitter (Retry-After honoured), any other
 * status is final and its samples are counted as failed.
 */

export interface Label {
  name: string;
  value: string;
}

export interface TimeSeries {
  /** Sorted by name (so `__name__` comes before every lowercase name). */
  labels: Label[];
  samples: { value: number; timestamp: number }[];
}

/** One sample to send: its labels (with `__name__`), value and time in ms since the epoch. */
export interface RemoteSample {
  labels: Record<string, string>;
  value: number;
  timestamp: number;
}

// ---------------------------------------------------------------------------------------------
// Protobuf: WriteRequest{1: repeated TimeSeries}, TimeSeries{1: repeated Label, 2: repeated Sample},
// Label{1: string name, 2: string value}, Sample{1: double value, 2: int64 timestamp}.

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/**
 * Encodes a WriteRequest. Two passes: sizes first, then one buffer is written, no copies. The
 * byte length of each label name and value is measured once, in the first pass (the agent runs
 * without the optimising compiler, where that is most of the cost).
 * Timestamps are non-negative ms (a negative int64 would take ten bytes; none is produced).
 */
export function encodeWriteRequest(series: readonly TimeSeries[]): Buffer<ArrayBuffer> {
  // Per label: the name's and the value's UTF-8 length, in order of writing.
  const lengths: number[] = [];
  const labelSize = (n: number, v: number) => 2 + varintSize(n) + n + varintSize(v) + v;
  const sampleSize = (s: { timestamp: number }) => 9 + 1 + varintSize(s.timestamp);
  const seriesSizes: number[] = [];
  let total = 0;
  for (const ts of series) {
    let size = 0;
    for (const l of ts.labels) {
      const n = Buffer.byteLength(l.name);
      const v = Buffer.byteLength(l.value);
      lengths.push(n, v);
      const ls = labelSize(n, v);
      size += 1 + varintSize(ls) + ls;
    }
    for (const s of ts.samples) {
      const ss = sampleSize(s);
      size += 1 + varintSize(ss) + ss;
    }
    seriesSizes.push(size);
    total += 1 + varintSize(size) + size;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  const varint = (n: number) => {
    while (n >= 128) {
      buf[pos++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    buf[pos++] = n;
  };
  let k = 0;
  for (let i = 0; i < series.length; i++) {
    const ts = series[i]!;
    buf[pos++] = 0x0a; // field 1, length-delimited
    varint(seriesSizes[i]!);
    for (const l of ts.labels) {
      const n = lengths[k++]!;
      const v = lengths[k++]!;
      buf[pos++] = 0x0a;
      varint(labelSize(n, v));
      buf[pos++] = 0x0a;
      varint(n);
      pos += buf.write(l.name, pos, 'utf8');
      buf[pos++] = 0x12;
      varint(v);
      pos += buf.write(l.value, pos, 'utf8');
    }
    for (const s of ts.samples) {
      buf[pos++] = 0x12;
      varint(sampleSize(s));
      buf[pos++] = 0x09; // field 1, 64-bit
      buf.writeDoubleLE(s.value, pos);
      pos += 8;
      buf[pos++] = 0x10; // field 2, varint
      varint(s.timestamp);
    }
  }
  if (pos !== total) throw new Error(`WriteRequest encoding: wrote ${pos} of ${total} bytes`);
  return buf;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The label set as the spec wants it: names sorted bytewise, no empty values (an empty value
 * means "no label" in Prometheus), valid names, `__name__` present.
 */
export function normalizeLabels(labels: Record<string, string>): Label[] {
  if (!labels.__name__) throw new Error('a remote-write series needs __name__');
  const out: Label[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (value === '' || value === undefined) continue;
    if (!LABEL_NAME.test(name)) throw new Error(`'${name}' is not a valid label name`);
    out.push({ name, value: String(value) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Every sample of a prom-client registry at `timestamp`, with `externalLabels` added where the
 * series has no label of that name (the series' own labels win, as Prometheus' external_labels).
 */
export async function snapshotRegistry(
  registry: Registry,
  timestamp = Date.now(),
  externalLabels: Record<string, string> = {},
): Promise<RemoteSample[]> {
  const out: RemoteSample[] = [];
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values as {
      labels: Record<string, string | number>;
      value: number;
      metricName?: string;
    }[]) {
      const labels: Record<string, string> = { ...externalLabels };
      for (const [k, val] of Object.entries(v.labels)) labels[k] = String(val);
      labels.__name__ = v.metricName ?? metric.name;
      out.push({ labels, value: v.value, timestamp });
    }
  }
  return out;
}

/** Retry-After as ms from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// ---------------------------------------------------------------------------------------------

export interface RemoteWriteOptions {
  /** The receiver: Prometheus `/api/v1/write`, Mimir `/api/v1/push`, VictoriaMetrics `/api/v1/write`. */
  url: string;
  /** More headers (Authorization, X-Scope-OrgID …); they cannot replace the protocol headers. */
  headers?: Record<string, string>;
  /** Samples kept while the receiver is slow or down; the oldest are dropped beyond it. */
  bufferSamples?: number;
  /** ms between snapshots of `source` (with `start()`): `agent.remoteWrite.interval`. */
  interval?: number;
  /** The registry whose samples are sent by `start()`. */
  source?: Registry;
  /** Added to every series that lacks the label; default `{job: 'opsfleet-agent', instance: hostname}`. */
  externalLabels?: Record<string, string>;
  /** Where the writer's own counters go (usually the agent registry, which may also be `source`). */
  registry?: Registry;
  maxSeriesPerRequest?: number;
  maxSamplesPerRequest?: number;
  /** Per request. */
  timeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A Retry-After longer than this is shortened to it. */
  maxRetryAfterMs?: number;
  random?: () => number;
  onError?: (err: Error) => void;
}

/** A series' identity and sorted labels, shared by all its waiting samples. */
interface SeriesRef {
  key: string;
  labels: Label[];
}

interface Entry {
  series: SeriesRef;
  value: number;
  timestamp: number;
}

/** A fixed-size ring: pushing onto a full ring overwrites (drops) the oldest entry. */
class Ring {
  private readonly items: (Entry | undefined)[];
  private head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(capacity);
  }

  /** True when an older entry was dropped to make room. */
  push(e: Entry): boolean {
    const full = this.size === this.capacity;
    this.items[(this.head + this.size) % this.capacity] = e;
    if (full) this.head = (this.head + 1) % this.capacity;
    else this.size++;
    return full;
  }

  peek(i: number): Entry {
    return this.items[(this.head + i) % this.capacity]!;
  }

  /** Removes the `n` oldest. */
  shift(n: number): void {
    for (let i = 0; i < n; i++) this.items[(this.head + i) % this.capacity] = undefined;
    this.head = (this.head + n) % this.capacity;
    this.size -= n;
  }
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
    body: string,
  ) {
    super(`remote write refused: HTTP ${status}${body ? `: ${body}` : ''}`);
  }
}

export class RemoteWriter {
  private readonly ring: Ring;
  private readonly headers: Record<string, string>;
  private readonly externalLabels: Record<string, string>;
  private readonly maxSeries: number;
  private readonly maxSamples: number;
  private inFlight = 0;
  private readonly interned = new Map<string, SeriesRef>();
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private readonly samples: Counter<'result'>;
  private readonly requests: Counter<'code'>;
  private readonly lastSuccess: Gauge;

  constructor(private readonly opts: RemoteWriteOptions) {
    this.ring = new Ring(opts.bufferSamples ?? 100_000);
    this.maxSeries = opts.maxSeriesPerRequest ?? 2_000;
    this.maxSamples = opts.maxSamplesPerRequest ?? 10_000;
    this.externalLabels = opts.externalLabels ?? { job: 'opsfleet-agent', instance: hostname() };
    for (const name of Object.keys(this.externalLabels))
      if (!LABEL_NAME.test(name)) throw new Error(`remote write: '${name}' is not a valid label name`);
    const protocol = ['content-encoding', 'content-type', 'x-prometheus-remote-write-version', 'user-agent'];
    this.headers = {
      ...Object.fromEntries(
        Object.entries(opts.headers ?? {}).filter(([k]) => !protocol.includes(k.toLowerCase())),
      ),
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': `opsfleet-agent/${pkg.version}`,
    };
    const registers = opts.registry ? [opts.registry] : [];
    this.samples = new Counter({
      name: 'opsfleet_agent_remote_write_samples_total',
      help: 'Remote-write samples by result: sent (accepted), dropped (pushed out of the full buffer), failed (refused with a non-retryable status).',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['sent', 'dropped', 'failed']) this.samples.inc({ result }, 0);
    this.requests = new Counter({
      name: 'opsfleet_agent_remote_write_requests_total',
      help: 'Remote-write requests by HTTP status code (`error` when no response came).',
      labelNames: ['code'],
      registers,
    });
    const self = this;
    new Gauge({
      name: 'opsfleet_agent_remote_write_buffer_samples',
      help: 'Samples waiting to be sent, the request in flight included.',
      registers,
      collect() {
        this.set(self.buffered);
      },
    });
    this.lastSuccess = new Gauge({
      name: 'opsfleet_agent_remote_write_last_success_timestamp_seconds',
      help: 'When the receiver last accepted a request, seconds since the epoch.',
      registers,
    });
    this.lastSuccess.remove({});
  }

  /** Samples held: buffered plus in flight. */
  get buffered(): number {
    return this.ring.size + this.inFlight;
  }

  /** Adds samples to the buffer, dropping the oldest when it is full. */
  push(samples: Iterable<RemoteSample>): void {
    let dropped = 0;
    for (const s of samples) {
      const sorted = normalizeLabels(s.labels);
      const key = sorted.map((l) => `${l.name}\u0000${l.value}`).join('\u0001');
      // The samples of one series share one key and label array while they wait (an outage
      // can keep many of them); the map is emptied whenever the buffer is.
      let series = this.interned.get(key);
      if (!series) {
        series = { key, labels: sorted };
        this.interned.set(key, series);
      }
      if (this.ring.push({ series, value: s.value, timestamp: s.timestamp })) dropped++;
    }
    if (dropped) this.samples.inc({ result: 'dropped' }, dropped);
  }

  /** Snapshots `source` now (with the external labels) and pushes it. */
  async collect(now = Date.now()): Promise<void> {
    if (!this.opts.source) throw new Error('remote write: no source registry');
    this.push(await snapshotRegistry(this.opts.source, now, this.externalLabels));
  }

  /**
   * Sends until the buffer is empty (samples pushed meanwhile included). One flush runs at a
   * time; a second call returns the running one. Resolves also when stopped.
   */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Every `interval`: collect the source and flush. The timer does not hold the process open. */
  start(): void {
    if (!this.opts.source) throw new Error('remote write: start() needs a source registry');
    if (this.timer || this.abort.signal.aborted) return;
    this.timer = setInterval(() => {
      this.collect()
        .then(() => this.flush())
        .catch((err) => this.opts.onError?.(err as Error));
    }, this.opts.interval ?? 15_000);
    this.timer.unref();
  }

  /**
   * Stops the timer and gives the buffer `graceMs` to be delivered (retries included); then
   * aborts the request and the backoff in progress. What is left is counted as dropped.
   */
  async stop(graceMs = 5_000): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const deadline = setTimeout(() => this.abort.abort(new Error('remote write stopped')), graceMs);
    try {
      await this.flush();
    } finally {
      clearTimeout(deadline);
      this.abort.abort(new Error('remote write stopped'));
    }
    if (this.ring.size) this.samples.inc({ result: 'dropped' }, this.ring.size);
    this.ring.shift(this.ring.size);
    this.interned.clear();
  }

  private async drain(): Promise<void> {
    while (this.ring.size > 0 && !this.abort.signal.aborted) {
      const { series, count } = this.takeBatch();
      this.inFlight = count;
      try {
        const outcome = await this.send(series);
        this.samples.inc({ result: outcome === 'sent' ? 'sent' : 'failed' }, count);
      } catch {
        // Aborted by stop(): the batch is given up.
        this.samples.inc({ result: 'dropped' }, count);
        return;
      } finally {
        this.inFlight = 0;
      }
    }
    if (this.ring.size === 0) this.interned.clear();
  }

  /** The oldest samples, up to `maxSeries` distinct series and `maxSamples` samples, grouped by series. */
  private takeBatch(): { series: TimeSeries[]; count: number } {
    const bySeries = new Map<string, TimeSeries>();
    let count = 0;
    while (count < this.ring.size && count < this.maxSamples) {
      const e = this.ring.peek(count);
      let ts = bySeries.get(e.series.key);
      if (!ts) {
        if (bySeries.size >= this.maxSeries) break;
        ts = { labels: e.series.labels, samples: [] };
        bySeries.set(e.series.key, ts);
      }
      ts.samples.push({ value: e.value, timestamp: e.timestamp });
      count++;
    }
    this.ring.shift(count);
    const series = [...bySeries.values()];
    for (const ts of series) ts.samples.sort((a, b) => a.timestamp - b.timestamp);
    return { series, count };
  }

  /** 'sent', or 'failed' for a final refusal; retries everything else until it works or stop() aborts. */
  private async send(series: TimeSeries[]): Promise<'sent' | 'failed'> {
    const body = compress(encodeWriteRequest(series));
    const signal = this.abort.signal;
    for (let attempt = 1; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const res = await httpRequest(this.opts.url, {
          method: 'POST',
          headers: this.headers,
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs ?? 30_000)]),
          maxBody: 4096,
        });
        this.requests.inc({ code: String(res.status) });
        if (res.ok) {
          this.lastSuccess.set(Date.now() / 1000);
          return 'sent';
        }
        const text = res.body.toString('utf8').slice(0, 300).trim();
        const retryAfter = res.headers['retry-after'];
        const err = new HttpStatusError(res.status, parseRetryAfter(retryAfter ?? null), text);
        this.opts.onError?.(err);
        if (res.status !== 429 && res.status < 500) return 'failed';
        retryAfterMs = err.retryAfterMs;
      } catch (err) {
        if (signal.aborted) throw err;
        this.requests.inc({ code: 'error' });
        this.opts.onError?.(err as Error);
      }
      const backoff = backoffDelay(
        attempt,
        this.opts.minBackoffMs ?? 500,
        this.opts.maxBackoffMs ?? 30_000,
        0.5,
        this.opts.random,
      );
      const delay =
        retryAfterMs === undefined ? backoff : Math.min(retryAfterMs, this.opts.maxRetryAfterMs ?? 300_000);
      await sleep(delay, signal);
    }
  }
}
