import { awsHandler } from '@opsfleet/cloudsim/aws/index.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { toSeries } from '../src/collector/to-series.ts';
import { defaultMappingPath, loadMappings } from '../src/mappings/catalog.ts';
import { awsProvider } from '../src/providers/aws/index.ts';
import type { Product } from '../src/providers/provider.ts';
import { cloudFixture } from './cloud-fixture.ts';
import { metricValue, runProvider } from './harness.ts';

const { catalog } = loadMappings(defaultMappingPath());

const fx = cloudFixture({
  cloud: 'aws',
  handler: awsHandler,
  accessKeyId: 'AKIAAWSTEST0001',
  secret: 'aws-test-secret',
  regions: ['us-east-1', 'eu-west-1'],
  accountDefaults: { regions: ['us-east-1'], resources: ['alb'] },
});
const { account, res, product } = fx;
beforeEach(() => {
  fx.sim.state.options.cloudwatchPageSize = undefined;
});

describe('AWS load balancers (AC-17, AC-18)', () => {
  it('queries ALB by the ARN suffix, turns Sum into a rate and gets ×8 from the catalog', async () => {
    fx.sim.state.world.resources = [res({ type: 'alb', id: 'alb-1' })];
    fx.sim.state.values.set(
      { cloud: 'aws', namespace: 'AWS/ApplicationELB', metric: 'ProcessedBytes', resourceId: 'alb-1' },
      600,
    );
    fx.sim.state.values.set(
      { cloud: 'aws', namespace: 'AWS/ApplicationELB', metric: 'ActiveConnectionCount', resourceId: 'alb-1' },
      10,
    );
    const { samples } = await runProvider(awsProvider, account(), {
      products: product('AWS/ApplicationELB', 'alb', ['ProcessedBytes', 'ActiveConnectionCount']),
    });
    const call = fx.sim.state.callsOf('aws', 'GetMetricData')[0]!;
    const q = (
      call.params.MetricDataQueries as {
        MetricStat: {
          Metric: { Dimensions: { Name: string; Value: string }[] };
          Period: number;
          Stat: string;
        };
      }[]
    )[0]!;
    expect(q.MetricStat.Metric.Dimensions[0]!.Name).toBe('LoadBalancer');
    expect(q.MetricStat.Metric.Dimensions[0]!.Value).toMatch(/^app\/alb-1\/[0-9a-f]{16}$/);
    expect(q.MetricStat.Period).toBe(60);
    const processed = samples.find((s) => s.metric === 'ProcessedBytes')!;
    expect(processed).toMatchObject({
      resourceId: 'alb-1',
      resourceType: 'alb',
      codeName: 'alb-1',
      value: 10,
    });
    expect(toSeries('aws', 'acc', processed, catalog)).toMatchObject({
      name: 'alb_traffic_rx_bps',
      value: 80,
    });
    const active = samples.find((s) => s.metric === 'ActiveConnectionCount')!;
    expect(toSeries('aws', 'acc', active, catalog)).toMatchObject({
      name: 'alb_active_connection',
      value: 10,
    });
  });

  it('ends the query window cloudwatch_delay before now', async () => {
    fx.sim.state.world.resources = [res({ type: 'alb', id: 'alb-1' })];
    await runProvider(awsProvider, account(), {
      products: product('AWS/ApplicationELB', 'alb', ['RequestCount']),
    });
    const call = fx.sim.state.callsOf('aws', 'GetMetricData')[0]!;
    const end = Number(call.params.EndTime) * 1000;
    expect(Date.now() - end).toBeGreaterThanOrEqual(119_000);
    expect(end - Number(call.params.StartTime) * 1000).toBe(60_000);
  });

  it('packs 501 queries into 2 calls and follows NextToken', async () => {
    fx.sim.state.world.resources = Array.from({ length: 167 }, (_, i) =>
      res({ type: 'alb', id: `alb-${i}` }),
    );
    const metrics = ['RequestCount', 'ProcessedBytes', 'ActiveConnectionCount'];
    const { samples } = await runProvider(awsProvider, account(), {
      products: product('AWS/ApplicationELB', 'alb', metrics),
    });
    expect(fx.sim.state.callsOf('aws', 'GetMetricData')).toHaveLength(2);
    expect(samples).toHaveLength(501);
    fx.sim.state.resetCalls();
    fx.sim.state.options.cloudwatchPageSize = 200;
    const paged = await runProvider(awsProvider, account(), {
      products: product('AWS/ApplicationELB', 'alb', metrics),
    });
    expect(fx.sim.state.callsOf('aws', 'GetMetricData')).toHaveLength(4);
    expect(paged.samples).toHaveLength(501);
  });

  it('shares GetMetricData calls between the load balancer types of a region', async () => {
    fx.sim.state.world.resources = [
      ...Array.from({ length: 100 }, (_, i) => res({ type: 'alb', id: `alb-${i}` })),
      ...Array.from({ length: 100 }, (_, i) => res({ type: 'nlb', id: `nlb-${i}` })),
      ...Array.from({ length: 100 }, (_, i) => res({ type: 'clb', id: `clb-${i}` })),
    ];
    const { samples } = await runProvider(awsProvider, account({ resources: ['alb', 'nlb', 'clb'] }), {
      products: [
        ...product('AWS/ApplicationELB', 'alb', ['RequestCount', 'ActiveConnectionCount']),
        ...product('AWS/NetworkELB', 'nlb', ['ActiveFlowCount']),
        ...product('AWS/ELB', 'clb', ['RequestCount', 'Latency']),
      ],
    });
    // 500 questions over three namespaces: one call, where one per type would take three.
    expect(fx.sim.state.callsOf('aws', 'GetMetricData')).toHaveLength(1);
    expect(samples).toHaveLength(500);
    expect(new Set(samples.map((s) => s.resourceType))).toEqual(new Set(['alb', 'nlb', 'clb']));
  });

  it('leaves a series without datapoints absent and names classic LBs by their tags', async () => {
    fx.sim.state.world.resources = [res({ type: 'clb', id: 'clb-0', tags: { Name: 'web' } })];
    fx.sim.state.values.set(
      { cloud: 'aws', namespace: 'AWS/ELB', metric: 'RequestCount', resourceId: 'clb-0' },
      null,
    );
    const { samples } = await runProvider(awsProvider, account({ resources: ['clb'] }), {
      products: product('AWS/ELB', 'clb', ['RequestCount', 'Latency']),
    });
    expect(samples.map((s) => [s.metric, s.codeName])).toEqual([['Latency', 'web']]);
  });
});

describe('AWS S3 (AC-19)', () => {
  const s3 = (): Product[] => [
    {
      namespace: 'AWS/S3',
      resource: 's3',
      autoDiscover: false,
      groups: [
        { metrics: ['BucketSizeBytes', 'NumberOfObjects'], period: 86_400 },
        { metrics: ['GetRequests'], period: 60 },
      ],
    },
  ];

  it('reads each bucket in its own region, with the public labels and rates', async () => {
    fx.sim.state.world.resources = [
      res({ type: 's3', id: 'b1' }),
      res({ type: 's3', id: 'eu-bucket', region: 'eu-west-1', tags: { CodeName: 'media' } }),
    ];
    fx.sim.state.values.set(
      { cloud: 'aws', namespace: 'AWS/S3', metric: 'BucketSizeBytes', resourceId: 'b1' },
      1024,
    );
    fx.sim.state.values.set(
      { cloud: 'aws', namespace: 'AWS/S3', metric: 'GetRequests', resourceId: 'b1' },
      3600,
    );
    fx.sim.state.values.set(
      { cloud: 'aws', namespace: 'AWS/S3', metric: 'NumberOfObjects', resourceId: 'eu-bucket' },
      42,
    );
    fx.sim.state.inject({ cloud: 'aws', action: 'ListBuckets', kind: 'throttle', times: 1 });
    const { samples, metrics } = await runProvider(awsProvider, account({ resources: ['s3'] }), {
      products: s3(),
    });
    const size = samples.find((s) => s.metric === 'BucketSizeBytes' && s.resourceId === 'b1')!;
    expect(toSeries('aws', 'acc', size, catalog)).toEqual({
      name: 's3_storage_usage_bytes',
      value: 1024,
      labels: {
        account_id: 'acc',
        bucketname: 'b1',
        cloud_provider: 'aws',
        code_name: '',
        metric_name: 'BucketSizeBytes',
        namespace: 'AWS/S3',
        region: 'global',
        resource_id: 'b1',
        resource_type: 's3',
        storagetype: 'StandardStorage',
      },
    });
    expect(samples.find((s) => s.metric === 'GetRequests')).toMatchObject({
      value: 60,
      dimensions: { FilterId: 'EntireBucket' },
    });
    expect(samples.find((s) => s.resourceId === 'eu-bucket' && s.metric === 'NumberOfObjects')).toMatchObject(
      {
        metric: 'NumberOfObjects',
        codeName: 'media',
        value: 42,
        dimensions: { StorageType: 'AllStorageTypes' },
      },
    );
    expect(new Set(fx.sim.state.callsOf('aws', 'GetMetricData').map((c) => c.region))).toEqual(
      new Set(['us-east-1', 'eu-west-1']),
    );
    expect(
      metricValue(metrics, 'multicloud_rate_limit_total', { api: 'ListBuckets', cloud_provider: 'aws' }),
    ).toBe(1);
  });

  it('counts a wrong secret as auth_error without retrying', async () => {
    fx.sim.state.world.resources = [res({ type: 's3', id: 'b1' })];
    const { samples, metrics } = await runProvider(
      awsProvider,
      account({ resources: ['s3'], access_key_secret: 'wrong' }),
      { products: s3() },
    );
    expect(samples).toEqual([]);
    expect(fx.sim.state.callsOf('aws', 'ListBuckets')).toHaveLength(1);
    expect(
      metricValue(metrics, 'multicloud_request_total', { api: 'ListBuckets', status: 'auth_error' }),
    ).toBe(1);
  });

  it('enumerates regions for ["*"] with EC2 DescribeRegions', async () => {
    fx.sim.state.world.resources = [
      res({ type: 'alb', id: 'a-use1' }),
      res({ type: 'alb', id: 'a-euw1', region: 'eu-west-1' }),
    ];
    const { samples } = await runProvider(awsProvider, account({ regions: ['*'] }), {
      products: product('AWS/ApplicationELB', 'alb', ['RequestCount']),
    });
    expect(new Set(samples.map((s) => `${s.region}:${s.resourceId}`))).toEqual(
      new Set(['us-east-1:a-use1', 'eu-west-1:a-euw1']),
    );
  });
});
