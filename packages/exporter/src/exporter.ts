import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { firstRunDelayMs, resolveShard } from './cluster/membership.ts';
import { ApiStats } from './collector/api-stats.ts';
import { Collector } from './collector/collector.ts';
import type { ExporterConfig } from './config/load.ts';
import { redactedConfig } from './config/redact.ts';
import { accountsSignature, Discovery } from './discovery/discovery.ts';
import { RegionManager } from './discovery/region-manager.ts';
import { adminGate } from './http/admin-gate.ts';
import { registerRoutes } from './http/routes.ts';
import { discoveryStream, STREAM_DEFAULTS, type StreamOptions } from './http/stream.ts';
import type { MappingCatalog } from './mappings/catalog.ts';
import type { Provider } from './providers/provider.ts';
import { ConfigReloader, type ReloadResult } from './reload.ts';
import { createSelfMetrics } from './self-metrics.ts';
import { SeriesStore } from './series-store.ts';

export interface ExporterOptions {
  config: ExporterConfig;
  catalog: MappingCatalog;
  providers: Provider[];
  log: Logger;
  env?: Record<string, string | undefined>;
  /** Backoff for cloud-call retries (tests shorten it). */
  backoff?: { baseMs: number; maxMs: number };
  /** Run the collection loop (off in tests that trigger collections themselves). */
  schedule?: boolean;
  /** Clock for /healthz (tests move it forward). */
  now?: () => Date;
  /** How to re-read the configuration (`POST /-/reload`, file changes); without it reload is refused. */
  loadConfig?: () => ExporterConfig;
  /** Watch the configuration files and reload on change. */
  watchConfig?: boolean;
  /** SSE limits (tests lower them). */
  stream?: Partial<StreamOptions>;
}

export interface Exporter {
  app: FastifyInstance;
  collector: Collector;
  discovery: Discovery;
  store: SeriesStore;
  registry: Registry;
  /** Runs discovery if needed, then one full collection. */
  collectOnce(): Promise<void>;
  /** Resolves when the first scheduled collection has completed. */
  firstCollection(): Promise<void>;
  /** Re-reads the configuration files now. */
  reload(): Promise<ReloadResult>;
  /** Binds `host` (default the configured `server.listen_address`). */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** Wires config, providers, collector, discovery and the HTTP surface into one exporter. */
export async function createExporter(opts: ExporterOptions): Promise<Exporter> {
  const env = opts.env ?? process.env;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const selfMetrics = createSelfMetrics(registry);
  const apiStats = new ApiStats();
  const store = new SeriesStore();
  let config = opts.config;
  const rd = config.server.region_discovery;
  const regions = new RegionManager({
    enabled: rd.enabled,
    emptyThreshold: rd.empty_threshold,
    rediscoveryMs: rd.discovery_interval,
    file: join(rd.data_dir, rd.persist_file),
    log: opts.log.child({ part: 'regions' }),
    status: selfMetrics.regionStatus,
    skips: selfMetrics.regionSkips,
  });
  const collector = new Collector(
    {
      providers: opts.providers,
      resolver: opts.catalog,
      store,
      selfMetrics,
      apiStats,
      log: opts.log,
      shard: () => resolveShard(env),
      regions,
      backoff: opts.backoff,
    },
    config,
  );
  const discovery = new Discovery(opts.providers, opts.log);
  let completed = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  let discovered: Promise<void> | undefined;
  const ensureDiscovery = () => {
    discovered ??= discovery
      .refresh(config, (a) => collector.callsFor(a))
      .then(() => {
        collector.setProducts(discovery.products);
      });
    return discovered;
  };
  let markFirst: () => void = () => undefined;
  const first = new Promise<void>((resolve) => {
    markFirst = resolve;
  });

  const collectOnce = async () => {
    await ensureDiscovery();
    await collector.collect();
    completed = true;
    markFirst();
  };

  const loop = async () => {
    const t0 = Date.now();
    try {
      await collectOnce();
    } catch (err) {
      opts.log.error({ err: (err as Error).message }, 'collection cycle failed');
    }
    if (!stopped) timer = setTimeout(loop, Math.max(0, config.intervalMs - (Date.now() - t0)));
  };

  const app = Fastify({
    // Request lines would drown the collection logs; HTTP warnings and errors still show.
    loggerInstance: opts.log.child({ part: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  }) as unknown as FastifyInstance;
  const gate = adminGate(() => config.adminAuth);
  registerRoutes(app, {
    collector,
    discovery,
    store,
    registry,
    selfMetrics,
    apiStats,
    help: (name) => opts.catalog.help(name),
    adminAuth: gate,
    accountsPath: () => config.accountsPath,
    ready: () => completed || config.accounts.length === 0,
    now: opts.now,
  });

  const apply = async (next: ExporterConfig) => {
    if (next.port !== config.port || next.host !== config.host)
      opts.log.warn(
        { port: next.port, host: next.host },
        'a new listen address takes effect at the next restart',
      );
    const resignature = accountsSignature(next.accounts) !== accountsSignature(config.accounts);
    config = next;
    collector.setConfig(next);
    if (resignature) {
      discovered = discovery
        .refresh(next, (a) => collector.callsFor(a))
        .then(() => collector.setProducts(discovery.products));
      await discovered;
    }
  };
  const reloader = opts.loadConfig
    ? new ConfigReloader(opts.loadConfig, apply, opts.log.child({ part: 'reload' }))
    : undefined;
  app.register(async (admin) => {
    admin.addHook('onRequest', gate);
    admin.get('/api/discovery/stream', discoveryStream(discovery, { ...STREAM_DEFAULTS, ...opts.stream }));
    // The seed's spellings of the admin endpoints answer as the public exporter's do.
    admin.get('/api/config', async () => redactedConfig(config));
    admin.post('/api/discovery/refresh', async () => {
      discovered = discovery
        .refresh(config, (a) => collector.callsFor(a))
        .then(() => collector.setProducts(discovery.products));
      await discovered;
      return { status: 'refreshed', version: discovery.version };
    });
    admin.post('/-/reload', (_req, reply) => reload(reply));
    admin.post('/api/config/reload', (_req, reply) => reload(reply));
  });

  async function reload(reply: FastifyReply) {
    if (!reloader)
      return reply
        .code(501)
        .type('application/problem+json')
        .send({ title: 'Reload unavailable', status: 501 });
    const result = await reloader.reload();
    if (result.ok) return { status: 'reloaded', version: discovery.version };
    return reply.code(400).type('application/problem+json').send({
      type: 'about:blank',
      title: 'Invalid configuration: the running configuration was kept',
      status: 400,
      problems: result.problems,
    });
  }

  return {
    app,
    reload: () => reloader?.reload() ?? Promise.resolve({ ok: false, problems: [] }),
    collector,
    discovery,
    store,
    registry,
    collectOnce,
    firstCollection: () => first,
    async listen(port, host = config.host) {
      const address = await app.listen({ port, host });
      if (reloader && opts.watchConfig) {
        reloader.watch([config.serverPath, config.accountsPath].filter((p): p is string => Boolean(p)));
      }
      if (opts.schedule !== false) {
        const shard = await resolveShard(env);
        const delay = firstRunDelayMs(
          env.FIRST_RUN_STRATEGY ?? 'auto',
          shard,
          Number(env.FIRST_RUN_MAX_DELAY ?? 180) * 1000,
        );
        if (delay)
          opts.log.info(
            { delay_ms: delay, shard },
            'first collection delayed so replicas do not start together',
          );
        timer = setTimeout(loop, delay);
      }
      return address;
    },
    async close() {
      stopped = true;
      reloader?.stop();
      if (timer) clearTimeout(timer);
      collector.stop();
      await app.close();
    },
  };
}
