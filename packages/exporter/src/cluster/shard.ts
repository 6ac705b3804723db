import { shardIndex } from '@opsfleet/core';

/** This replica's place in the exporter fleet: it collects the products whose key hashes to `index`. */
export interface ShardInfo {
  total: number;
  index: number;
}

const TOTAL = ['CLUSTER_WORKERS', 'EXPORT_SHARD_TOTAL'] as const;
const INDEX = ['CLUSTER_INDEX', 'EXPORT_SHARD_INDEX'] as const;
const first = (env: Record<string, string | undefined>, names: readonly string[]) =>
  names.map((n) => ({ name: n, value: env[n] })).find((v) => v.value);

/**
 * Static membership from the environment: `CLUSTER_WORKERS` or `EXPORT_SHARD_TOTAL` (default 1)
 * and `CLUSTER_INDEX` or `EXPORT_SHARD_INDEX` (default 0). `shardProblems` has refused values
 * that are not a place in the fleet before this runs.
 */
export function staticShard(env: Record<string, string | undefined>): ShardInfo {
  return { total: Number(first(env, TOTAL)?.value ?? 1), index: Number(first(env, INDEX)?.value ?? 0) };
}

/**
 * A total that is not a whole number of at least 1, or an index outside 0..total-1, would make a
 * replica collect nothing, or the same products as another, without a word: a config error.
 */
export function shardProblems(env: Record<string, string | undefined>): { path: string; message: string }[] {
  const total = first(env, TOTAL);
  const index = first(env, INDEX);
  const t = Number(total?.value ?? 1);
  const i = Number(index?.value ?? 0);
  const problems: { path: string; message: string }[] = [];
  if (total && (!/^\d+$/.test(total.value!.trim()) || t < 1))
    problems.push({
      path: total.name,
      message: `must be the number of replicas (a whole number, 1 or more), got "${total.value}"`,
    });
  else if (index && (!/^\d+$/.test(index.value!.trim()) || i >= t))
    problems.push({
      path: index.name,
      message: `must be this replica's place, a whole number from 0 to ${t - 1} (${total?.name ?? 'EXPORT_SHARD_TOTAL'} is ${t}), got "${index.value}"`,
    });
  return problems;
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
