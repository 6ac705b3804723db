import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Discovery } from '../discovery/discovery.ts';

export interface StreamOptions {
  maxSubscribers: number;
  heartbeatMs: number;
  /** Streams end after this long; clients reconnect (EventSource does so by itself). */
  maxDurationMs: number;
}

export const STREAM_DEFAULTS: StreamOptions = {
  maxSubscribers: 100,
  heartbeatMs: 15_000,
  maxDurationMs: 30 * 60_000,
};

/**
 * `/api/discovery/stream`: Server-Sent Events. `event: init` with the current version, then
 * `event: update` at each change, a comment line as heartbeat, 503 past the subscriber cap.
 */
export function discoveryStream(discovery: Discovery, opts: StreamOptions) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (discovery.subscriberCount() >= opts.maxSubscribers) {
      return reply.code(503).type('text/plain').send('too many subscribers');
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    res.write(`event: init\ndata: ${JSON.stringify({ version: discovery.version })}\n\n`);
    const unsubscribe = discovery.subscribe((version) =>
      res.write(`event: update\ndata: ${JSON.stringify({ version })}\n\n`),
    );
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), opts.heartbeatMs);
    const end = setTimeout(() => res.end(), opts.maxDurationMs);
    const close = () => {
      unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(end);
    };
    req.raw.on('close', close);
    res.on('close', close);
  };
}
