import { hostname } from 'node:os';
import { backoffDelay, sleep } from '@opsfleet/core';
import { httpRequest } from '../http-client.ts';
import type { HealthLog, TransitionEvent } from './monitor.ts';
import { describeError, firstLine } from './output.ts';

/**
 * Health transitions as alerts on the server's generic ingestion (`POST /api/v1/webhooks/generic`).
 *
 * The server identifies an alert by the fingerprint of its labels — `alertname`, `severity` and
 * ours — and ends an episode only with a resolve that carries the episode's `startsAt`. So each
 * message carries `startsAt` (when the check entered the state), a resolve repeats the severity
 * and `startsAt` of the alert it ends, and a move between warning and critical resolves one
 * alert and fires the other. An open alert is re-sent every `resendEveryMs` (same `startsAt`,
 * a no-op refresh on the server) so the server's resolve timeout for quiet alerts (6 h by
 * default) does not end it while the check is still failing.
 */
export const ALERT_NAME = 'ServiceHealthCheck';
export const INGEST_PATH = '/api/v1/webhooks/generic';

export interface GenericAlert {
  name: typeof ALERT_NAME;
  severity: 'critical' | 'warning';
  status: 'firing' | 'resolved';
  labels: { host: string; service: string; check: string };
  summary: string;
  startsAt: string;
  endsAt?: string;
}

/** The alert currently firing for one check. */
export interface OpenAlert {
  severity: GenericAlert['severity'];
  startsAt: string;
  summary: string;
}

const MAX_SUMMARY = 500;

export function summaryOf(event: Pick<TransitionEvent, 'service' | 'check' | 'to' | 'output'>): string {
  const line = firstLine(event.output);
  const cut = line.length > MAX_SUMMARY ? `${line.slice(0, MAX_SUMMARY)}…` : line;
  return `${event.service}/${event.check} is ${event.to}${cut ? `: ${cut}` : ''}`;
}

/**
 * The messages one transition sends, given the alert open for the check before it, and the
 * alert open after it. Pure.
 */
export function alertsFor(
  event: TransitionEvent,
  open: OpenAlert | undefined,
  host: string,
): { messages: GenericAlert[]; open: OpenAlert | undefined } {
  const labels = { host, service: event.service, check: event.check };
  const summary = summaryOf(event);
  const messages: GenericAlert[] = [];
  const severity = event.to === 'critical' || event.to === 'warning' ? event.to : undefined;
  if (open && open.severity !== severity)
    messages.push({
      name: ALERT_NAME,
      severity: open.severity,
      status: 'resolved',
      labels,
      summary,
      startsAt: open.startsAt,
      endsAt: event.at,
    });
  if (!severity) return { messages, open: undefined };
  if (open?.severity === severity) return { messages, open };
  messages.push({ name: ALERT_NAME, severity, status: 'firing', labels, summary, startsAt: event.at });
  return { messages, open: { severity, startsAt: event.at, summary } };
}

export interface ReporterOptions {
  /** The server's base URL (`agent.server.url`). */
  url: string;
  /** Sent as `authorization: Bearer <token>`; the key needs the `alert:ingest` permission. */
  token: string;
  /** The `host` label; default the hostname. */
  host?: string;
  /** Messages kept while the server is unreachable; beyond it the oldest are dropped. Default 1000. */
  maxQueue?: number;
  /** Messages per request (one object alone, several as `{"alerts": [...]}`). Default 100. */
  batchSize?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  requestTimeoutMs?: number;
  /** Open alerts are re-sent this often. Default 1 h; 0 turns it off. */
  resendEveryMs?: number;
  log?: HealthLog;
}

type Outcome = 'sent' | 'retry' | 'drop';

/**
 * Sends transitions to the server in order, in the background: `report` only queues, so checks
 * never wait for the network. While the server is down the queue is retried with exponential
 * backoff (5xx, 408, 429 and network errors); other 4xx answers are logged and dropped, since
 * sending the same thing again cannot help.
 */
export class HealthReporter {
  private queue: GenericAlert[] = [];
  private readonly open = new Map<string, { labels: GenericAlert['labels']; alert: OpenAlert }>();
  private pumping = false;
  private readonly stop = new AbortController();
  private readonly resendTimer?: NodeJS.Timeout;
  private readonly endpoint: string;
  private readonly host: string;
  private readonly log?: HealthLog;
  sent = 0;
  dropped = 0;

  constructor(private readonly opts: ReporterOptions) {
    this.endpoint = new URL(INGEST_PATH, opts.url.endsWith('/') ? opts.url : `${opts.url}/`).toString();
    this.host = opts.host ?? hostname();
    this.log = opts.log;
    const every = opts.resendEveryMs ?? 3_600_000;
    if (every > 0) {
      this.resendTimer = setInterval(() => this.resendOpen(), every);
      this.resendTimer.unref();
    }
  }

  /** Queues the alerts of one transition; returns at once. */
  report(event: TransitionEvent): void {
    if (this.stop.signal.aborted) return;
    const key = `${event.service}\u0000${event.check}`;
    const { messages, open } = alertsFor(event, this.open.get(key)?.alert, this.host);
    if (open)
      this.open.set(key, {
        labels: { host: this.host, service: event.service, check: event.check },
        alert: open,
      });
    else this.open.delete(key);
    this.enqueue(messages);
  }

  /** Messages waiting to be sent. */
  get queued(): number {
    return this.queue.length;
  }

  /** Sends what it can within `flushMs`, then stops. */
  async close(flushMs = 2000): Promise<void> {
    clearInterval(this.resendTimer);
    const deadline = Date.now() + flushMs;
    while ((this.queue.length || this.pumping) && Date.now() < deadline) await sleep(20);
    this.stop.abort();
  }

  private resendOpen(): void {
    const now = new Date().toISOString();
    this.enqueue(
      [...this.open.values()].map(({ labels, alert }) => ({
        name: ALERT_NAME,
        severity: alert.severity,
        status: 'firing' as const,
        labels,
        summary: alert.summary,
        startsAt: alert.startsAt,
      })),
    );
    this.log?.debug({ open: this.open.size, at: now }, 'health alerts re-sent');
  }

  private enqueue(messages: GenericAlert[]): void {
    if (!messages.length) return;
    this.queue.push(...messages);
    const max = this.opts.maxQueue ?? 1000;
    if (this.queue.length > max) {
      const over = this.queue.length - max;
      this.queue.splice(0, over);
      if (this.dropped === 0 || Math.floor(this.dropped / 100) !== Math.floor((this.dropped + over) / 100))
        this.log?.warn({ dropped: this.dropped + over, max }, 'health alert queue full: oldest dropped');
      this.dropped += over;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let failures = 0;
    try {
      while (this.queue.length && !this.stop.signal.aborted) {
        const batch = this.queue.slice(0, this.opts.batchSize ?? 100);
        const outcome = await this.post(batch);
        if (outcome === 'retry') {
          failures += 1;
          const delay = backoffDelay(
            failures,
            this.opts.retryBaseMs ?? 1000,
            this.opts.retryMaxMs ?? 60_000,
            0.2,
          );
          await sleep(delay, this.stop.signal).catch(() => {});
          continue;
        }
        failures = 0;
        const done = new Set(batch);
        this.queue = this.queue.filter((m) => !done.has(m));
        if (outcome === 'sent') this.sent += batch.length;
        else this.dropped += batch.length;
      }
    } finally {
      this.pumping = false;
    }
  }

  private async post(batch: GenericAlert[]): Promise<Outcome> {
    try {
      const res = await httpRequest(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.opts.token}`,
          'user-agent': 'opsfleet-agent',
        },
        body: JSON.stringify(batch.length === 1 ? batch[0] : { alerts: batch }),
        signal: AbortSignal.any([
          this.stop.signal,
          AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000),
        ]),
      });
      const text = res.body.toString('utf8');
      if (res.ok) return 'sent';
      const retry = res.status >= 500 || res.status === 408 || res.status === 429;
      this.log?.[retry ? 'warn' : 'error'](
        { status: res.status, body: text.slice(0, 500), messages: batch.length },
        retry ? 'health alerts not accepted yet: retrying' : 'health alerts rejected: dropped',
      );
      return retry ? 'retry' : 'drop';
    } catch (err) {
      this.log?.warn(
        { err: describeError(err), messages: batch.length },
        'server unreachable: health alerts retried',
      );
      return 'retry';
    }
  }
}
