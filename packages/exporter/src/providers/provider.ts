import type { ErrorClass } from '@opsfleet/core';

/**
 * The contract between the collector and one cloud. A provider lists resources and reads raw
 * metric values; the collector owns naming, scaling (mapping files), label schemas, sharding
 * decisions and self-metrics, so every cloud gets them the same way.
 */
export type CloudName = 'aliyun' | 'tencent' | 'huawei' | 'aws';

export interface Account {
  provider: CloudName;
  account_id: string;
  access_key_id: string;
  access_key_secret: string;
  /** Never empty: `[]` in the file is normalised to `["*"]` (enumerate the cloud's regions). */
  regions: string[];
  /** Canonical resource keys of this provider (aliases such as `s3`→`oss` already resolved), never `*`. */
  resources: string[];
  /** opsfleet extension: base URL every API of this cloud is sent to (cloudsim, a proxy). */
  endpoint?: string;
}

/** One raw value read from a cloud. */
export interface Sample {
  /** Native namespace as the cloud spells it (`acs_slb_dashboard`, `QCE/LB`). */
  namespace: string;
  /** Raw source metric name (`InstanceTrafficRX`); becomes the `metric_name` label. */
  metric: string;
  region: string;
  /** Unified resource type: clb, alb, nlb, gwlb, bwp, s3. */
  resourceType: string;
  resourceId: string;
  codeName: string;
  /** Extra dimension labels (raw keys such as `port`, `listenerProtocol`); the collector sanitises them. */
  dimensions?: Record<string, string>;
  /** Value as the cloud reports it (after Sum→rate where the provider does that); the mapping scale is applied by the collector. */
  value: number;
  /**
   * Set only for series that are derived rather than read (the CLB utilisation estimate):
   * the exported name is then `<prefix>_<seriesSuffix>` and no mapping scale applies.
   */
  seriesSuffix?: string;
}

export interface MetricGroup {
  metrics: string[];
  /** Seconds; when absent the provider chooses (metadata minimum, then period_fallback). */
  period?: number;
}

export interface Product {
  namespace: string;
  /** Canonical resource key of the provider this product belongs to (`clb`, `bwp`, `oss`, `cos`…). */
  resource: string;
  period?: number;
  autoDiscover: boolean;
  groups: MetricGroup[];
}

/** The parts of server.yaml a provider reads. */
export interface CollectSettings {
  /** `page_size`; undefined when server.yaml leaves it unset (Aliyun then omits `Length`). */
  pageSize?: number;
  periodFallback: number;
  regionConcurrency: number;
  productConcurrency: number;
  metricConcurrency: number;
  /** Resource-list and tag cache TTL in ms (`discovery_ttl`). */
  discoveryTtlMs: number;
  /** `resource_dim_mapping` merged with the built-in defaults, keyed `provider.namespace`. */
  resourceDimMapping: Record<string, string[]>;
  estimation?: { clb?: { aliyun_bandwidth_cap_bps?: number; per_instance_cap_bps?: Record<string, number> } };
  /** `DEFAULT_REGIONS` (trimmed), used when region enumeration fails. */
  defaultRegions: string[];
  /** How far behind now CloudWatch load balancer queries end (`cloudwatch_delay`): it publishes with a lag. */
  cloudwatchDelayMs: number;
}

/**
 * Instrumentation and pacing for every cloud API call: counts `multicloud_request_total`
 * by class, observes `multicloud_request_duration_seconds`, counts `multicloud_rate_limit_total`
 * on `limit_error`, waits on the per-(account, api) token bucket, and retries with backoff
 * and jitter where `attempts > 1` and the class is retryable.
 */
export interface CloudCalls {
  call<T>(api: string, fn: () => Promise<T>, opts?: { attempts?: number }): Promise<T>;
}

/**
 * Smart region discovery for an account with `regions: ["*"]`: which of the enumerated regions
 * to visit this cycle, and how many resources (all types together) each visited region held.
 */
export interface RegionPlan {
  select(regions: string[]): string[];
  observe(region: string, resourceCount: number): void;
}

export interface CollectRequest {
  account: Account;
  /** Products to collect for this account, already filtered to its resources. */
  products: Product[];
  settings: CollectSettings;
  calls: CloudCalls;
  emit(sample: Sample): void;
  regionPlan: RegionPlan;
  /** Sharding: whether this replica collects (account, region, namespace). Ask before any data call. */
  owns(region: string, namespace: string): boolean;
  signal: AbortSignal;
  log: ProviderLog;
}

export interface ProviderLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DiscoverRequest {
  /** The first account of this provider (its keys are used for metadata calls, as the public exporter does). */
  account: Account;
  /** Union of the resources of all this provider's accounts. */
  resources: string[];
  settings: CollectSettings;
  calls: CloudCalls;
  log: ProviderLog;
}

export interface Provider {
  readonly cloud: CloudName;
  /** Accepted resource names → canonical key (`s3`→`oss`, `bwp`→`cbwp`…). */
  readonly resourceAliases: Record<string, string>;
  /** Used when an account lists `[]` or `["*"]`. */
  readonly defaultResources: string[];
  /** Products (namespaces and metric groups) for these resources: metadata API ∪ built-in list. */
  discover(req: DiscoverRequest): Promise<Product[]>;
  /** Collects one account; must not throw for a single failing region or product. */
  collect(req: CollectRequest): Promise<void>;
  /** Maps a client error to its class, by the cloud's error codes. */
  classify(err: unknown): ErrorClass;
}
