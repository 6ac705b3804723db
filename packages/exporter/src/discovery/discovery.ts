import { formatDuration } from '@opsfleet/core';
import type { Logger } from 'pino';
import type { ExporterConfig } from '../config/load.ts';
import type { Account, CloudCalls, CloudName, Product, Provider } from '../providers/provider.ts';

interface ProviderStats {
  products_count: number;
  metrics_count: number;
  accounts_count: number;
  discovery_duration: string;
  error?: string;
  products: { namespace: string; resource: string; metrics_count: number; auto_discover: boolean }[];
}

/**
 * `provider#resource,resource` entries of every account, sorted and joined with `|`: the same
 * signature means the same products, so discovery need not run again.
 */
export function accountsSignature(accounts: Account[]): string {
  const entries = new Set<string>();
  for (const a of accounts)
    if (a.resources.length) entries.add(`${a.provider}#${[...a.resources].sort().join(',')}`);
  return [...entries].sort().join('|');
}

const metricCount = (p: Product) => p.groups.reduce((n, g) => n + g.metrics.length, 0);

/**
 * Products (namespaces and their metric groups) per provider, from each cloud's metric
 * metadata API unioned with the built-in lists. The version goes up only when the products
 * actually change.
 */
export class Discovery {
  version = 0;
  updatedAt: Date | null = null;
  products = new Map<CloudName, Product[]>();
  signature = '';
  private refreshCount = 0;
  private lastRefreshMs = 0;
  private stats: Record<string, ProviderStats> = {};
  private fingerprint = '';
  private readonly listeners = new Set<(version: number) => void>();

  /** Called with the new version whenever the products change; returns the unsubscribe function. */
  subscribe(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscriberCount(): number {
    return this.listeners.size;
  }

  constructor(
    private readonly providers: Provider[],
    private readonly log: Logger,
  ) {}

  async refresh(config: ExporterConfig, callsFor: (a: Account) => CloudCalls): Promise<boolean> {
    const started = performance.now();
    const next = new Map<CloudName, Product[]>();
    const stats: Record<string, ProviderStats> = {};
    for (const provider of this.providers) {
      const accounts = config.accounts.filter((a) => a.provider === provider.cloud);
      if (!accounts.length) continue;
      const resources = [...new Set(accounts.flatMap((a) => a.resources))];
      const t0 = performance.now();
      let products: Product[] = [];
      let error: string | undefined;
      try {
        products = await provider.discover({
          account: accounts[0]!,
          resources,
          settings: config.settings,
          calls: callsFor(accounts[0]!),
          log: this.log.child({ cloud_provider: provider.cloud, part: 'discovery' }),
        });
      } catch (err) {
        error = (err as Error).message;
        this.log.error({ cloud_provider: provider.cloud, err: error }, 'product discovery failed');
      }
      next.set(provider.cloud, products);
      stats[provider.cloud] = {
        products_count: products.length,
        metrics_count: products.reduce((n, p) => n + metricCount(p), 0),
        accounts_count: accounts.length,
        discovery_duration: formatDuration(performance.now() - t0),
        ...(error ? { error } : {}),
        products: products.map((p) => ({
          namespace: p.namespace,
          resource: p.resource,
          metrics_count: metricCount(p),
          auto_discover: p.autoDiscover,
        })),
      };
    }
    this.signature = accountsSignature(config.accounts);
    this.stats = stats;
    this.refreshCount += 1;
    this.lastRefreshMs = performance.now() - started;
    const fingerprint = JSON.stringify([...next].sort(([a], [b]) => a.localeCompare(b)));
    const changed = fingerprint !== this.fingerprint;
    if (changed) {
      this.fingerprint = fingerprint;
      this.products = next;
      this.version += 1;
      this.updatedAt = new Date();
      for (const listener of this.listeners) listener(this.version);
    }
    return changed;
  }

  /** `/api/discovery/config`: snake_case keys (frozen; the public exporter's code used Go field names). */
  configJson() {
    return {
      version: this.version,
      updated_at: this.updatedAt ? Math.floor(this.updatedAt.getTime() / 1000) : 0,
      products: Object.fromEntries(
        [...this.products].map(([cloud, products]) => [
          cloud,
          products.map((p) => ({
            namespace: p.namespace,
            resource: p.resource,
            period: p.period ?? null,
            auto_discover: p.autoDiscover,
            metric_info: p.groups.map((g) => ({ metric_list: g.metrics, period: g.period ?? null })),
          })),
        ]),
      ),
    };
  }

  statusJson(extra: { accountsPath?: string; subscribers: number }) {
    return {
      version: this.version,
      updated_at: this.updatedAt ? Math.floor(this.updatedAt.getTime() / 1000) : 0,
      accounts_path: extra.accountsPath ?? null,
      accounts_signature: this.signature,
      subscribers: extra.subscribers,
      providers: [...this.products.keys()],
      products_count: Object.fromEntries([...this.products].map(([c, p]) => [c, p.length])),
      last_refresh_duration: formatDuration(this.lastRefreshMs),
      refresh_count: this.refreshCount,
      provider_stats: this.stats,
    };
  }
}
