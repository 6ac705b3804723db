/**
 * A TTL cache that reports its size. Every cache in the exporter is one of these, so
 * `multicloud_cache_entries_total` / `multicloud_cache_size_bytes` cover them all and nothing
 * is cached forever.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number; bytes: number }>();
  private readonly pending = new Map<string, Promise<V>>();

  constructor(
    readonly type: string,
    private ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    CACHES.add(this as TtlCache<unknown>);
  }

  setTtl(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V): void {
    const bytes = key.length + (JSON.stringify(value)?.length ?? 0);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs, bytes });
  }

  /** Returns the cached value or loads it once, sharing one in-flight load between concurrent callers. */
  async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const inflight = this.pending.get(key);
    if (inflight) return inflight;
    const promise = load()
      .then((value) => {
        this.set(key, value);
        return value;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Drops expired entries and reports what is left. */
  stats(): { entries: number; bytes: number } {
    const now = this.now();
    let bytes = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expires <= now) this.entries.delete(key);
      else bytes += entry.bytes;
    }
    return { entries: this.entries.size, bytes };
  }

  /** Stops reporting this cache (a provider instance that is discarded). */
  dispose(): void {
    CACHES.delete(this as TtlCache<unknown>);
  }
}

const CACHES = new Set<TtlCache<unknown>>();

/** Totals per cache type across every live cache. */
export function cacheStats(): Map<string, { entries: number; bytes: number }> {
  const out = new Map<string, { entries: number; bytes: number }>();
  for (const cache of CACHES) {
    const s = cache.stats();
    const acc = out.get(cache.type) ?? { entries: 0, bytes: 0 };
    out.set(cache.type, { entries: acc.entries + s.entries, bytes: acc.bytes + s.bytes });
  }
  return out;
}
