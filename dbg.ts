import { startCloudsim } from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { createLogger } from '@opsfleet/core';
import { Registry } from 'prom-client';
import { createCloudCalls } from './packages/exporter/src/collector/cloud-calls.ts';
import { aliyunProvider } from './packages/exporter/src/providers/aliyun/index.ts';
import { createSelfMetrics } from './packages/exporter/src/self-metrics.ts';
import { settings } from './packages/exporter/test/harness.ts';

const sim = await startCloudsim({
  world: {
    accounts: [{ cloud: 'aliyun', accessKeyId: 'AK1', accessKeySecret: 'SK1', uid: '42' }],
    regions: { aliyun: ['cn-hangzhou'] },
    resources: [
      {
        cloud: 'aliyun',
        owner: 'AK1',
        region: 'cn-hangzhou',
        type: 'bwp',
        id: 'cbwp-1',
        tags: { CodeName: 'x' },
      },
    ],
  },
  clouds: { aliyun: { handler: aliyunHandler } },
});
const account = {
  provider: 'aliyun' as const,
  account_id: 'a',
  access_key_id: 'AK1',
  access_key_secret: 'SK1',
  regions: ['cn-hangzhou'],
  resources: ['cbwp'],
  endpoint: sim.endpoints.aliyun,
};
const calls = createCloudCalls({
  cloud: 'aliyun',
  accountId: 'a',
  classify: aliyunProvider.classify,
  selfMetrics: createSelfMetrics(new Registry()),
});
const log = createLogger({ level: 'debug', format: 'console' });
const products = await aliyunProvider.discover({
  account,
  resources: ['cbwp'],
  settings: settings(),
  calls,
  log,
});
console.log(JSON.stringify(products).slice(0, 300));
await aliyunProvider.collect({
  account,
  products,
  settings: settings(),
  calls,
  emit: (s) => console.log(s),
  owns: () => true,
  signal: new AbortController().signal,
  log,
});
console.log(sim.state.countByAction());
await sim.close();
