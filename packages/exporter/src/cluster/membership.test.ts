import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstRunDelayMs, resolveShard } from './membership.ts';

describe('resolveShard (AC-21)', () => {
  const dns = async () => ['10.0.0.3', '10.0.0.1', '10.0.0.2'];

  it('places this pod among the headless service addresses', async () => {
    const env = { CLUSTER_DISCOVERY: 'headless', CLUSTER_SVC: 'exporter-headless', POD_IP: '10.0.0.2' };
    expect(await resolveShard(env, dns)).toEqual({ total: 3, index: 1, source: 'headless' });
  });

  it('places this pod among the lines of a membership file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'members-'));
    writeFileSync(join(dir, 'members'), 'pod-2\npod-0\n\npod-1\n');
    const env = { CLUSTER_DISCOVERY: 'file', CLUSTER_FILE: join(dir, 'members'), POD_NAME: 'pod-1' };
    expect(await resolveShard(env)).toEqual({ total: 3, index: 1, source: 'file' });
  });

  it('falls back to the static settings when the lookup fails or does not list this pod', async () => {
    const failing = async () => {
      throw new Error('ENOTFOUND');
    };
    const env = {
      CLUSTER_DISCOVERY: 'headless',
      CLUSTER_SVC: 'x',
      POD_IP: '10.0.0.9',
      EXPORT_SHARD_TOTAL: '4',
      EXPORT_SHARD_INDEX: '3',
    };
    expect(await resolveShard(env, failing)).toEqual({ total: 4, index: 3, source: 'static' });
    expect(await resolveShard(env, dns)).toEqual({ total: 4, index: 3, source: 'static' });
  });

  it('prefers CLUSTER_WORKERS over EXPORT_SHARD_TOTAL', async () => {
    expect(await resolveShard({ CLUSTER_WORKERS: '3', EXPORT_SHARD_TOTAL: '5', CLUSTER_INDEX: '1' })).toEqual(
      {
        total: 3,
        index: 1,
        source: 'static',
      },
    );
  });
});

describe('firstRunDelayMs (AC-22)', () => {
  const max = 180_000;
  it.each([
    ['immediate', 20, 19, 0, 0],
    ['staggered', 20, 19, 0, 171_000],
    ['staggered', 1, 0, 0, 0],
    ['auto', 2, 1, 0.99, 0],
    ['auto', 5, 2, 0, 11_000],
    ['auto', 5, 2, 0.99, 13_000],
    ['auto', 20, 10, 0, 180_000],
    ['auto', 20, 5, 0, 37_968.75],
    ['auto', 20, 5, 0.99, 41_968.75],
    ['unknown-means-auto', 5, 0, 0, 5000],
  ])('%s with %i replicas, index %i, random %f → %f ms', (strategy, total, index, r, want) => {
    expect(firstRunDelayMs(strategy, { total, index }, max, () => r)).toBeCloseTo(want, 2);
  });
});
