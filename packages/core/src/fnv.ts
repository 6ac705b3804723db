/** FNV-1a 32-bit hash of the UTF-8 bytes of `key`, as an unsigned integer. */
export function fnv1a32(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Which of `total` shards owns `key`. */
export function shardIndex(key: string, total: number): number {
  return total <= 1 ? 0 : fnv1a32(key) % total;
}
