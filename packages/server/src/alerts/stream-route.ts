import { z } from 'zod';
import type { App } from '../http/app.ts';
import { Problem } from '../http/problem.ts';
import { can } from '../identity/permissions.ts';
import type { IdentityService, Principal } from '../identity/service.ts';
import type { AlertFeed } from './feed.ts';
import type { AlertService } from './service.ts';

const HEARTBEAT_MS = 15_000;
const MAX_SUBSCRIBERS = 200;
/** Enough for a person's tabs; a runaway script holding more would starve everyone else's slots. */
export const MAX_STREAMS_PER_PRINCIPAL = 10;

/**
 * `GET /api/v1/alerts/stream`: Server-Sent Events, one `event: alert` with the alert's summary
 * each time an alert changes on any replica, and a comment every 15 s so proxies keep the
 * connection open. 503 past 200 subscribers, 429 past 10 streams of one user or API key on this
 * replica. A stream ends as soon as its credential no longer grants `alert:read` (logout,
 * disabled user, changed password, new role, revoked key, on any replica), and that is checked
 * again with each heartbeat.
 */
export function alertStreamRoute(
  app: App,
  alerts: AlertService,
  feed: AlertFeed,
  identity: IdentityService,
): void {
  const open = new Map<string, number>();
  app.get(
    '/api/v1/alerts/stream',
    {
      config: { permission: 'alert:read' },
      schema: {
        tags: ['alerts'],
        summary: 'Server-Sent Events: `event: alert` with the alert summary on every change',
        response: {
          200: {
            description: 'an event stream that ends when the credential stops granting alert:read',
            content: { 'text/event-stream': { schema: z.string().describe('event: alert\ndata: {…}') } },
          },
        },
      },
    },
    async (req, reply) => {
      if (feed.subscribers() >= MAX_SUBSCRIBERS)
        throw new Problem(
          503,
          'Service Unavailable',
          `more than ${MAX_SUBSCRIBERS} live streams are open; retry later`,
        );
      const principal = req.principal!;
      const slot = `${principal.kind}:${principal.id}`;
      const mine = open.get(slot) ?? 0;
      if (mine >= MAX_STREAMS_PER_PRINCIPAL)
        throw new Problem(
          429,
          'Too Many Requests',
          `${principal.name} has ${mine} live streams open on this server, the most one user or API key may have: close one (a tab of the console) and retry`,
        );
      open.set(slot, mine + 1);
      reply.hijack();
      const res = reply.raw;
      // Hijacked answers skip the reply's headers: the security headers set for it are copied.
      res.writeHead(200, {
        ...reply.getHeaders(),
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // An alert change or a heartbeat may still arrive after the stream was ended for lost access.
      const send = (text: string) => {
        if (!res.writableEnded) res.write(text);
      };
      send(': connected\n\n');
      const unsubscribe = feed.subscribe((fingerprints) => {
        void (async () => {
          for (const fp of fingerprints) {
            const detail = await alerts.get(fp).catch(() => undefined);
            if (detail) send(`event: alert\ndata: ${JSON.stringify(detail.alert)}\n\n`);
          }
        })();
      });
      const stillAllowed = async (p: Principal) => {
        // A database hiccup is not a revocation: the stream stays, and the next heartbeat asks again.
        const now = await identity.recheck(p).catch(() => p);
        if (!now || !can(now.role, 'alert:read') || now.mustChangePassword)
          if (!res.writableEnded) res.end(': access ended\n\n');
      };
      const unwatch = identity.onAccessChange((id) => {
        if (id === principal.id) void stillAllowed(principal);
      });
      const heartbeat = setInterval(() => {
        send(': heartbeat\n\n');
        void stillAllowed(principal);
      }, HEARTBEAT_MS);
      // The response closes when we end it and when the client goes away.
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        unwatch();
        const left = (open.get(slot) ?? 1) - 1;
        if (left > 0) open.set(slot, left);
        else open.delete(slot);
      });
    },
  );
}
