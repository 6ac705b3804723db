import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The exporter's own metrics, with the public exporter's names and labels so its dashboards keep working. */
export interface SelfMetrics {
  requests: Counter<'cloud_provider' | 'api' | 'status'>;
  requestDuration: Histogram<'cloud_provider' | 'api'>;
  rateLimits: Counter<'cloud_provider' | 'api'>;
  collectionDuration: Histogram<string>;
  cacheEntries: Gauge<'cache_type'>;
  cacheBytes: Gauge<'cache_type'>;
  samples: Gauge<'cloud_provider' | 'namespace'>;
  regionStatus: Gauge<'cloud_provider' | 'status'>;
  regionSkips: Counter<'cloud_provider'>;
}

export function createSelfMetrics(registry: Registry): SelfMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'multicloud_request_total',
      help: 'Cloud API calls by provider, API and outcome (success, auth_error, limit_error, region_skip, network_error, error).',
      labelNames: ['cloud_provider', 'api', 'status'],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'multicloud_request_duration_seconds',
      help: 'Duration of cloud API calls in seconds, every attempt included.',
      labelNames: ['cloud_provider', 'api'],
      registers,
    }),
    rateLimits: new Counter({
      name: 'multicloud_rate_limit_total',
      help: 'Cloud API calls refused by the cloud for throttling.',
      labelNames: ['cloud_provider', 'api'],
      registers,
    }),
    collectionDuration: new Histogram({
      name: 'multicloud_collection_duration_seconds',
      help: 'Duration of whole collection cycles in seconds (scheduled and manual).',
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
      registers,
    }),
    cacheEntries: new Gauge({
      name: 'multicloud_cache_entries_total',
      help: 'Entries held per cache (resource ids, tags, metric metadata…).',
      labelNames: ['cache_type'],
      registers,
    }),
    cacheBytes: new Gauge({
      name: 'multicloud_cache_size_bytes',
      help: 'Approximate size of each cache in bytes (JSON length of keys and values).',
      labelNames: ['cache_type'],
      registers,
    }),
    samples: new Gauge({
      name: 'multicloud_samples',
      help: 'Business series exported by the last collection, per provider and namespace.',
      labelNames: ['cloud_provider', 'namespace'],
      registers,
    }),
    regionStatus: new Gauge({
      name: 'multicloud_region_status_total',
      help: 'Regions of ["*"] accounts by smart-discovery status (active, empty, unknown).',
      labelNames: ['cloud_provider', 'status'],
      registers,
    }),
    regionSkips: new Counter({
      name: 'multicloud_region_skip_total',
      help: 'Region visits skipped because the region held no resource several cycles in a row.',
      labelNames: ['cloud_provider'],
      registers,
    }),
  };
}
