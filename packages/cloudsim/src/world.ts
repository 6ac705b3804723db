import { fnv1a32 } from '@opsfleet/core';

/**
 * The simulated clouds' state: accounts with their keys, regions, and resources. Every cloud
 * simulator answers from the same world, so a test or the demo describes its fleet once.
 */
export type SimCloud = 'aliyun' | 'tencent' | 'huawei' | 'aws';
export type SimResourceType = 'clb' | 'alb' | 'nlb' | 'gwlb' | 'bwp' | 's3';

export interface SimAccount {
  cloud: SimCloud;
  accessKeyId: string;
  accessKeySecret: string;
  /** The cloud's numeric account/owner id (Aliyun UID, Tencent owner uin, AWS account number). */
  uid: string;
}

export interface SimListener {
  port: number;
  protocol: string;
}

export interface SimResource {
  cloud: SimCloud;
  /** accessKeyId of the owning account. */
  owner: string;
  region: string;
  type: SimResourceType;
  id: string;
  name?: string;
  tags?: Record<string, string>;
  /** Load balancer VIPs (Tencent CLB reports by VIP). */
  vips?: string[];
  listeners?: SimListener[];
}

export interface SimWorld {
  accounts: SimAccount[];
  /** Regions each cloud reports from its region API. */
  regions: Partial<Record<SimCloud, string[]>>;
  resources: SimResource[];
}

export interface MetricKey {
  cloud: SimCloud;
  namespace: string;
  metric: string;
  resourceId: string;
  /** Extra dimensions of the series (listener port/protocol…), empty for instance-level series. */
  dims?: Record<string, string>;
}

function seriesKey(k: MetricKey): string {
  const dims = Object.entries(k.dims ?? {})
    .map(([name, value]) => `${name.toLowerCase()}=${value}`)
    .sort()
    .join(',');
  return `${k.cloud}|${k.namespace.toLowerCase()}|${k.metric}|${k.resourceId}|${dims}`;
}

/**
 * Metric values: explicit values set by tests or the demo, otherwise a deterministic value
 * derived from the series key (stable between calls so tests can compute expectations).
 * `null` means the cloud has no datapoint for the series.
 */
export class MetricValues {
  private readonly explicit = new Map<string, number | null>();

  set(key: MetricKey, value: number | null): void {
    this.explicit.set(seriesKey(key), value);
  }

  clear(): void {
    this.explicit.clear();
  }

  get(key: MetricKey): number | null {
    const k = seriesKey(key);
    if (this.explicit.has(k)) return this.explicit.get(k)!;
    const loose = seriesKey({ ...key, dims: {} });
    if (this.explicit.has(loose)) return this.explicit.get(loose)!;
    return MetricValues.derived(k);
  }

  /** The value a series has when nobody set one: 1..1000 with two decimals. */
  static derived(key: string): number {
    return ((fnv1a32(key) % 100_000) + 100) / 100;
  }
}

export function findAccount(world: SimWorld, cloud: SimCloud, accessKeyId: string): SimAccount | undefined {
  return world.accounts.find((a) => a.cloud === cloud && a.accessKeyId === accessKeyId);
}

export function resourcesOf(
  world: SimWorld,
  cloud: SimCloud,
  owner: string,
  type: SimResourceType,
  region?: string,
): SimResource[] {
  return world.resources.filter(
    (r) =>
      r.cloud === cloud &&
      r.owner === owner &&
      r.type === type &&
      (region === undefined || r.region === region),
  );
}
