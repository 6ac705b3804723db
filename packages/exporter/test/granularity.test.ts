import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { awsHandler } from '@opsfleet/cloudsim/aws/index.ts';
import { huaweiHandler } from '@opsfleet/cloudsim/huawei/index.ts';
import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';
import { describe, expect, it } from 'vitest';
import { AliyunApi } from '../src/providers/aliyun/client.ts';
import { AwsApi } from '../src/providers/aws/clients.ts';
import { cesWindow } from '../src/providers/huawei/ces.ts';
import { HuaweiApi } from '../src/providers/huawei/clients.ts';
import { huaweiProvider } from '../src/providers/huawei/index.ts';
import { TencentApi } from '../src/providers/tencent/clients.ts';
import { tencentProvider } from '../src/providers/tencent/index.ts';
import { queryWindow } from '../src/providers/tencent/period.ts';
import { cloudFixture } from './cloud-fixture.ts';
import { runProvider } from './harness.ts';

/**
 * The simulated clouds have a datapoint only where the real ones do: at each metric's own
 * reporting period, once that period has ended. A query with a period the metric does not
 * support, or a window that holds no such point, gets nothing; the exporter's own queries get
 * their value.
 */

const MINUTE = 60_000;

describe('Huawei CES', () => {
  const fx = cloudFixture({
    cloud: 'huawei',
    handler: huaweiHandler,
    accessKeyId: 'HWAKGRAN000000001',
    secret: 'hw-gran-secret',
    regions: ['cn-north-4'],
    accountDefaults: { regions: ['cn-north-4'], resources: ['elb'] },
  });

  async function ces(period: string, from: number, to: number) {
    const account = fx.account();
    const api = new HuaweiApi(account);
    const projectId = await api.projectId('cn-north-4');
    return (await api.client('ces', 'cn-north-4', projectId).sendRequest({
      method: 'POST',
      url: '/V1.0/{project_id}/batch-query-metric-data',
      contentType: 'application/json',
      queryParams: {},
      pathParams: { project_id: projectId },
      headers: {},
      data: {
        metrics: [
          {
            namespace: 'SYS.ELB',
            metric_name: 'm2_act_conn',
            dimensions: [{ name: 'lbaas_instance_id', value: 'e-1' }],
          },
        ],
        period,
        filter: 'average',
        from,
        to,
      },
    })) as { metrics: { datapoints: { average: number; timestamp: number }[] }[] };
  }

  it('collects the ELB products discovery builds, at period 300', async () => {
    fx.sim.state.world.resources = [fx.res({ type: 'clb', id: 'e-1' })];
    fx.sim.state.values.set(
      { cloud: 'huawei', namespace: 'SYS.ELB', metric: 'm2_act_conn', resourceId: 'e-1' },
      7,
    );
    const { samples, products } = await runProvider(huaweiProvider, fx.account());
    expect(products.find((p) => p.namespace === 'SYS.ELB')!.groups.map((g) => g.period)).toEqual([300]);
    expect(samples.find((s) => s.metric === 'm2_act_conn' && s.resourceId === 'e-1')?.value).toBe(7);
    const periods = fx.sim.state.callsOf('huawei', 'BatchListMetricData').map((c) => c.params.period);
    expect(new Set(periods)).toEqual(new Set(['300']));
  });

  it('has no raw point in a one-second window (the old ELB query), one a minute over three minutes', async () => {
    fx.sim.state.world.resources = [fx.res({ type: 'clb', id: 'e-1' })];
    // A whole raw point falls in [now-2s, now-1s) only when a minute boundary does, and it is
    // published only a minute later: never within the window's own time.
    const now = Date.now();
    const old = await ces('1', now - 2_000, now - 1_000);
    expect(old.metrics[0]!.datapoints).toEqual([]);
    const raw = await ces('1', now - 3 * MINUTE, now);
    const stamps = raw.metrics[0]!.datapoints.map((d) => d.timestamp);
    expect(stamps.length).toBeGreaterThanOrEqual(2);
    for (const t of stamps) expect(t % MINUTE).toBe(0);
    const agg = await ces('300', cesWindow(300, now).from, cesWindow(300, now).to);
    expect(agg.metrics[0]!.datapoints).toHaveLength(1);
  });
});

describe('Tencent monitor', () => {
  const fx = cloudFixture({
    cloud: 'tencent',
    handler: tencentHandler,
    accessKeyId: 'AKIDtcgran0001',
    secret: 'tc-gran-secret',
    regions: ['ap-guangzhou'],
    accountDefaults: { regions: ['ap-guangzhou'], resources: ['clb'] },
  });

  const ask = (period: number, start: number, end: number) =>
    new TencentApi(fx.account()).call('monitor', 'GetMonitorData', 'ap-guangzhou', {
      Namespace: 'QCE/LB',
      MetricName: 'VIntraffic',
      Period: period,
      StartTime: new Date(start).toISOString(),
      EndTime: new Date(end).toISOString(),
      Instances: [{ Dimensions: [{ Name: 'vip', Value: '1.2.3.4' }] }],
    }) as unknown as Promise<{ DataPoints: { Timestamps: number[]; Values: number[] }[] }>;

  it('refuses a period the metric does not list', async () => {
    fx.sim.state.world.resources = [fx.res({ type: 'clb', id: 'lb-1', vips: ['1.2.3.4'] })];
    await expect(ask(45, Date.now() - 10 * MINUTE, Date.now())).rejects.toThrow(/Period 45 is not supported/);
  });

  it('has no point in the last half minute, one in the window the exporter asks for', async () => {
    fx.sim.state.world.resources = [fx.res({ type: 'clb', id: 'lb-1', vips: ['1.2.3.4'] })];
    const now = Date.now();
    expect((await ask(60, now - 30_000, now)).DataPoints[0]!.Values).toEqual([]);
    const { start, end } = queryWindow(60, 'QCE/LB', now);
    const r = await ask(60, start.getTime(), end.getTime());
    expect(r.DataPoints[0]!.Values.length).toBeGreaterThanOrEqual(1);
    for (const t of r.DataPoints[0]!.Timestamps) expect(t % 60).toBe(0);
  });

  it('collects CLB series through the provider', async () => {
    fx.sim.state.world.resources = [fx.res({ type: 'clb', id: 'lb-1', vips: ['1.2.3.4'] })];
    fx.sim.state.values.set(
      { cloud: 'tencent', namespace: 'QCE/LB', metric: 'VIntraffic', resourceId: '1.2.3.4' },
      5,
    );
    const { samples } = await runProvider(tencentProvider, fx.account(), {
      products: fx.product('QCE/LB', 'clb', ['VIntraffic']),
    });
    expect(samples.map((s) => s.value)).toEqual([5]);
  });
});

describe('AWS CloudWatch', () => {
  const fx = cloudFixture({
    cloud: 'aws',
    handler: awsHandler,
    accessKeyId: 'AKIAAWSGRAN0001',
    secret: 'aws-gran-secret',
    regions: ['us-east-1'],
    accountDefaults: { regions: ['us-east-1'], resources: ['alb'] },
  });

  const ask = (
    namespace: string,
    metric: string,
    dims: { Name: string; Value: string }[],
    period: number,
    start: number,
    end: number,
  ) =>
    new AwsApi(fx.account()).getMetricData('us-east-1', {
      MetricDataQueries: [
        {
          Id: 'q0',
          MetricStat: {
            Metric: { Namespace: namespace, MetricName: metric, Dimensions: dims },
            Period: period,
            Stat: 'Average',
          },
        },
      ],
      StartTime: new Date(start),
      EndTime: new Date(end),
    });
  const alb = (period: number, start: number, end: number) =>
    ask(
      'AWS/ApplicationELB',
      'ActiveConnectionCount',
      [{ Name: 'LoadBalancer', Value: 'app/alb-1/abc' }],
      period,
      start,
      end,
    );
  const bucketSize = (period: number, start: number, end: number) =>
    ask(
      'AWS/S3',
      'BucketSizeBytes',
      [
        { Name: 'BucketName', Value: 'b1' },
        { Name: 'StorageType', Value: 'StandardStorage' },
      ],
      period,
      start,
      end,
    );

  it('refuses a period that is not a multiple of a minute', async () => {
    fx.sim.state.world.resources = [fx.res({ type: 'alb', id: 'alb-1' })];
    await expect(alb(90, Date.now() - 10 * MINUTE, Date.now())).rejects.toThrow(
      /must be 1, 5, 10, 30 or a multiple of 60/,
    );
  });

  it('has no minute point in the last half minute, and none of a daily metric in half an hour', async () => {
    fx.sim.state.world.resources = [fx.res({ type: 'alb', id: 'alb-1' }), fx.res({ type: 's3', id: 'b1' })];
    const now = Date.now();
    expect((await alb(60, now - 30_000, now)).MetricDataResults![0]!.Values).toEqual([]);
    expect(
      (await alb(60, now - 5 * MINUTE, now)).MetricDataResults![0]!.Values!.length,
    ).toBeGreaterThanOrEqual(3);
    expect((await bucketSize(60, now - 30 * MINUTE, now)).MetricDataResults![0]!.Values).toEqual([]);
    expect(
      (await bucketSize(86_400, now - 48 * 60 * MINUTE, now)).MetricDataResults![0]!.Values!.length,
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('Aliyun CMS', () => {
  const fx = cloudFixture({
    cloud: 'aliyun',
    handler: aliyunHandler,
    accessKeyId: 'LTAIaligran01',
    secret: 'ali-gran-secret',
    regions: ['cn-hangzhou'],
    accountDefaults: { regions: ['cn-hangzhou'], resources: ['cbwp'] },
  });

  const ask = (action: string, params: Record<string, string>) =>
    new AliyunApi(fx.account()).call<{ Datapoints?: string }>('cms', action, 'cn-hangzhou', {
      Namespace: 'acs_bandwidth_package',
      MetricName: 'net_rx.rate',
      Dimensions: JSON.stringify([{ instanceId: 'cbwp-1' }]),
      ...params,
    });
  const points = (body: { Datapoints?: string }) =>
    (body.Datapoints ? JSON.parse(body.Datapoints) : []) as { timestamp: number }[];

  it('refuses a period that is not a multiple of the metric’s own', async () => {
    fx.sim.state.world.resources = [fx.res({ type: 'bwp', id: 'cbwp-1' })];
    await expect(ask('DescribeMetricLast', { Period: '30' })).rejects.toThrow(/Period 30 is not supported/);
  });

  it('has no point in the last half minute; the latest one sits on a minute boundary', async () => {
    fx.sim.state.world.resources = [fx.res({ type: 'bwp', id: 'cbwp-1' })];
    const now = Date.now();
    const recent = await ask('DescribeMetricList', {
      Period: '60',
      StartTime: String(now - 30_000),
      EndTime: String(now),
    });
    expect(points(recent)).toEqual([]);
    const last = points(await ask('DescribeMetricLast', { Period: '60' }));
    const after = Date.now();
    expect(last).toHaveLength(1);
    const t = last[0]!.timestamp;
    expect(t % MINUTE).toBe(0);
    // Its minute had ended when it was answered, and no later minute had.
    expect(t + MINUTE).toBeLessThanOrEqual(after);
    expect(t).toBeGreaterThan(now - 2 * MINUTE);
  });
});
