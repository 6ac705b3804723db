import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffMs, openStream, SseParser } from './sse.ts';

describe('SseParser', () => {
  it('reads events split across chunks anywhere, skipping comments', () => {
    const parser = new SseParser();
    const text =
      ': connected\n\nevent: alert\ndata: {"a":1}\n\n: heartbeat\n\nevent: alert\r\ndata: {"b":2}\r\n\r\n';
    const got = [];
    for (let i = 0; i < text.length; i += 3) got.push(...parser.push(text.slice(i, i + 3)));
    expect(got).toEqual([
      { event: 'alert', data: '{"a":1}' },
      { event: 'alert', data: '{"b":2}' },
    ]);
  });

  it('joins data lines, defaults the event name, keeps the id', () => {
    const parser = new SseParser();
    expect(parser.push('id: 7\ndata: one\ndata:two\n\n')).toEqual([
      { event: 'message', data: 'one\ntwo', id: '7' },
    ]);
  });

  it('keeps an unfinished message until its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.push('event: alert\ndata: x\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'alert', data: 'x' }]);
  });
});

describe('backoffMs', () => {
  it('doubles from 1 s up to 30 s', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });
});

describe('openStream', () => {
  afterEach(() => vi.unstubAllGlobals());

  /** A response whose body is `chunks`, then either ends or stays open. */
  const sse = (chunks: string[], end: boolean) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
          if (end) controller.close();
        },
      }),
      { status: 200, headers: { 'content-type': 'text/event-stream' } },
    );

  it('reconnects when the stream ends and keeps delivering events', async () => {
    const answers = [
      sse([': connected\n\n', 'event: alert\ndata: {"n":1}\n\n'], true),
      new Response('{"detail":"busy"}', { status: 503 }),
      sse(['event: alert\ndata: {"n":2}\n\n'], false),
    ];
    const fetchMock = vi.fn(async () => answers.shift() ?? sse([], false));
    vi.stubGlobal('fetch', fetchMock);
    const messages: string[] = [];
    const statuses: string[] = [];
    const waits: number[] = [];
    const stop = openStream({
      path: '/api/v1/alerts/stream',
      onMessage: (m) => messages.push(m.data),
      onStatus: (s) => statuses.push(s),
      retryMs: (attempt) => {
        waits.push(attempt);
        return 5;
      },
    });
    await vi.waitFor(() => expect(messages).toEqual(['{"n":1}', '{"n":2}']));
    stop();
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(statuses).toEqual(['connecting', 'live', 'reconnecting', 'reconnecting', 'live']);
    // The attempt count starts again once a connection succeeds, and grows while none does.
    expect(waits).toEqual([0, 1]);
  });
});
