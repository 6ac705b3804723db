import { shardIndex } from '@opsfleet/core';

/** This replica's place in the exporter fleet: it collects the products whose key hashes to `index`. */
export interface ShardInfo {
  total: number;
  index: number;
}

/**
 * Static membership from the environment: `CLUSTER_WORKERS` or `EXPORT_SHARD_TOTAL` (default 1)
 * and `CLUSTER_INDEX` or `EXPORT_SHARD_INDEX` (default 0), index taken modulo total.
 */
export function staticShard(env: Record<string, string | undefined>): ShardInfo {
  const total = Number(env.CLUSTER_WORKERS || env.EXPORT_SHARD_TOTAL || 1);
  const index = Number(env.CLUSTER_INDEX || env.EXPORT_SHARD_INDEX || 0);
  if (!Number.isInteger(total) || total < 1) return { total: 1, index: 0 };
  return { total, index: Number.isInteger(index) && index >= 0 ? index % total : 0 };
}

/** The product key: `AccountID|Region|Namespace` (`AccountID|global|AWS/S3` for S3 on AWS). */
export function productKey(accountId: string, region: string, namespace: string): string {
  return `${accountId}|${region}|${namespace}`;
}

export function owns(shard: ShardInfo, accountId: string, region: string, namespace: string): boolean {
  return (
    shard.total <= 1 || shardIndex(productKey(accountId, region, namespace), shard.total) === shard.index
  );
}
