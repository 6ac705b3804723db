import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { describe, expect, it } from 'vitest';
import { aliyunProvider } from '../src/providers/aliyun/index.ts';
import { cloudFixture } from './cloud-fixture.ts';
import { metricValue, runProvider, settings } from './harness.ts';

const fx = cloudFixture({
  cloud: 'aliyun',
  handler: aliyunHandler,
  accessKeyId: 'LTAIalitest01',
  secret: 'ali-test-secret',
  regions: ['cn-hangzhou', 'cn-shanghai', 'cn-beijing'],
  accountDefaults: { regions: ['cn-hangzhou'], resources: ['cbwp'] },
});
const { account, res, product } = fx;

describe('Aliyun shared bandwidth packages (AC-09)', () => {
  it('asks for the minimum period with userId dropped and emits the value with its CodeName', async () => {
    fx.sim.state.world.resources = [res({ type: 'bwp', id: 'cbwp-1', tags: { CodeName: 'web' } })];
    fx.sim.state.values.set(
      { cloud: 'aliyun', namespace: 'acs_bandwidth_package', metric: 'net_rx.rate', resourceId: 'cbwp-1' },
      1_500_000,
    );
    const { samples, metrics, products } = await runProvider(aliyunProvider, account());
    expect(products[0]!.groups[0]!.metrics).toContain('net_rx.rate');
    const call = fx.sim.state
      .callsOf('aliyun', 'DescribeMetricLast')
      .find((c) => c.params.MetricName === 'net_rx.rate')!;
    expect(call.params).toMatchObject({
      Period: '60',
      Length: '1000',
      Dimensions: '[{"instanceId":"cbwp-1"}]',
      Namespace: 'acs_bandwidth_package',
    });
    expect(samples.find((s) => s.metric === 'net_rx.rate')).toEqual({
      namespace: 'acs_bandwidth_package',
      metric: 'net_rx.rate',
      region: 'cn-hangzhou',
      resourceType: 'bwp',
      resourceId: 'cbwp-1',
      codeName: 'web',
      dimensions: {},
      value: 1_500_000,
    });
    expect(
      metricValue(metrics, 'multicloud_request_total', { api: 'DescribeMetricLast', status: 'success' }),
    ).toBeGreaterThan(0);
  });

  it('omits Length when page_size is unset', async () => {
    fx.sim.state.world.resources = [res({ type: 'bwp', id: 'cbwp-2' })];
    await runProvider(aliyunProvider, account(), {
      settings: settings({ pageSize: undefined }),
      products: product('acs_bandwidth_package', 'cbwp', ['net_rx.rate']),
    });
    expect(fx.sim.state.callsOf('aliyun', 'DescribeMetricLast')[0]!.params.Length).toBeUndefined();
  });
});

describe('Aliyun SLB (AC-10, AC-11, AC-13)', () => {
  it('fans out over listeners and renders numeric ports as strings', async () => {
    fx.sim.state.world.resources = [
      res({
        type: 'clb',
        id: 'lb-1',
        listeners: [
          { port: 80, protocol: 'tcp' },
          { port: 443, protocol: 'https' },
        ],
      }),
    ];
    fx.sim.state.values.set(
      {
        cloud: 'aliyun',
        namespace: 'acs_slb_dashboard',
        metric: 'ActiveConnection',
        resourceId: 'lb-1',
        dims: { port: '80', protocol: 'tcp' },
      },
      12,
    );
    fx.sim.state.values.set(
      {
        cloud: 'aliyun',
        namespace: 'acs_slb_dashboard',
        metric: 'ActiveConnection',
        resourceId: 'lb-1',
        dims: { port: '443', protocol: 'https' },
      },
      3,
    );
    const { samples } = await runProvider(aliyunProvider, account({ resources: ['clb'] }), {
      products: product('acs_slb_dashboard', 'clb', ['ActiveConnection', 'StatusCode2xx']),
    });
    const call = fx.sim.state
      .callsOf('aliyun', 'DescribeMetricLast')
      .find((c) => c.params.MetricName === 'StatusCode2xx')!;
    expect(JSON.parse(String(call.params.Dimensions))).toEqual([
      { instanceId: 'lb-1', port: '80', protocol: 'tcp' },
      { instanceId: 'lb-1', port: '443', protocol: 'https' },
    ]);
    const active = samples
      .filter((s) => s.metric === 'ActiveConnection')
      .map((s) => [s.dimensions?.port, s.value]);
    expect(active.sort()).toEqual([
      ['443', 3],
      ['80', 12],
    ]);
    expect(samples.every((s) => s.resourceType === 'clb')).toBe(true);
  });

  it('batches 120 load balancers into 50/50/20 dimension sets', async () => {
    fx.sim.state.world.resources = Array.from({ length: 120 }, (_, i) =>
      res({ type: 'clb', id: `lb-${String(i).padStart(3, '0')}` }),
    );
    const { samples } = await runProvider(aliyunProvider, account({ resources: ['clb'] }), {
      products: product('acs_slb_dashboard', 'clb', ['InstanceQps']),
    });
    const sizes = fx.sim.state
      .callsOf('aliyun', 'DescribeMetricLast')
      .map((c) => JSON.parse(String(c.params.Dimensions)).length);
    expect(sizes.sort((a, b) => b - a)).toEqual([50, 50, 20]);
    expect(new Set(samples.map((s) => s.resourceId)).size).toBe(120);
    expect(fx.sim.state.callsOf('aliyun', 'DescribeLoadBalancers')).toHaveLength(2);
  });

  it('stops a batch on a repeated token after 2 calls and on endless empty pages after 3', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'lb-x' })];
    const products = product('acs_slb_dashboard', 'clb', ['InstanceQps']);
    fx.sim.state.inject({ cloud: 'aliyun', action: 'DescribeMetricLast', kind: 'bad_token', times: 10 });
    await runProvider(aliyunProvider, account({ resources: ['clb'] }), { products });
    expect(fx.sim.state.callsOf('aliyun', 'DescribeMetricLast')).toHaveLength(2);
    fx.sim.state.clearFaults();
    fx.sim.state.resetCalls();
    fx.sim.state.inject({ cloud: 'aliyun', action: 'DescribeMetricLast', kind: 'empty_pages', times: 1000 });
    await runProvider(aliyunProvider, account({ resources: ['clb'] }), { products });
    expect(fx.sim.state.callsOf('aliyun', 'DescribeMetricLast')).toHaveLength(3);
  });

  it('estimates utilisation from the BandwidthCapBps tag before the configured cap', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'lb-123', tags: { BandwidthCapBps: '1000' } })];
    fx.sim.state.values.set(
      { cloud: 'aliyun', namespace: 'acs_slb_dashboard', metric: 'InstanceTrafficRX', resourceId: 'lb-123' },
      10,
    );
    const { samples } = await runProvider(aliyunProvider, account({ resources: ['clb'] }), {
      settings: settings({ estimation: { clb: { aliyun_bandwidth_cap_bps: 100 } } }),
      products: product('acs_slb_dashboard', 'clb', ['InstanceTrafficRX']),
    });
    expect(samples.find((s) => s.metric === 'InstanceTrafficRX')?.value).toBe(10);
    expect(samples.find((s) => s.seriesSuffix === 'traffic_rx_utilization_pct')).toMatchObject({
      metric: 'traffic_rx_utilization_pct',
      resourceId: 'lb-123',
      value: 1,
    });
  });
});

describe('Aliyun errors (AC-12)', () => {
  const products = product('acs_bandwidth_package', 'cbwp', ['net_rx.rate']);

  it('emits nothing for a series without datapoints', async () => {
    fx.sim.state.world.resources = [res({ type: 'bwp', id: 'cbwp-9' })];
    fx.sim.state.values.set(
      { cloud: 'aliyun', namespace: 'acs_bandwidth_package', metric: 'net_rx.rate', resourceId: 'cbwp-9' },
      null,
    );
    const { samples } = await runProvider(aliyunProvider, account(), { products });
    expect(samples).toEqual([]);
  });

  it('does not retry bad keys and counts them as auth_error', async () => {
    fx.sim.state.world.resources = [res({ type: 'bwp', id: 'cbwp-1' })];
    const { samples, metrics } = await runProvider(aliyunProvider, account({ access_key_secret: 'wrong' }), {
      products,
    });
    expect(samples).toEqual([]);
    expect(fx.sim.state.callsOf('aliyun', 'DescribeCommonBandwidthPackages')).toHaveLength(1);
    expect(
      metricValue(metrics, 'multicloud_request_total', {
        api: 'DescribeCommonBandwidthPackages',
        status: 'auth_error',
      }),
    ).toBe(1);
  });

  it('retries throttling 5 times with backoff, counting every refusal', async () => {
    fx.sim.state.world.resources = [res({ type: 'bwp', id: 'cbwp-1' })];
    fx.sim.state.inject({ cloud: 'aliyun', action: 'DescribeMetricLast', kind: 'throttle', times: 5 });
    const { samples, metrics } = await runProvider(aliyunProvider, account(), { products });
    expect(fx.sim.state.callsOf('aliyun', 'DescribeMetricLast')).toHaveLength(5);
    expect(
      metricValue(metrics, 'multicloud_rate_limit_total', {
        api: 'DescribeMetricLast',
        cloud_provider: 'aliyun',
      }),
    ).toBe(5);
    expect(samples).toEqual([]);
  });

  it('recovers when throttling stops before the attempts run out', async () => {
    fx.sim.state.world.resources = [res({ type: 'bwp', id: 'cbwp-1' })];
    fx.sim.state.inject({ cloud: 'aliyun', action: 'DescribeMetricLast', kind: 'throttle', times: 2 });
    const { samples } = await runProvider(aliyunProvider, account(), { products });
    expect(samples).toHaveLength(1);
  });
});

describe('Aliyun regions and caches (AC-24, AC-25)', () => {
  it('enumerates regions for ["*"] and falls back to DEFAULT_REGIONS, then cn-hangzhou', async () => {
    const products = product('acs_bandwidth_package', 'cbwp', ['net_rx.rate']);
    await runProvider(aliyunProvider, account({ regions: ['*'] }), { products });
    const regions = new Set(
      fx.sim.state.callsOf('aliyun', 'DescribeCommonBandwidthPackages').map((c) => c.region),
    );
    expect(regions).toEqual(new Set(['cn-hangzhou', 'cn-shanghai', 'cn-beijing']));

    fx.sim.state.resetCalls();
    fx.sim.state.inject({ cloud: 'aliyun', action: 'DescribeRegions', kind: 'server_error', times: 10 });
    await runProvider(aliyunProvider, account({ regions: ['*'] }), {
      products,
      settings: settings({ defaultRegions: ['cn-shanghai', 'cn-shenzhen'] }),
    });
    expect(
      fx.sim.state
        .callsOf('aliyun', 'DescribeCommonBandwidthPackages')
        .map((c) => c.region)
        .sort(),
    ).toEqual(['cn-shanghai', 'cn-shenzhen']);

    fx.sim.state.resetCalls();
    fx.sim.state.inject({ cloud: 'aliyun', action: 'DescribeRegions', kind: 'server_error', times: 10 });
    await runProvider(aliyunProvider, account({ regions: ['*'] }), { products });
    expect(fx.sim.state.callsOf('aliyun', 'DescribeCommonBandwidthPackages').map((c) => c.region)).toEqual([
      'cn-hangzhou',
    ]);
  });

  it('lists resources once within discovery_ttl and again after it', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'lb-c' })];
    const acc = account({ resources: ['clb'] });
    const opts = {
      products: product('acs_slb_dashboard', 'clb', ['InstanceQps']),
      settings: settings({ discoveryTtlMs: 1000 }),
    };
    await runProvider(aliyunProvider, acc, opts);
    await new Promise((r) => setTimeout(r, 200));
    await runProvider(aliyunProvider, acc, opts);
    expect(fx.sim.state.callsOf('aliyun', 'DescribeLoadBalancers')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1000));
    await runProvider(aliyunProvider, acc, opts);
    expect(fx.sim.state.callsOf('aliyun', 'DescribeLoadBalancers')).toHaveLength(2);
  });
});

describe('Aliyun ALB, NLB, GWLB and OSS', () => {
  it('collects every resource type with its unified resource_type and CodeName', async () => {
    fx.sim.state.world.resources = [
      res({ type: 'alb', id: 'alb-1', tags: { CodeName: 'api' } }),
      res({ type: 'nlb', id: 'nlb-1', tags: { code_name: 'tcp' } }),
      res({ type: 'gwlb', id: 'gwlb-1' }),
      res({ type: 's3', id: 'assets', tags: { CodeName: 'static' } }),
      res({ type: 's3', id: 'elsewhere', region: 'cn-beijing' }),
    ];
    const { samples } = await runProvider(
      aliyunProvider,
      account({ resources: ['alb', 'nlb', 'gwlb', 'oss'] }),
    );
    const seen = new Map(samples.map((s) => [`${s.resourceType}:${s.resourceId}`, s.codeName]));
    expect(seen).toEqual(
      new Map([
        ['alb:alb-1', 'api'],
        ['nlb:nlb-1', 'tcp'],
        ['gwlb:gwlb-1', ''],
        ['s3:assets', 'static'],
      ]),
    );
    expect(fx.sim.state.callsOf('aliyun', 'ListBuckets')).toHaveLength(1);
    expect(fx.sim.state.callsOf('aliyun', 'GetBucketTagging')).toHaveLength(1);
  });
});
