import { Readable } from 'node:stream';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { Registry } from 'prom-client';
import { cacheStats } from '../cache.ts';
import type { ApiStats } from '../collector/api-stats.ts';
import type { Collector } from '../collector/collector.ts';
import type { Discovery } from '../discovery/discovery.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import type { SeriesStore } from '../series-store.ts';

export interface RouteDeps {
  collector: Collector;
  discovery: Discovery;
  store: SeriesStore;
  registry: Registry;
  selfMetrics: SelfMetrics;
  apiStats: ApiStats;
  help: (name: string) => string;
  adminAuth: onRequestHookHandler;
  accountsPath?: () => string | undefined;
  /** When the first collection has completed (readiness). */
  ready: () => boolean;
  now?: () => Date;
}

const DEGRADED_AFTER_MS = 5 * 60_000;
const PROVIDERS = ['aliyun', 'tencent', 'huawei', 'aws'];

/** The public exporter's endpoints, same paths and bodies, plus /readyz. */
// biome-ignore lint/suspicious/noExplicitAny: routes work with any logger the app was built with
export function registerRoutes(app: FastifyInstance<any, any, any, any>, deps: RouteDeps): void {
  const now = deps.now ?? (() => new Date());

  app.get('/metrics', async (_req, reply) => {
    for (const [type, s] of cacheStats()) {
      deps.selfMetrics.cacheEntries.set({ cache_type: type }, s.entries);
      deps.selfMetrics.cacheBytes.set({ cache_type: type }, s.bytes);
    }
    const chunks = [...deps.store.renderChunks(deps.help), await deps.registry.metrics()];
    // Streamed chunk by chunk: the business text (tens of MB at 100k series) is never copied whole.
    return reply
      .type('text/plain; version=0.0.4; charset=utf-8')
      .send(Readable.from(chunks, { objectMode: false }));
  });

  app.get('/healthz', async () => {
    const time = Math.floor(now().getTime() / 1000);
    const last = deps.collector.lastCompletedAt();
    if (last && now().getTime() - last.getTime() > DEGRADED_AFTER_MS) {
      return {
        status: 'degraded',
        time,
        warning: 'last collection completed more than 5 minutes ago',
        last_collection: last.toISOString(),
      };
    }
    return { status: 'healthy', time };
  });

  app.get('/readyz', async (_req, reply) => {
    if (!deps.ready())
      return reply.code(503).send({ status: 'not ready', reason: 'first collection has not completed' });
    return { status: 'ready' };
  });

  app.register(async (admin) => {
    admin.addHook('onRequest', deps.adminAuth);

    admin.get('/status', async () => deps.collector.status());
    admin.get('/api/status', async () => deps.collector.status());

    admin.route({
      method: ['GET', 'POST'],
      url: '/collect',
      handler: async (req, reply) => {
        const q = req.query as Record<string, string | undefined>;
        const provider = q.provider ?? '';
        const resource = q.resource ?? '';
        if (provider && !PROVIDERS.includes(provider)) {
          return reply
            .code(400)
            .type('application/problem+json')
            .send({
              type: 'about:blank',
              title: 'Bad Request',
              status: 400,
              detail: `unknown provider "${provider}": use one of ${PROVIDERS.join(', ')}`,
            });
        }
        deps.collector
          .collect({ provider: provider || undefined, resource: resource || undefined })
          .catch((err) => req.log.error({ err: (err as Error).message }, 'manual collection failed'));
        return { status: 'triggered', provider, resource };
      },
    });

    admin.get('/api/discovery/config', async (_req, reply) => {
      reply.type('application/json').send(JSON.stringify(deps.discovery.configJson(), null, 2));
    });

    admin.get('/api/discovery/status', async (_req, reply) => {
      const body = {
        ...deps.discovery.statusJson({
          accountsPath: deps.accountsPath?.(),
          subscribers: deps.discovery.subscriberCount(),
        }),
        api_stats: deps.apiStats.snapshot(),
      };
      reply.type('application/json').send(JSON.stringify(body, null, 2));
    });
  });
}
