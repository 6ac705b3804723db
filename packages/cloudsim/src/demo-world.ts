import type { SimAccount, SimCloud, SimResource, SimWorld } from './world.ts';

/**
 * The fleet `npm start` shows: two accounts on each simulated cloud, resources of every type
 * the exporter knows in a few regions, tags carrying `CodeName`, listeners and VIPs.
 */
export const DEMO_REGIONS: Record<'aliyun' | 'tencent' | 'huawei' | 'aws', string[]> = {
  aliyun: ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen', 'ap-southeast-1', 'eu-central-1'],
  tencent: ['ap-guangzhou', 'ap-shanghai', 'ap-beijing', 'ap-singapore'],
  huawei: ['cn-north-4', 'cn-east-3', 'ap-southeast-3'],
  aws: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1'],
};

export interface DemoAccount {
  cloud: SimCloud;
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
  regions: string[];
}

export const DEMO_ACCOUNTS: DemoAccount[] = [
  {
    cloud: 'aliyun',
    accountId: 'aliyun-prod',
    accessKeyId: 'LTAIdemoProd0001',
    accessKeySecret: 'demo-aliyun-prod-secret',
    regions: ['*'],
  },
  {
    cloud: 'aliyun',
    accountId: 'aliyun-staging',
    accessKeyId: 'LTAIdemoStg00002',
    accessKeySecret: 'demo-aliyun-stg-secret',
    regions: ['cn-shanghai'],
  },
  {
    cloud: 'tencent',
    accountId: 'tencent-prod',
    accessKeyId: 'AKIDdemoProd00001',
    accessKeySecret: 'demo-tencent-prod-secret',
    regions: ['*'],
  },
  {
    cloud: 'tencent',
    accountId: 'tencent-games',
    accessKeyId: 'AKIDdemoGames0002',
    accessKeySecret: 'demo-tencent-games-secret',
    regions: ['ap-singapore'],
  },
  {
    cloud: 'huawei',
    accountId: 'huawei-prod',
    accessKeyId: 'HWDEMOPROD0000000001',
    accessKeySecret: 'demo-huawei-prod-secret',
    regions: ['cn-north-4', 'ap-southeast-3'],
  },
  {
    cloud: 'aws',
    accountId: 'aws-prod',
    accessKeyId: 'AKIADEMOPROD00001',
    accessKeySecret: 'demo-aws-prod-secret',
    regions: ['*'],
  },
];

function awsResources(owner: string, region: string): SimResource[] {
  const base = { cloud: 'aws' as const, owner, region };
  return [
    { ...base, type: 'alb', id: `web-${region}`, tags: { 'kubernetes.io/service-name': 'shop/web' } },
    { ...base, type: 'nlb', id: `tcp-${region}`, tags: { Name: 'tcp-edge' } },
    { ...base, type: 'clb', id: `legacy-${region}` },
    { ...base, type: 's3', id: `opsfleet-demo-${region}`, tags: { CodeName: 'backups' } },
  ];
}

function huaweiResources(owner: string, region: string, n: number): SimResource[] {
  const base = { cloud: 'huawei' as const, owner, region };
  return [
    ...Array.from({ length: n }, (_, i) => ({
      ...base,
      type: 'clb' as const,
      id: `${region.replace(/-/g, '')}-elb-${i}`,
      name: `portal-${i}`,
    })),
    { ...base, type: 's3', id: `archive-${region}` },
  ];
}

function aliyunResources(owner: string, region: string, n: number): SimResource[] {
  const base = { cloud: 'aliyun' as const, owner, region };
  const tag = (name: string) => ({ CodeName: name });
  return [
    ...Array.from({ length: n }, (_, i) => ({
      ...base,
      type: 'clb' as const,
      id: `lb-${region.replace(/-/g, '')}${owner.slice(-2)}${i}`,
      name: `web-${i}`,
      tags: tag(`web-${i}`),
      listeners: [
        { port: 80, protocol: 'http' },
        { port: 443, protocol: 'https' },
      ],
    })),
    {
      ...base,
      type: 'alb',
      id: `alb-${region}-${owner.slice(-2)}`,
      name: 'api-gateway',
      tags: tag('api-gateway'),
    },
    {
      ...base,
      type: 'nlb',
      id: `nlb-${region}-${owner.slice(-2)}`,
      name: 'tcp-ingress',
      tags: tag('tcp-ingress'),
    },
    { ...base, type: 'gwlb', id: `gwlb-${region}-${owner.slice(-2)}` },
    { ...base, type: 'bwp', id: `cbwp-${region}-${owner.slice(-2)}`, tags: tag('shared-egress') },
    {
      ...base,
      type: 's3',
      id: `assets-${region}-${owner.slice(-2).toLowerCase()}`,
      tags: tag('static-assets'),
    },
  ];
}

function tencentResources(owner: string, region: string, n: number): SimResource[] {
  const base = { cloud: 'tencent' as const, owner, region };
  const ip = (i: number) =>
    `10.${DEMO_REGIONS.tencent.indexOf(region) + 1}.${owner.endsWith('1') ? 1 : 2}.${10 + i}`;
  return [
    ...Array.from({ length: n }, (_, i) => ({
      ...base,
      type: 'clb' as const,
      id: `lb-${region.slice(3, 6)}${i}${owner.slice(-2).toLowerCase()}`,
      name: `game-${i}`,
      vips: [ip(i)],
    })),
    { ...base, type: 'bwp', id: `bwp-${region.slice(3)}${owner.slice(-2).toLowerCase()}` },
    { ...base, type: 'gwlb', id: `gwlb-${region.slice(3)}${owner.slice(-2).toLowerCase()}` },
    { ...base, type: 's3', id: `media-${region.slice(3)}-1250000000`, tags: { CodeName: 'media' } },
  ];
}

export function demoWorld(): SimWorld {
  const accounts: SimAccount[] = DEMO_ACCOUNTS.map((a, i) => ({
    cloud: a.cloud,
    accessKeyId: a.accessKeyId,
    accessKeySecret: a.accessKeySecret,
    uid: String(1_000_000_000_000 + i),
  }));
  const resources: SimResource[] = [
    ...aliyunResources('LTAIdemoProd0001', 'cn-hangzhou', 3),
    ...aliyunResources('LTAIdemoProd0001', 'cn-shanghai', 2),
    ...aliyunResources('LTAIdemoStg00002', 'cn-shanghai', 1),
    ...tencentResources('AKIDdemoProd00001', 'ap-guangzhou', 3),
    ...tencentResources('AKIDdemoProd00001', 'ap-shanghai', 1),
    ...tencentResources('AKIDdemoGames0002', 'ap-singapore', 2),
    ...huaweiResources('HWDEMOPROD0000000001', 'cn-north-4', 2),
    ...huaweiResources('HWDEMOPROD0000000001', 'ap-southeast-3', 1),
    ...awsResources('AKIADEMOPROD00001', 'us-east-1'),
    ...awsResources('AKIADEMOPROD00001', 'eu-west-1'),
  ];
  return { accounts, regions: { ...DEMO_REGIONS }, resources };
}
