import type { App } from '../http/app.ts';
import { Problem } from '../http/problem.ts';
import type { AlertFeed } from './feed.ts';
import type { AlertService } from './service.ts';

const HEARTBEAT_MS = 15_000;
const MAX_SUBSCRIBERS = 200;

/**
 * `GET /api/v1/alerts/stream`: Server-Sent Events, one `event: alert` with the alert's summary
 * each time an alert changes on any replica, and a comment every 15 s so proxies keep the
 * connection open. 503 past 200 subscribers.
 */
export function alertStreamRoute(app: App, alerts: AlertService, feed: AlertFeed): void {
  app.get(
    '/api/v1/alerts/stream',
    { config: { permission: 'alert:read' }, schema: { tags: ['alerts'], hide: false } },
    async (req, reply) => {
      if (feed.subscribers() >= MAX_SUBSCRIBERS)
        throw new Problem(
          503,
          'Service Unavailable',
          `more than ${MAX_SUBSCRIBERS} live streams are open; retry later`,
        );
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected\n\n');
      const unsubscribe = feed.subscribe((fingerprints) => {
        void (async () => {
          for (const fp of fingerprints) {
            const detail = await alerts.get(fp).catch(() => undefined);
            if (detail) res.write(`event: alert\ndata: ${JSON.stringify(detail.alert)}\n\n`);
          }
        })();
      });
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
      req.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
  );
}
