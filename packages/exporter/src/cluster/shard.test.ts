import { describe, expect, it } from 'vitest';
import { owns, shardProblems, staticShard } from './shard.ts';

describe('static sharding (AC-21)', () => {
  it.each([
    [
      { EXPORT_SHARD_TOTAL: '3', EXPORT_SHARD_INDEX: '1' },
      { total: 3, index: 1 },
    ],
    [{}, { total: 1, index: 0 }],
    [
      { CLUSTER_WORKERS: '2', EXPORT_SHARD_TOTAL: '5', CLUSTER_INDEX: '1' },
      { total: 2, index: 1 },
    ],
  ])('%j → %j', (env, want) => {
    expect(staticShard(env)).toEqual(want);
    expect(shardProblems(env)).toEqual([]);
  });

  it.each([
    [{ EXPORT_SHARD_TOTAL: '4', EXPORT_SHARD_INDEX: '6' }, 'EXPORT_SHARD_INDEX', /from 0 to 3/],
    [{ EXPORT_SHARD_TOTAL: '3', EXPORT_SHARD_INDEX: '3' }, 'EXPORT_SHARD_INDEX', /from 0 to 2/],
    [{ CLUSTER_WORKERS: '2', CLUSTER_INDEX: '-1' }, 'CLUSTER_INDEX', /whole number from 0 to 1/],
    [{ EXPORT_SHARD_TOTAL: '0' }, 'EXPORT_SHARD_TOTAL', /1 or more/],
    [{ EXPORT_SHARD_TOTAL: 'zero' }, 'EXPORT_SHARD_TOTAL', /1 or more/],
    [{ EXPORT_SHARD_TOTAL: '-2', EXPORT_SHARD_INDEX: '0' }, 'EXPORT_SHARD_TOTAL', /1 or more/],
  ])('%j is a configuration error at %s, not one silent shard', (env, path, message) => {
    expect(shardProblems(env)).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it.each([
    ['acc-1', 'cn-hangzhou', 'acs_slb_dashboard', 1],
    ['acc-1', 'cn-hangzhou', 'acs_bandwidth_package', 2],
    ['acc-1', 'global', 'AWS/S3', 2],
  ])('%s|%s|%s is collected only by index %i of 3', (account, region, ns, index) => {
    for (let i = 0; i < 3; i++) expect(owns({ total: 3, index: i }, account, region, ns)).toBe(i === index);
    expect(owns({ total: 1, index: 0 }, account, region, ns)).toBe(true);
  });
});
