import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';
import { describe, expect, it } from 'vitest';
import { tencentProvider } from '../src/providers/tencent/index.ts';
import { cloudFixture } from './cloud-fixture.ts';
import { metricValue, runProvider, settings } from './harness.ts';

const fx = cloudFixture({
  cloud: 'tencent',
  handler: tencentHandler,
  accessKeyId: 'AKIDtctest0001',
  secret: 'tc-test-secret',
  regions: ['ap-guangzhou', 'ap-shanghai', 'ap-beijing'],
  accountDefaults: { regions: ['ap-guangzhou'], resources: ['clb'] },
});
const { account, res, product } = fx;
const seconds = (iso: unknown) => Date.parse(String(iso)) / 1000;

describe('Tencent CLB (AC-14)', () => {
  it('queries by VIP with the smallest period over the last two periods and reports the last value', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'lb-1', vips: ['1.2.3.4'] })];
    fx.sim.state.values.set(
      { cloud: 'tencent', namespace: 'QCE/LB', metric: 'VIntraffic', resourceId: '1.2.3.4' },
      5,
    );
    const { samples } = await runProvider(tencentProvider, account(), {
      products: product('QCE/LB', 'clb', ['VIntraffic']),
    });
    const call = fx.sim.state.callsOf('tencent', 'GetMonitorData')[0]!;
    expect(call.params).toMatchObject({
      Namespace: 'QCE/LB',
      MetricName: 'VIntraffic',
      Period: 60,
      Instances: [{ Dimensions: [{ Name: 'vip', Value: '1.2.3.4' }] }],
    });
    const now = Date.now() / 1000;
    expect(seconds(call.params.EndTime)).toBeGreaterThan(now - 5);
    // Two periods: the older one has always ended, so it holds a point.
    expect(seconds(call.params.EndTime) - seconds(call.params.StartTime)).toBe(120);
    expect(samples).toEqual([
      {
        namespace: 'QCE/LB',
        metric: 'VIntraffic',
        region: 'ap-guangzhou',
        resourceType: 'clb',
        resourceId: '1.2.3.4',
        codeName: '',
        value: 5,
      },
    ]);
  });

  it('emits nothing when the last value is null', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'lb-1', vips: ['1.2.3.4'] })];
    fx.sim.state.values.set(
      { cloud: 'tencent', namespace: 'QCE/LB', metric: 'VIntraffic', resourceId: '1.2.3.4' },
      null,
    );
    const { samples } = await runProvider(tencentProvider, account(), {
      products: product('QCE/LB', 'clb', ['VIntraffic']),
    });
    expect(samples).toEqual([]);
  });

  it('asks at most 10 instances per call: 25 VIPs take 3 calls', async () => {
    fx.sim.state.world.resources = Array.from({ length: 25 }, (_, i) =>
      res({ type: 'clb', id: `lb-${i}`, vips: [`10.0.0.${i}`] }),
    );
    const { samples } = await runProvider(tencentProvider, account(), {
      products: product('QCE/LB', 'clb', ['VIntraffic']),
    });
    const sizes = fx.sim.state
      .callsOf('tencent', 'GetMonitorData')
      .map((c) => (c.params.Instances as unknown[]).length);
    expect(sizes.sort((a, b) => b - a)).toEqual([10, 10, 5]);
    expect(samples).toHaveLength(25);
  });
});

describe('Tencent periods (AC-15)', () => {
  it('makes no DescribeBaseMetrics call when the group names a period', async () => {
    fx.sim.state.world.resources = [res({ type: 'bwp', id: 'bwp-1' })];
    await runProvider(tencentProvider, account({ resources: ['bwp'] }), {
      products: product('QCE/BWP', 'bwp', ['InTraffic'], 300),
    });
    expect(fx.sim.state.callsOf('tencent', 'DescribeBaseMetrics')).toHaveLength(0);
    expect(fx.sim.state.callsOf('tencent', 'GetMonitorData')[0]!.params.Period).toBe(300);
  });

  it('falls back to period_fallback when DescribeBaseMetrics fails', async () => {
    fx.sim.state.world.resources = [res({ type: 'bwp', id: 'bwp-1' })];
    fx.sim.state.inject({ cloud: 'tencent', action: 'DescribeBaseMetrics', kind: 'server_error', times: 10 });
    await runProvider(tencentProvider, account({ resources: ['bwp'] }), {
      products: product('QCE/BWP', 'bwp', ['InTraffic']),
      settings: settings({ periodFallback: 120 }),
    });
    expect(fx.sim.state.callsOf('tencent', 'GetMonitorData')[0]!.params.Period).toBe(120);
  });
});

describe('Tencent COS (AC-16)', () => {
  it('queries only the region’s buckets, daily metrics over 48 h, request metrics over the previous period, 10 per call', async () => {
    fx.sim.state.world.resources = [
      res({ type: 's3', id: 'b1-1250000000', tags: { CodeName: 'media' } }),
      res({ type: 's3', id: 'b2-1250000000', region: 'ap-shanghai' }),
      ...Array.from({ length: 22 }, (_, i) => res({ type: 's3', id: `bulk${i}-1250000000` })),
    ];
    fx.sim.state.values.set(
      { cloud: 'tencent', namespace: 'QCE/COS', metric: 'StdStorage', resourceId: 'b1-1250000000' },
      2,
    );
    const { samples, products } = await runProvider(tencentProvider, account({ resources: ['cos'] }));
    expect(products[0]!.groups.map((g) => g.period)).toEqual([86_400, 300]);
    const std = fx.sim.state
      .callsOf('tencent', 'GetMonitorData')
      .filter((c) => c.params.MetricName === 'StdStorage');
    expect(std.map((c) => (c.params.Instances as unknown[]).length).sort((a, b) => b - a)).toEqual([
      10, 10, 3,
    ]);
    expect(std[0]!.params.Period).toBe(86_400);
    expect(seconds(std[0]!.params.EndTime) - seconds(std[0]!.params.StartTime)).toBe(48 * 3600);
    const queried = std.flatMap((c) =>
      (c.params.Instances as { Dimensions: { Value: string }[] }[]).map((i) => i.Dimensions[0]!.Value),
    );
    expect(queried).not.toContain('b2-1250000000');
    const req = fx.sim.state
      .callsOf('tencent', 'GetMonitorData')
      .find((c) => !/Storage|Object/.test(String(c.params.MetricName)))!;
    expect(req.params.Period).toBe(300);
    const now = Date.now() / 1000;
    expect(seconds(req.params.EndTime)).toBeLessThan(now - 290);
    expect(seconds(req.params.EndTime) - seconds(req.params.StartTime)).toBe(300);
    expect(samples.find((s) => s.metric === 'StdStorage' && s.resourceId === 'b1-1250000000')).toMatchObject({
      resourceType: 's3',
      codeName: 'media',
      value: 2,
    });
  });
});

describe('Tencent errors and regions (AC-24)', () => {
  it('does not retry a bad secret and counts auth_error', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'lb-1', vips: ['1.2.3.4'] })];
    const { samples, metrics } = await runProvider(tencentProvider, account({ access_key_secret: 'wrong' }), {
      products: product('QCE/LB', 'clb', ['VIntraffic']),
    });
    expect(samples).toEqual([]);
    expect(fx.sim.state.callsOf('tencent', 'DescribeLoadBalancers')).toHaveLength(1);
    expect(
      metricValue(metrics, 'multicloud_request_total', {
        api: 'DescribeLoadBalancers',
        status: 'auth_error',
      }),
    ).toBe(1);
  });

  it('retries RequestLimitExceeded and counts it as rate limited', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'lb-1', vips: ['1.2.3.4'] })];
    fx.sim.state.inject({ cloud: 'tencent', action: 'GetMonitorData', kind: 'throttle', times: 1 });
    const { samples, metrics } = await runProvider(tencentProvider, account(), {
      products: product('QCE/LB', 'clb', ['VIntraffic']),
    });
    expect(samples).toHaveLength(1);
    expect(
      metricValue(metrics, 'multicloud_rate_limit_total', {
        api: 'GetMonitorData',
        cloud_provider: 'tencent',
      }),
    ).toBe(1);
    expect(
      metricValue(metrics, 'multicloud_request_total', { api: 'GetMonitorData', status: 'success' }),
    ).toBe(1);
  });

  it('enumerates regions, falls back to DEFAULT_REGIONS and then ap-guangzhou, and keeps going when one region fails', async () => {
    fx.sim.state.world.resources = [
      res({ type: 'bwp', id: 'bwp-gz' }),
      res({ type: 'bwp', id: 'bwp-sh', region: 'ap-shanghai' }),
    ];
    const products = product('QCE/BWP', 'bwp', ['InTraffic'], 60);
    fx.sim.state.inject({
      cloud: 'tencent',
      action: 'DescribeBandwidthPackages',
      kind: 'server_error',
      times: 3,
    });
    const { samples } = await runProvider(tencentProvider, account({ resources: ['bwp'], regions: ['*'] }), {
      products,
      settings: settings({ regionConcurrency: 1 }),
    });
    expect(
      new Set(fx.sim.state.callsOf('tencent', 'DescribeBandwidthPackages').map((c) => c.region)),
    ).toEqual(new Set(['ap-guangzhou', 'ap-shanghai', 'ap-beijing']));
    expect(samples.map((s) => s.resourceId)).toEqual(['bwp-sh']);

    fx.sim.state.resetCalls();
    fx.sim.state.inject({ cloud: 'tencent', action: 'DescribeRegions', kind: 'server_error', times: 10 });
    await runProvider(tencentProvider, account({ resources: ['bwp'], regions: ['*'] }), {
      products,
      settings: settings({ defaultRegions: ['ap-shanghai', 'ap-chengdu'] }),
    });
    expect(
      fx.sim.state
        .callsOf('tencent', 'DescribeBandwidthPackages')
        .map((c) => c.region)
        .sort(),
    ).toEqual(['ap-chengdu', 'ap-shanghai']);

    fx.sim.state.resetCalls();
    fx.sim.state.inject({ cloud: 'tencent', action: 'DescribeRegions', kind: 'server_error', times: 10 });
    await runProvider(tencentProvider, account({ resources: ['bwp'], regions: ['*'] }), { products });
    expect(fx.sim.state.callsOf('tencent', 'DescribeBandwidthPackages').map((c) => c.region)).toEqual([
      'ap-guangzhou',
    ]);
  });

  it('collects GWLB instances found through the monitor API', async () => {
    fx.sim.state.world.resources = [res({ type: 'gwlb', id: 'gwlb-1' })];
    const { samples } = await runProvider(tencentProvider, account({ resources: ['gwlb'] }));
    expect(new Set(samples.map((s) => `${s.namespace}|${s.resourceType}|${s.resourceId}`))).toEqual(
      new Set(['qce/gwlb|gwlb|gwlb-1']),
    );
  });
});
