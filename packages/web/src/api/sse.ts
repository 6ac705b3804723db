/**
 * Server-Sent Events over `fetch`: the alert stream needs the Authorization header, which
 * `EventSource` cannot send, so the body is read as a stream and parsed here.
 */
import { authFetch } from './client.ts';

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental parser of the `text/event-stream` format: feed it chunks as they arrive (they may
 * split lines anywhere) and it returns the complete messages. Comments (`: heartbeat`) are
 * skipped; `data` lines of one message are joined with newlines; the event name defaults to
 * `message`.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const message: SseMessage = { event: this.event || 'message', data: this.data.join('\n') };
      if (this.id !== undefined) message.id = this.id;
      this.event = '';
      this.data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
    return undefined;
  }
}

/** Reconnection delays: 1 s doubling to 30 s, with some jitter so many consoles do not align. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface StreamOptions {
  path: string;
  onMessage: (message: SseMessage) => void;
  onStatus?: (status: StreamStatus, detail?: string) => void;
  /** How long to wait before the nth reconnection (default `backoffMs`). */
  retryMs?: (attempt: number) => number;
}

/**
 * Reads an SSE endpoint with the session's token until the returned function is called; when the
 * stream ends or fails it reconnects with backoff. A 401 refreshes the token first (in
 * `authFetch`); a refused refresh ends the session and the stream. Events sent while it was
 * disconnected are lost: `live` after `reconnecting` tells the caller to load afresh.
 */
export function openStream(opts: StreamOptions): () => void {
  const abort = new AbortController();
  const status = (s: StreamStatus, detail?: string) => {
    if (!abort.signal.aborted) opts.onStatus?.(s, detail);
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      abort.signal.addEventListener('abort', wake);
    });

  void (async () => {
    let attempt = 0;
    while (!abort.signal.aborted) {
      if (attempt === 0) status('connecting');
      let problem = 'the stream ended';
      try {
        const res = await authFetch(opts.path, {
          headers: { accept: 'text/event-stream' },
          signal: abort.signal,
        });
        // authFetch has refreshed the token and retried already: the session is over.
        if (res.status === 401) {
          status('stopped', 'not logged in');
          return;
        }
        if (res.ok && res.body) {
          attempt = 0;
          status('live');
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          const parser = new SseParser();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const message of parser.push(decoder.decode(value, { stream: true })))
              opts.onMessage(message);
          }
        } else {
          problem = `the server answered ${res.status}`;
          await res.body?.cancel();
        }
      } catch (err) {
        if (abort.signal.aborted) break;
        problem = (err as Error).message;
      }
      if (abort.signal.aborted) break;
      const wait = (opts.retryMs ?? backoffMs)(attempt++);
      status('reconnecting', `${problem}; retrying in ${Math.round(wait / 1000)} s`);
      await sleep(wait);
    }
  })();

  return () => abort.abort();
}
