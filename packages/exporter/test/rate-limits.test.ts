import { type Cloudsim, type SimResource, startCloudsim } from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';
import { silentLogger } from '@opsfleet/core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudCalls } from '../src/collector/cloud-calls.ts';
import { ALL_REGIONS } from '../src/discovery/region-manager.ts';
import { aliyunProvider } from '../src/providers/aliyun/index.ts';
import type { Account, Provider, Sample } from '../src/providers/provider.ts';
import { tencentProvider } from '../src/providers/tencent/index.ts';
import { createSelfMetrics } from '../src/self-metrics.ts';
import { metricValue, settings } from './harness.ts';

/** cloudsim enforcing the documented per-account limits (research/api-limits.md). */
const LIMITS = { 'tencent:GetMonitorData': 20, 'aliyun:DescribeMetricLast': 50 };
let sim: Cloudsim;
let n = 0;

beforeAll(async () => {
  const vips: SimResource[] = Array.from({ length: 200 }, (_, i) => ({
    cloud: 'tencent',
    owner: 'AKIDrate',
    region: 'ap-guangzhou',
    type: 'clb',
    id: `lb-${i}`,
    vips: [`10.1.${Math.floor(i / 250)}.${i % 250}`],
  }));
  const lbs: SimResource[] = Array.from({ length: 110 }, (_, i) => ({
    cloud: 'aliyun',
    owner: 'LTAIrate',
    region: 'cn-hangzhou',
    type: 'clb',
    id: `lb-${i}`,
  }));
  sim = await startCloudsim({
    world: {
      accounts: [
        { cloud: 'tencent', accessKeyId: 'AKIDrate', accessKeySecret: 's', uid: '1' },
        { cloud: 'aliyun', accessKeyId: 'LTAIrate', accessKeySecret: 's', uid: '2' },
      ],
      regions: {},
      resources: [...vips, ...lbs],
    },
    options: { rateLimits: LIMITS },
    clouds: { tencent: { handler: tencentHandler }, aliyun: { handler: aliyunHandler } },
  });
});
afterAll(async () => sim?.close());

async function collect(
  provider: Provider,
  region: string,
  namespace: string,
  resource: string,
  metrics: string[],
) {
  n += 1;
  const account: Account = {
    provider: provider.cloud,
    account_id: `rate-${n}`,
    access_key_id: provider.cloud === 'tencent' ? 'AKIDrate' : 'LTAIrate',
    access_key_secret: 's',
    regions: [region],
    resources: [resource],
    endpoint: sim.endpoints[provider.cloud],
  };
  const registry = new Registry();
  const calls = createCloudCalls({
    cloud: provider.cloud,
    accountId: account.account_id,
    classify: provider.classify,
    selfMetrics: createSelfMetrics(registry),
    backoff: { baseMs: 1, maxMs: 2 },
  });
  const samples: Sample[] = [];
  await provider.collect({
    account,
    products: [{ namespace, resource, autoDiscover: true, groups: [{ metrics, period: 60 }] }],
    settings: settings({ metricConcurrency: 10 }),
    calls,
    regionPlan: ALL_REGIONS,
    emit: (s) => samples.push(s),
    owns: () => true,
    signal: new AbortController().signal,
    log: silentLogger(),
  });
  return { samples, metrics: await registry.metrics() };
}

/** The most calls of one action cloudsim received within any one-second window. */
function busiestSecond(cloud: 'aliyun' | 'tencent', action: string): number {
  const times = sim.state.callsOf(cloud, action).map((c) => c.at);
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('client-side pacing under the clouds’ documented limits', () => {
  it('Tencent: 40 GetMonitorData calls never exceed 20 per second and none is throttled', async () => {
    sim.state.resetCalls();
    const paced = await collect(tencentProvider, 'ap-guangzhou', 'QCE/LB', 'clb', [
      'VIntraffic',
      'VOuttraffic',
    ]);
    expect(metricValue(paced.metrics, 'multicloud_rate_limit_total', { api: 'GetMonitorData' })).toBe(0);
    expect(paced.samples).toHaveLength(400);
    expect(busiestSecond('tencent', 'GetMonitorData')).toBeLessThanOrEqual(20);
  });

  it('Aliyun: 60 DescribeMetricLast calls never exceed 50 per second and none is throttled', async () => {
    const metrics = [
      'InstanceDropPacketRX',
      'InstanceDropPacketTX',
      'InstancePacketRX',
      'InstancePacketTX',
      'InstanceTrafficRX',
      'InstanceTrafficTX',
      'InstanceDropTrafficRX',
      'InstanceDropTrafficTX',
      'InstanceActiveConnection',
      'InstanceDropConnection',
      'InstanceInactiveConnection',
      'InstanceMaxConnection',
      'InstanceNewConnection',
      'InstanceQps',
      'InstanceRt',
      'InstanceTrafficRXUtilization',
      'InstanceTrafficTXUtilization',
      'InstanceMaxConnectionUtilization',
      'InstanceNewConnectionUtilization',
      'InstanceQpsUtilization',
    ];
    sim.state.resetCalls();
    const paced = await collect(aliyunProvider, 'cn-hangzhou', 'acs_slb_dashboard', 'clb', metrics);
    expect(metricValue(paced.metrics, 'multicloud_rate_limit_total', { api: 'DescribeMetricLast' })).toBe(0);
    expect(paced.samples).toHaveLength(110 * metrics.length);
    expect(busiestSecond('aliyun', 'DescribeMetricLast')).toBeLessThanOrEqual(50);
  });
});
