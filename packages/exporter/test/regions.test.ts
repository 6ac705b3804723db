import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloudsim, startCloudsim } from '@opsfleet/cloudsim';
import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';
import { silentLogger } from '@opsfleet/core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExporterConfig } from '../src/config/load.ts';
import { RegionManager } from '../src/discovery/region-manager.ts';
import { createExporter, type Exporter } from '../src/exporter.ts';
import { defaultMappingPath, loadMappings } from '../src/mappings/catalog.ts';
import { PROVIDERS, resourceVocabulary } from '../src/providers/index.ts';
import { createSelfMetrics } from '../src/self-metrics.ts';
import { metricValue } from './harness.ts';

describe('smart region discovery through a whole exporter (AC-23)', () => {
  let sim: Cloudsim;
  let exporter: Exporter;
  const dir = mkdtempSync(join(tmpdir(), 'regions-'));

  beforeAll(async () => {
    sim = await startCloudsim({
      world: {
        accounts: [{ cloud: 'tencent', accessKeyId: 'AKIDregions', accessKeySecret: 's', uid: '1' }],
        regions: { tencent: ['ap-guangzhou', 'ap-shanghai', 'ap-beijing'] },
        resources: [
          {
            cloud: 'tencent',
            owner: 'AKIDregions',
            region: 'ap-guangzhou',
            type: 'clb',
            id: 'lb-1',
            vips: ['1.1.1.1'],
          },
          {
            cloud: 'tencent',
            owner: 'AKIDregions',
            region: 'ap-guangzhou',
            type: 'clb',
            id: 'lb-2',
            vips: ['1.1.1.2'],
          },
        ],
      },
      clouds: { tencent: { handler: tencentHandler } },
    });
    writeFileSync(
      join(dir, 'accounts.yaml'),
      `accounts:\n  tencent:\n    - {account_id: tc-regions, access_key_id: AKIDregions, access_key_secret: s, regions: ["*"], resources: [clb, bwp], endpoint: "${sim.endpoints.tencent}"}\n`,
    );
    writeFileSync(
      join(dir, 'server.yaml'),
      `server:\n  discovery_ttl: 1ms\n  region_discovery:\n    empty_threshold: 3\n    data_dir: ${join(dir, 'state')}\n    persist_file: region_status.json\n`,
    );
    const env = { SERVER_PATH: join(dir, 'server.yaml'), ACCOUNTS_PATH: join(dir, 'accounts.yaml') };
    exporter = await createExporter({
      config: loadExporterConfig(resourceVocabulary(), env),
      catalog: loadMappings(defaultMappingPath()).catalog,
      providers: PROVIDERS,
      log: silentLogger(),
      env,
      schedule: false,
    });
  });
  afterAll(async () => {
    await exporter?.close();
    await sim?.close();
  });

  const listedRegions = () =>
    new Set(sim.state.callsOf('tencent', 'DescribeLoadBalancers').map((c) => c.region));

  it('visits every region for three cycles, counts all resource types (CLBs but no BWP is active), then skips the empty ones', async () => {
    for (let i = 0; i < 3; i++) {
      sim.state.resetCalls();
      await exporter.collectOnce();
      expect(listedRegions()).toEqual(new Set(['ap-guangzhou', 'ap-shanghai', 'ap-beijing']));
    }
    const saved = JSON.parse(readFileSync(join(dir, 'state/region_status.json'), 'utf8'));
    expect(saved.region_map['tc-regions']['ap-shanghai']).toMatchObject({
      status: 'empty',
      empty_count: 3,
      resource_count: 0,
      priority: 10,
    });
    expect(saved.region_map['tc-regions']['ap-guangzhou']).toMatchObject({
      status: 'active',
      empty_count: 0,
      resource_count: 2,
      priority: 100,
    });

    sim.state.resetCalls();
    await exporter.collectOnce();
    expect(listedRegions()).toEqual(new Set(['ap-guangzhou']));
    const text = await (await exporter.app.inject({ url: '/metrics' })).body;
    expect(metricValue(text, 'multicloud_region_skip_total', { cloud_provider: 'tencent' })).toBe(2);
    expect(
      metricValue(text, 'multicloud_region_status_total', { cloud_provider: 'tencent', status: 'empty' }),
    ).toBe(2);
    expect(
      metricValue(text, 'multicloud_region_status_total', { cloud_provider: 'tencent', status: 'active' }),
    ).toBe(1);
  });
});

describe('RegionManager rediscovery and persistence', () => {
  function manager(file: string, now: () => Date) {
    const m = createSelfMetrics(new Registry());
    return new RegionManager({
      enabled: true,
      emptyThreshold: 2,
      rediscoveryMs: 24 * 3_600_000,
      file,
      log: silentLogger(),
      status: m.regionStatus,
      skips: m.regionSkips,
      now,
    });
  }

  it('probes skipped regions again once discovery_interval has passed, however the cycles are spaced', () => {
    let clock = new Date('2026-01-01T00:00:00Z');
    const file = join(mkdtempSync(join(tmpdir(), 'rm-')), 'state.json');
    const m = manager(file, () => clock);
    const all = ['r1', 'r2'];
    for (let i = 0; i < 2; i++) {
      m.beginCycle();
      const plan = m.planFor('aliyun', 'acc');
      for (const r of plan.select(all)) plan.observe(r, r === 'r1' ? 1 : 0);
      m.endCycle();
      clock = new Date(clock.getTime() + 3_600_000);
    }
    expect(m.planFor('aliyun', 'acc').select(all)).toEqual(['r1']);
    clock = new Date('2026-01-02T00:00:01Z');
    m.beginCycle();
    expect(m.planFor('aliyun', 'acc').select(all)).toEqual(['r1', 'r2']);
    m.endCycle();

    const reloaded = manager(file, () => clock);
    expect(reloaded.snapshot()).toEqual(m.snapshot());
  });
});
