import { backoffDelay } from '@opsfleet/core';
import type { OutputLevel } from './handler.ts';

export interface WireLine {
  seq: number;
  stage: string;
  level: OutputLevel;
  line: string;
  time: string;
}

export interface OutputOptions {
  /** Sends a batch; answers the command's state at the server. */
  send(lines: WireLine[]): Promise<{ state: string }>;
  /** The command is over at the server (cancelled, expired): stop the work. */
  onOver(state: string): void;
  /** The first line's number; each delivery attempt numbers from its own base. */
  firstSeq: number;
  /** Lines are sent at most this long after they were printed (default 250 ms). */
  flushMs?: number;
  /** While nothing is printed, an empty batch asks for the state this often (default 5 s). */
  askMs?: number;
  /** Lines held while the server cannot be reached; the oldest go beyond it (default 5,000). */
  maxHeld?: number;
}

const BATCH = 500;
const MAX_LINE = 8192;
const OVER = new Set(['cancelled', 'expired', 'succeeded', 'failed']);

/**
 * A command's output on its way to the server: numbered lines, sent in batches. A batch that
 * failed is sent again (the server keeps a line once by its number). The answers say when the
 * command was cancelled or expired, so a command that prints nothing is still asked every
 * `askMs`.
 */
export class OutputStream {
  private held: WireLine[] = [];
  private seq: number;
  private dropped = 0;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private lastSent = Date.now();
  private closed = false;
  private stopping = false;

  constructor(private readonly opts: OutputOptions) {
    this.seq = opts.firstSeq;
    this.schedule(opts.flushMs ?? 250);
  }

  print(line: string, stage: string, level: OutputLevel): void {
    if (this.closed) return;
    this.add(line, stage, level);
    const max = this.opts.maxHeld ?? 5000;
    if (this.held.length > max) {
      this.dropped += this.held.length - max;
      this.held.splice(0, this.held.length - max);
    }
  }

  private add(line: string, stage: string, level: OutputLevel): void {
    this.held.push({
      seq: this.seq++,
      stage: stage.slice(0, 64) || 'run',
      level,
      line: line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 20)}… (line cut)` : line,
      time: new Date().toISOString(),
    });
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const ask = Date.now() - this.lastSent >= (this.opts.askMs ?? 5000);
    await this.flush(ask).catch(() => undefined);
    const flushMs = this.opts.flushMs ?? 250;
    this.schedule(this.failures ? backoffDelay(this.failures, flushMs, 10_000, 0.5) : flushMs);
  }

  /** Sends what is held (or an empty batch when `ask`); rejects when the server did not take it. */
  flush(ask = false): Promise<void> {
    // One send at a time; the batch in flight is cleared only once it settled.
    this.sending ??= this.send(ask).finally(() => {
      this.sending = undefined;
    });
    return this.sending;
  }

  private async send(ask: boolean): Promise<void> {
    if (this.dropped) {
      const n = this.dropped;
      this.dropped = 0;
      // Past the cap, so the note itself pushes out no line.
      this.add(`${n} line(s) of output dropped while the server could not be reached`, 'agent', 'warn');
    }
    while (this.held.length || ask) {
      ask = false;
      const batch = this.held.slice(0, BATCH);
      let answer: { state: string };
      try {
        answer = await this.opts.send(batch);
      } catch (err) {
        this.failures += 1;
        throw err;
      }
      this.failures = 0;
      this.lastSent = Date.now();
      this.held.splice(0, batch.length);
      if (OVER.has(answer.state)) this.opts.onOver(answer.state);
    }
  }

  /** Stops the timer and tries to send the rest `tries` times; lines still held then are lost. */
  async close(tries = 3): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.sending?.catch(() => undefined);
    for (let i = 0; i < tries && this.held.length; i++) await this.flush().catch(() => undefined);
    this.closed = true;
  }
}
