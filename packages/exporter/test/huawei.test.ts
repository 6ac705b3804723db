import { huaweiHandler } from '@opsfleet/cloudsim/huawei/index.ts';
import { describe, expect, it } from 'vitest';
import { toSeries } from '../src/collector/to-series.ts';
import { defaultMappingPath, loadMappings } from '../src/mappings/catalog.ts';
import { cesPeriod } from '../src/providers/huawei/ces.ts';
import { classifyHuawei } from '../src/providers/huawei/classify.ts';
import { HUAWEI_REGIONS, huaweiProvider } from '../src/providers/huawei/index.ts';
import { cloudFixture } from './cloud-fixture.ts';
import { metricValue, runProvider } from './harness.ts';

const { catalog } = loadMappings(defaultMappingPath());

const fx = cloudFixture({
  cloud: 'huawei',
  handler: huaweiHandler,
  accessKeyId: 'HWAKTEST0000000001',
  secret: 'hw-test-secret',
  regions: [...HUAWEI_REGIONS, 'la-south-2'],
  accountDefaults: { regions: ['cn-north-4'], resources: ['elb'] },
});
const { account, res, product } = fx;

interface CesBody {
  metrics: { namespace: string; metric_name: string; dimensions: { name: string; value: string }[] }[];
  period: string;
  filter: string;
  from: number;
  to: number;
}
const cesBodies = () =>
  fx.sim.state.callsOf('huawei', 'BatchListMetricData').map((c) => c.params as unknown as CesBody);

describe('Huawei ELB (AC-20)', () => {
  it('lists ELB v3, asks CES for the period that ended 5 minutes ago and applies the catalog ×8', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'e-1', name: 'web-elb' })];
    const set = (metric: string, value: number) =>
      fx.sim.state.values.set({ cloud: 'huawei', namespace: 'SYS.ELB', metric, resourceId: 'e-1' }, value);
    set('m7_in_Bps', 100);
    set('m2_act_conn', 7);
    const { samples } = await runProvider(huaweiProvider, account(), {
      products: product('SYS.ELB', 'elb', ['m7_in_Bps', 'm2_act_conn'], 300),
    });
    const [body] = cesBodies();
    expect(body!.metrics).toEqual([
      {
        namespace: 'SYS.ELB',
        metric_name: 'm7_in_Bps',
        dimensions: [{ name: 'lbaas_instance_id', value: 'e-1' }],
      },
      {
        namespace: 'SYS.ELB',
        metric_name: 'm2_act_conn',
        dimensions: [{ name: 'lbaas_instance_id', value: 'e-1' }],
      },
    ]);
    expect(body).toMatchObject({ period: '300', filter: 'average' });
    expect(Math.abs(body!.from - (Date.now() - 600_000))).toBeLessThan(5_000);
    expect(body!.to - body!.from).toBe(300_000);
    const rx = samples.find((s) => s.metric === 'm7_in_Bps')!;
    expect(rx).toMatchObject({
      region: 'cn-north-4',
      resourceType: 'clb',
      resourceId: 'e-1',
      codeName: 'web-elb',
    });
    expect(toSeries('huawei', 'acc', rx, catalog)).toMatchObject({
      name: 'clb_traffic_rx_bps',
      value: 800,
      labels: {
        cloud_provider: 'huawei',
        code_name: 'web-elb',
        namespace: 'SYS.ELB',
        resource_id: 'e-1',
        resource_type: 'clb',
      },
    });
    const conn = samples.find((s) => s.metric === 'm2_act_conn')!;
    expect(toSeries('huawei', 'acc', conn, catalog)).toMatchObject({
      name: 'clb_active_connection',
      value: 7,
    });
  });

  it('batches 500 entries per call, not 10: 300 ELBs × 2 metrics take 2 calls', async () => {
    fx.sim.state.world.resources = Array.from({ length: 300 }, (_, i) =>
      res({ type: 'clb', id: `e-${String(i).padStart(3, '0')}` }),
    );
    const { samples } = await runProvider(huaweiProvider, account(), {
      products: product('SYS.ELB', 'elb', ['m7_in_Bps', 'm2_act_conn'], 300),
    });
    expect(
      cesBodies()
        .map((b) => b.metrics.length)
        .sort((a, b) => b - a),
    ).toEqual([500, 100]);
    expect(samples).toHaveLength(600);
  });

  it('follows next_marker over ELB pages and names an unnamed ELB by its id', async () => {
    fx.sim.state.world.resources = Array.from({ length: 2001 }, (_, i) =>
      res({ type: 'clb', id: `e-${String(i).padStart(4, '0')}` }),
    );
    const { samples } = await runProvider(huaweiProvider, account(), {
      products: product('SYS.ELB', 'elb', ['m2_act_conn'], 300),
    });
    const pages = fx.sim.state.callsOf('huawei', 'ListLoadBalancers');
    expect(pages.map((p) => p.params.marker)).toEqual([undefined, 'e-1999']);
    expect(samples).toHaveLength(2001);
    expect(samples.find((s) => s.resourceId === 'e-2000')?.codeName).toBe('e-2000');
  });

  it('leaves a series absent when CES has no datapoint', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'e-1' })];
    fx.sim.state.values.set(
      { cloud: 'huawei', namespace: 'SYS.ELB', metric: 'm2_act_conn', resourceId: 'e-1' },
      null,
    );
    const { samples } = await runProvider(huaweiProvider, account(), {
      products: product('SYS.ELB', 'elb', ['m2_act_conn', 'm5_in_pps'], 300),
    });
    expect(samples.map((s) => s.metric)).toEqual(['m5_in_pps']);
  });
});

describe('Huawei OBS', () => {
  it('keeps the buckets located in the region and reads capacity daily over 48 hours', async () => {
    fx.sim.state.world.resources = [
      res({ type: 's3', id: 'logs-bj4' }),
      res({ type: 's3', id: 'media-sh', region: 'cn-east-3' }),
    ];
    fx.sim.state.values.set(
      { cloud: 'huawei', namespace: 'SYS.OBS', metric: 'capacity_total', resourceId: 'logs-bj4' },
      1024,
    );
    const { samples } = await runProvider(huaweiProvider, account({ resources: ['obs'] }), {
      products: [
        {
          namespace: 'SYS.OBS',
          resource: 'obs',
          autoDiscover: true,
          groups: [
            { metrics: ['capacity_total'], period: 86_400 },
            { metrics: ['get_request_count', 'request_code_count'], period: 300 },
          ],
        },
      ],
    });
    expect(fx.sim.state.callsOf('huawei', 'ListBuckets')).toHaveLength(1);
    const bodies = cesBodies();
    const daily = bodies.find((b) => b.period === '86400')!;
    expect(daily.to - daily.from).toBe(48 * 3_600_000);
    expect(bodies.flatMap((b) => b.metrics.map((m) => m.metric_name)).sort()).toEqual([
      'capacity_total',
      'get_request_count',
    ]);
    expect(samples.map((s) => [s.resourceId, s.metric]).sort()).toEqual([
      ['logs-bj4', 'capacity_total'],
      ['logs-bj4', 'get_request_count'],
    ]);
    const capacity = samples.find((s) => s.metric === 'capacity_total')!;
    expect(toSeries('huawei', 'acc', capacity, catalog)).toMatchObject({
      name: 's3_storage_usage_bytes',
      value: 1024,
      labels: { resource_type: 's3', code_name: 'logs-bj4' },
    });
  });
});

describe('Huawei regions, discovery and errors', () => {
  it('collects the fixed nine regions for ["*"] without a region API call', async () => {
    fx.sim.state.world.resources = [
      res({ type: 'clb', id: 'e-bj', region: 'cn-north-4' }),
      res({ type: 'clb', id: 'e-sg', region: 'ap-southeast-3' }),
      res({ type: 'clb', id: 'e-la', region: 'la-south-2' }),
    ];
    const { samples } = await runProvider(huaweiProvider, account({ regions: ['*'] }), {
      products: product('SYS.ELB', 'elb', ['m2_act_conn'], 300),
    });
    expect(new Set(fx.sim.state.callsOf('huawei', 'ListLoadBalancers').map((c) => c.region))).toEqual(
      new Set(HUAWEI_REGIONS),
    );
    expect(samples.map((s) => s.resourceId).sort()).toEqual(['e-bj', 'e-sg']);
  });

  it('discovers products from CES ListMetrics unioned with the built-in list, OBS in two groups', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'e-1' }), res({ type: 's3', id: 'b-1' })];
    const { products } = await runProvider(huaweiProvider, account({ resources: ['elb', 'obs'] }));
    const elb = products.find((p) => p.namespace === 'SYS.ELB')!;
    expect(elb.groups[0]!.metrics).toContain('m7_in_Bps');
    const obs = products.find((p) => p.namespace === 'SYS.OBS')!;
    expect(obs.groups.map((g) => g.period)).toEqual([86_400, 300]);
    expect(obs.groups[0]!.metrics).toContain('capacity_total');
    expect(obs.groups[1]!.metrics).toContain('get_request_count');
    expect(obs.groups.flatMap((g) => g.metrics)).not.toContain('request_code_count');
    expect(fx.sim.state.callsOf('huawei', 'ListMetrics').length).toBeGreaterThanOrEqual(2);
  });

  it('retries a throttled CES call, counts it and still produces the series', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'e-1' })];
    fx.sim.state.inject({ cloud: 'huawei', action: 'BatchListMetricData', kind: 'throttle', times: 1 });
    const { samples, metrics } = await runProvider(huaweiProvider, account(), {
      products: product('SYS.ELB', 'elb', ['m2_act_conn'], 300),
    });
    expect(samples).toHaveLength(1);
    expect(
      metricValue(metrics, 'multicloud_rate_limit_total', {
        api: 'BatchListMetricData',
        cloud_provider: 'huawei',
      }),
    ).toBe(1);
  });

  it('counts a wrong secret as auth_error once, without retrying', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'e-1' })];
    const { samples, metrics } = await runProvider(huaweiProvider, account({ access_key_secret: 'wrong' }), {
      products: product('SYS.ELB', 'elb', ['m2_act_conn'], 300),
    });
    expect(samples).toEqual([]);
    expect(fx.sim.state.callsOf('huawei', 'KeystoneListProjects')).toHaveLength(1);
    expect(
      metricValue(metrics, 'multicloud_request_total', { api: 'KeystoneListProjects', status: 'auth_error' }),
    ).toBe(1);
  });

  it('classifies gateway answers by status and code', () => {
    expect(classifyHuawei({ httpStatusCode: 401, errorCode: 'APIGW.0301' })).toBe('auth_error');
    expect(classifyHuawei({ httpStatusCode: 429, errorCode: 'APIGW.0308' })).toBe('limit_error');
    expect(classifyHuawei({ code: 'SlowDown', status: 503 })).toBe('limit_error');
    expect(classifyHuawei({ message: 'timeout of 15000ms exceeded' })).toBe('network_error');
    expect(classifyHuawei({ httpStatusCode: 500, errorCode: 'APIGW.0203' })).toBe('error');
  });

  it.each([
    [1, 300],
    [60, 300],
    [300, 300],
    [600, 300],
    [3600, 3600],
    [86_400, 86_400],
  ])('asks CES for period %i as %i', (wanted, got) => {
    expect(cesPeriod(wanted)).toBe(got);
  });
});
