import { describe, expect, it } from 'vitest';
import { fnv1a32, shardIndex } from './fnv.ts';

describe('fnv1a32 and shardIndex (research §1.10 reference values)', () => {
  it.each([
    ['key1', 0x374a6a67, 1, 2, 3],
    ['key2', 0x384a6bfa, 0, 1, 2],
    ['acc-1|cn-hangzhou|acs_slb_dashboard', 0xe6a9fa18, 0, 1, 0],
    ['acc-1|cn-beijing|acs_slb_dashboard', 0x96ffff24, 0, 0, 0],
    ['acc-1|cn-hangzhou|acs_bandwidth_package', 0xc8bd1a46, 0, 2, 2],
    ['acc-1|global|AWS/S3', 0x2d1eda2d, 1, 2, 1],
    ['tencent-prod|ap-guangzhou|QCE/LB', 0x8759b058, 0, 2, 0],
  ])('%s', (key, hash, mod2, mod3, mod4) => {
    expect(fnv1a32(key)).toBe(hash);
    expect([shardIndex(key, 2), shardIndex(key, 3), shardIndex(key, 4)]).toEqual([mod2, mod3, mod4]);
    expect(shardIndex(key, 1)).toBe(0);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    expect(fnv1a32('é')).not.toBe(fnv1a32('\u00e9'.normalize('NFD')));
    expect(fnv1a32('')).toBe(0x811c9dc5);
  });
});
