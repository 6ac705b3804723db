import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { type ShardInfo, staticShard } from './shard.ts';

type Env = Record<string, string | undefined>;
export type Lookup = (host: string) => Promise<string[]>;

const dnsLookup: Lookup = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** This member's place among sorted member names, or undefined when it is not listed. */
export function placeAmong(members: string[], self: string): ShardInfo | undefined {
  const sorted = [...new Set(members.map((m) => m.trim()).filter(Boolean))].sort();
  const index = sorted.indexOf(self);
  return index < 0 ? undefined : { total: sorted.length, index };
}

/**
 * Which shard this replica is, resolved once per collection cycle:
 * - `CLUSTER_DISCOVERY=headless`: the addresses of `CLUSTER_SVC` (a headless service), sorted,
 *   and this pod's `POD_IP` among them;
 * - `CLUSTER_DISCOVERY=file`: the non-empty lines of `CLUSTER_FILE`, sorted, and `POD_NAME`
 *   (or `HOSTNAME`) among them;
 * - otherwise, or when the lookup fails or does not list this replica: the static
 *   `CLUSTER_WORKERS`/`EXPORT_SHARD_TOTAL` and `CLUSTER_INDEX`/`EXPORT_SHARD_INDEX`.
 */
export async function resolveShard(
  env: Env,
  resolveHost: Lookup = dnsLookup,
): Promise<ShardInfo & { source: string }> {
  const mode = (env.CLUSTER_DISCOVERY ?? '').toLowerCase();
  try {
    if (mode === 'headless' && env.CLUSTER_SVC && env.POD_IP) {
      const place = placeAmong(await resolveHost(env.CLUSTER_SVC), env.POD_IP);
      if (place) return { ...place, source: 'headless' };
    }
    if (mode === 'file' && env.CLUSTER_FILE && (env.POD_NAME || env.HOSTNAME)) {
      const place = placeAmong(
        (await readFile(env.CLUSTER_FILE, 'utf8')).split('\n'),
        (env.POD_NAME || env.HOSTNAME)!,
      );
      if (place) return { ...place, source: 'file' };
    }
  } catch {
    // A failed lookup falls back to the static settings below, as documented.
  }
  return { ...staticShard(env), source: 'static' };
}

export type FirstRunStrategy = 'immediate' | 'staggered' | 'auto';

/**
 * How long a replica waits before its first collection, so a fleet started together does not
 * hit the clouds at once. `random` returns [0, 1).
 */
export function firstRunDelayMs(
  strategy: string,
  shard: ShardInfo,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const { total, index } = shard;
  if (strategy === 'immediate') return 0;
  if (strategy === 'staggered') return total <= 1 ? 0 : index * (maxDelayMs / total);
  if (total <= 2) return 0;
  const jitterSeconds = (n: number) => Math.floor(random() * n);
  const seconds = total <= 10 ? 5 + 3 * index + jitterSeconds(3) : 5 * 1.5 ** index + jitterSeconds(5);
  return Math.min(maxDelayMs, seconds * 1000);
}
