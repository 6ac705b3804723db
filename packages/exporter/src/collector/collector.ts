import { setMaxListeners } from 'node:events';
import { formatDuration } from '@opsfleet/core';
import type { Logger } from 'pino';
import { owns, type ShardInfo } from '../cluster/shard.ts';
import type { ExporterConfig } from '../config/load.ts';
import type { RegionManager } from '../discovery/region-manager.ts';
import type { Account, CloudCalls, CloudName, Product, Provider } from '../providers/provider.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import { groupKey, type Series, type SeriesStore } from '../series-store.ts';
import type { ApiStats } from './api-stats.ts';
import { createCloudCalls } from './cloud-calls.ts';
import { selectMetrics } from './metric-selection.ts';
import { type MetricResolver, toSeries } from './to-series.ts';

export interface AccountResult {
  timestamp: string;
  status: 'running' | 'completed' | 'failed';
  duration?: string;
  series: number;
  failed_calls: number;
  error?: string;
}

export interface CollectorStatus {
  last_start: string | null;
  last_end: string | null;
  duration: string | null;
  last_results: Record<string, AccountResult>;
  sample_counts: Record<string, Record<string, number>>;
  shard: ShardInfo | null;
}

export interface CollectFilter {
  provider?: string;
  resource?: string;
}

export interface CollectorDeps {
  providers: Provider[];
  resolver: MetricResolver;
  store: SeriesStore;
  selfMetrics: SelfMetrics;
  apiStats: ApiStats;
  log: Logger;
  /** This replica's shard, resolved once per collection (membership can change between cycles). */
  shard: () => Promise<ShardInfo>;
  regions: RegionManager;
  /** Backoff between retries of cloud calls (tests shorten it). */
  backoff?: { baseMs: number; maxMs: number };
}

/**
 * Runs collections: every account in parallel and isolated (one failing account never stops
 * the others), each through its provider, then replaces that account's series. Runs are
 * serialised so a manual /collect never overlaps the scheduled cycle.
 */
export class Collector {
  private config: ExporterConfig;
  private products = new Map<CloudName, Product[]>();
  private readonly results = new Map<string, AccountResult>();
  private lastStart: Date | null = null;
  private lastEnd: Date | null = null;
  private lastDurationMs: number | null = null;
  private lastShard: ShardInfo | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly calls = new Map<string, CloudCalls>();
  private readonly abort = new AbortController();

  constructor(
    private readonly deps: CollectorDeps,
    config: ExporterConfig,
  ) {
    this.config = config;
    // Every queued cloud call waits on this one signal; hundreds at once are normal.
    setMaxListeners(0, this.abort.signal);
  }

  /** A reloaded configuration: new keys and limits apply from the next collection. */
  setConfig(config: ExporterConfig): void {
    this.config = config;
    this.calls.clear();
    this.dropUncollected();
  }

  setProducts(products: Map<CloudName, Product[]>): void {
    this.products = products;
    this.dropUncollected();
  }

  /** Series of accounts or products no longer configured disappear now, not at a restart. */
  private dropUncollected(): void {
    const wanted = new Set<string>();
    for (const a of this.config.accounts) {
      for (const p of this.selected(a.provider)) {
        if (a.resources.includes(p.resource)) wanted.add(groupKey(a.provider, a.account_id, p.namespace));
      }
    }
    this.deps.store.dropWhere((g) => !wanted.has(g));
  }

  /** The discovered products of a cloud, narrowed to the metrics server.metrics selects. */
  private selected(cloud: CloudName): Product[] {
    const products = this.products.get(cloud) ?? [];
    return selectMetrics(cloud, products, this.config.server.metrics, this.deps.resolver);
  }

  provider(cloud: string): Provider | undefined {
    return this.deps.providers.find((p) => p.cloud === cloud);
  }

  /** The cloud-call gateway of one account (token buckets live as long as the config). */
  callsFor(account: Account): CloudCalls {
    const key = `${account.provider}|${account.account_id}`;
    let calls = this.calls.get(key);
    if (!calls) {
      calls = createCloudCalls({
        cloud: account.provider,
        accountId: account.account_id,
        classify: (err) => this.provider(account.provider)!.classify(err),
        selfMetrics: this.deps.selfMetrics,
        apiStats: this.deps.apiStats,
        backoff: this.deps.backoff,
        signal: this.abort.signal,
      });
      this.calls.set(key, calls);
    }
    return calls;
  }

  /** Queues a collection; resolves when it has run. */
  collect(filter: CollectFilter = {}): Promise<void> {
    const run = this.queue.then(() => this.run(filter));
    this.queue = run.catch(() => undefined);
    return run;
  }

  stop(): void {
    this.abort.abort(new Error('exporter stopping'));
  }

  lastCompletedAt(): Date | null {
    return this.lastEnd;
  }

  status(): CollectorStatus {
    return {
      last_start: this.lastStart?.toISOString() ?? null,
      last_end: this.lastEnd?.toISOString() ?? null,
      duration: this.lastDurationMs === null ? null : formatDuration(this.lastDurationMs),
      last_results: Object.fromEntries([...this.results].map(([k, v]) => [k, { ...v }])),
      sample_counts: this.deps.store.countsByNamespace(),
      shard: this.lastShard,
    };
  }

  private async run(filter: CollectFilter): Promise<void> {
    const accounts = this.config.accounts.filter((a) => !filter.provider || a.provider === filter.provider);
    const started = performance.now();
    this.lastStart = new Date();
    const shard = await this.deps.shard();
    this.lastShard = shard;
    this.deps.regions.beginCycle();
    await Promise.all(accounts.map((a) => this.collectAccount(a, shard, filter.resource)));
    this.deps.regions.endCycle();
    this.lastDurationMs = performance.now() - started;
    this.lastEnd = new Date();
    this.deps.selfMetrics.collectionDuration.observe(this.lastDurationMs / 1000);
    const gauge = this.deps.selfMetrics.samples;
    gauge.reset();
    for (const [cloud, byNs] of Object.entries(this.deps.store.countsByNamespace())) {
      for (const [ns, n] of Object.entries(byNs)) gauge.set({ cloud_provider: cloud, namespace: ns }, n);
    }
  }

  private async collectAccount(account: Account, shard: ShardInfo, resource?: string): Promise<void> {
    const key = `${account.provider}|${account.account_id}`;
    const provider = this.provider(account.provider);
    if (!provider) return;
    let resources = account.resources;
    if (resource) {
      const canonical = provider.resourceAliases[resource.toLowerCase()];
      if (!canonical) return;
      resources = [canonical];
    }
    const products = this.selected(account.provider).filter((p) => resources.includes(p.resource));
    const started = performance.now();
    const result: AccountResult = {
      timestamp: new Date().toISOString(),
      status: 'running',
      series: 0,
      failed_calls: 0,
    };
    this.results.set(key, result);
    const gateway = this.callsFor(account);
    const calls: CloudCalls = {
      call: async (api, fn, opts) => {
        try {
          return await gateway.call(api, fn, opts);
        } catch (err) {
          result.failed_calls += 1;
          throw err;
        }
      },
    };
    const series: Series[] = [];
    const log = this.deps.log.child({ cloud_provider: account.provider, account_id: account.account_id });
    try {
      await provider.collect({
        account: { ...account, resources },
        products,
        settings: this.config.settings,
        calls,
        regionPlan: this.deps.regions.planFor(account.provider, account.account_id),
        emit: (sample) =>
          series.push(toSeries(account.provider, account.account_id, sample, this.deps.resolver)),
        owns: (region, namespace) => owns(shard, account.account_id, region, namespace),
        signal: this.abort.signal,
        log,
      });
      result.status = 'completed';
    } catch (err) {
      result.status = 'failed';
      result.error = (err as Error).message;
      log.error({ err: (err as Error).message }, 'account collection failed');
    }
    this.deps.store.replace(
      products.map((p) => groupKey(account.provider, account.account_id, p.namespace)),
      series,
    );
    result.series = series.length;
    result.duration = formatDuration(performance.now() - started);
    result.timestamp = new Date().toISOString();
  }
}
