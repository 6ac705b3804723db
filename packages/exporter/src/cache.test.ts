import { describe, expect, it } from 'vitest';
import { cacheStats, TtlCache } from './cache.ts';

describe('TtlCache', () => {
  it('expires entries after the TTL and reports what it holds', () => {
    let now = 0;
    const cache = new TtlCache<string[]>('test_resources', 1000, () => now);
    cache.set('acc|cn-hangzhou|clb', ['lb-1', 'lb-2']);
    expect(cache.get('acc|cn-hangzhou|clb')).toEqual(['lb-1', 'lb-2']);
    expect(cacheStats().get('test_resources')).toEqual({
      entries: 1,
      bytes: 'acc|cn-hangzhou|clb'.length + '["lb-1","lb-2"]'.length,
    });
    now = 1000;
    expect(cache.get('acc|cn-hangzhou|clb')).toBeUndefined();
    expect(cacheStats().get('test_resources')).toEqual({ entries: 0, bytes: 0 });
    cache.dispose();
    expect(cacheStats().has('test_resources')).toBe(false);
  });

  it('loads a missing key once for concurrent callers', async () => {
    const cache = new TtlCache<number>('test_single_flight', 60_000);
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 10));
      return 42;
    };
    const got = await Promise.all([
      cache.getOrLoad('k', load),
      cache.getOrLoad('k', load),
      cache.getOrLoad('k', load),
    ]);
    expect(got).toEqual([42, 42, 42]);
    expect(loads).toBe(1);
    expect(await cache.getOrLoad('k', load)).toBe(42);
    expect(loads).toBe(1);
    cache.dispose();
  });
});
