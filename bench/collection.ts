import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CallRecord,
  type SimResource,
  type SimResourceType,
  type SimWorld,
  startCloudsim,
} from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { awsHandler } from '@opsfleet/cloudsim/aws/index.ts';
import { huaweiHandler } from '@opsfleet/cloudsim/huawei/index.ts';
import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';

type Cloud = 'aliyun' | 'tencent' | 'huawei' | 'aws';
const CLOUDS: Cloud[] = ['aliyun', 'tencent', 'huawei', 'aws'];
/** The bundled build the container image runs (`npm run build`, done by the bench scripts). */
const CLI = join(import.meta.dirname, '../dist/opsfleet.mjs');

/** 20 real region names per cloud; the first three hold the fleet, the other 17 are empty. */
const REGIONS: Record<Cloud, string[]> = {
  aliyun: [
    'cn-hangzhou',
    'cn-shanghai',
    'cn-beijing',
    'cn-shenzhen',
    'cn-qingdao',
    'cn-zhangjiakou',
    'cn-huhehaote',
    'cn-wulanchabu',
    'cn-chengdu',
    'cn-heyuan',
    'cn-guangzhou',
    'cn-hongkong',
    'ap-southeast-1',
    'ap-southeast-3',
    'ap-southeast-5',
    'ap-northeast-1',
    'ap-northeast-2',
    'eu-central-1',
    'eu-west-1',
    'us-west-1',
  ],
  tencent: [
    'ap-guangzhou',
    'ap-shanghai',
    'ap-beijing',
    'ap-nanjing',
    'ap-chengdu',
    'ap-chongqing',
    'ap-hongkong',
    'ap-singapore',
    'ap-jakarta',
    'ap-seoul',
    'ap-tokyo',
    'ap-mumbai',
    'ap-bangkok',
    'na-siliconvalley',
    'na-ashburn',
    'eu-frankfurt',
    'sa-saopaulo',
    'ap-shenzhen-fsi',
    'ap-shanghai-fsi',
    'ap-beijing-fsi',
  ],
  huawei: [
    'cn-north-4',
    'cn-east-3',
    'ap-southeast-3',
    'cn-north-1',
    'cn-east-2',
    'cn-south-1',
    'cn-southwest-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'cn-north-9',
    'cn-east-4',
    'cn-south-4',
    'ap-southeast-4',
    'af-south-1',
    'la-north-2',
    'la-south-2',
    'sa-brazil-1',
    'na-mexico-1',
    'tr-west-1',
    'me-east-1',
  ],
  aws: [
    'us-east-1',
    'eu-west-1',
    'ap-northeast-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
    'ca-central-1',
    'eu-west-2',
    'eu-west-3',
    'eu-central-1',
    'eu-north-1',
    'eu-south-1',
    'ap-south-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-east-1',
    'sa-east-1',
    'me-south-1',
  ],
};

/**
 * The fleet: 10,000 resources. Tencent gets fewer because its monitor API answers 10
 * instances per call at 20 calls/s (1,000 resources already take ~40 s per cycle).
 */
export const FLEET: Record<Cloud, Partial<Record<SimResourceType, number>>> = {
  aliyun: { clb: 400, alb: 40, nlb: 80, gwlb: 200, bwp: 2100, s3: 180 },
  tencent: { clb: 40, bwp: 800, gwlb: 140, s3: 20 },
  huawei: { clb: 2000, s3: 500 },
  aws: { clb: 500, alb: 1000, nlb: 800, gwlb: 200, s3: 1000 },
};

const RESOURCES: Record<Cloud, string> = {
  aliyun: '[clb, alb, nlb, gwlb, bwp, s3]',
  tencent: '[clb, bwp, gwlb, s3]',
  huawei: '[clb, s3]',
  aws: '[clb, alb, nlb, gwlb, s3]',
};

/** Each cloud's documented limit on its data API (shared/research/api-limits.md), enforced by cloudsim. */
export const DATA_API: Record<Cloud, { action: string; batch: number; perSecond: number }> = {
  aliyun: { action: 'DescribeMetricLast', batch: 50, perSecond: 50 },
  tencent: { action: 'GetMonitorData', batch: 10, perSecond: 20 },
  huawei: { action: 'BatchListMetricData', batch: 500, perSecond: 500 / 60 },
  aws: { action: 'GetMetricData', batch: 500, perSecond: 50 },
};

const SIM_LIMITS = {
  'aliyun:DescribeMetricLast': 50,
  'aliyun:DescribeMetricList': 50,
  'aliyun:DescribeMetricData': 10,
  'tencent:GetMonitorData': 20,
  'tencent:DescribeBaseMetrics': 20,
  'tencent:DescribeLoadBalancers': 20,
  'tencent:DescribeBandwidthPackages': 20,
  'huawei:BatchListMetricData': { calls: 500, windowMs: 60_000 },
  'aws:GetMetricData': 50,
};

const KEYS: Record<Cloud, string> = {
  aliyun: 'LTAIbenchAliyun01',
  tencent: 'AKIDbenchTencent01',
  huawei: 'HWBENCHHUAWEI0000001',
  aws: 'AKIABENCHAWS000001',
};

function benchWorld(scale: number): SimWorld {
  const resources: SimResource[] = [];
  for (const cloud of CLOUDS) {
    for (const [type, total] of Object.entries(FLEET[cloud]) as [SimResourceType, number][]) {
      const n = Math.round(total * scale);
      for (let i = 0; i < n; i++) {
        const region = REGIONS[cloud][i % 3]!;
        const id = `${type}-${cloud.slice(0, 2)}-${String(i).padStart(5, '0')}`;
        resources.push({
          cloud,
          owner: KEYS[cloud],
          region,
          type,
          id: cloud === 'tencent' && type === 's3' ? `${id}-1250000000` : id,
          name: `svc-${i}`,
          tags: { CodeName: `svc-${i % 50}` },
          ...(cloud === 'tencent' && type === 'clb'
            ? { vips: [`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`] }
            : {}),
        });
      }
    }
  }
  return {
    accounts: CLOUDS.map((cloud, i) => ({
      cloud,
      accessKeyId: KEYS[cloud],
      accessKeySecret: `bench-${cloud}-secret`,
      uid: String(2_000_000_000_000 + i),
    })),
    regions: REGIONS,
    resources,
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Status {
  last_start: string | null;
  last_end: string | null;
}

async function waitForCycle(url: string, after: string | null): Promise<Status> {
  for (;;) {
    const s = (await fetch(`${url}/status`)
      .then((r) => r.json())
      .catch(() => ({ last_start: null, last_end: null }))) as Status;
    if (s.last_end && s.last_end !== after && s.last_start && s.last_start <= s.last_end) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Data-call units (dimension sets, instances, entries, queries) a recorded call asked for, and the key of the calls it could have shared a call with. */
function unitsOf(cloud: Cloud, call: CallRecord): { share: string; units: string[] } {
  const p = call.params as Record<string, unknown>;
  switch (cloud) {
    case 'aliyun':
      return {
        share: `${call.region}|${p.Namespace}|${p.MetricName}|${p.Period}`,
        units: (JSON.parse(String(p.Dimensions ?? '[]')) as unknown[]).map((d) => JSON.stringify(d)),
      };
    case 'tencent':
      return {
        share: `${call.region}|${p.Namespace}|${p.MetricName}|${p.Period}`,
        units: ((p.Instances as unknown[]) ?? []).map((d) => JSON.stringify(d)),
      };
    case 'huawei':
      return {
        share: `${call.region}|${p.period}`,
        units: ((p.metrics as unknown[]) ?? []).map((d) => JSON.stringify(d)),
      };
    case 'aws': {
      const queries = (p.MetricDataQueries as { MetricStat?: unknown }[]) ?? [];
      // The JSON 1.0 protocol sends times as epoch seconds.
      const span = Number(p.EndTime) - Number(p.StartTime);
      // A NextToken page repeats its call's questions; it asks nothing new.
      return {
        share: `${call.region}|${span}`,
        units: p.NextToken ? [] : queries.map((q) => JSON.stringify(q.MetricStat)),
      };
    }
  }
}

export interface CloudCycle {
  cloud: Cloud;
  calls: number;
  dataCalls: number;
  /** What the cloud bills: metric-data calls (Aliyun, Tencent, Huawei), metrics requested (AWS GetMetricData). */
  billed: number;
  minimumDataCalls: number;
  /** Seconds: the cloud's rate limit, 50 ms latency and the configured concurrency allow no less. */
  lowerBound: number;
  byApi: Record<string, number>;
}

export interface Cycle {
  wallSeconds: number;
  clouds: CloudCycle[];
}

/** The calls each cloud bills by count (shared/research/api-limits.md); AWS bills metrics requested instead. */
const BILLED_CALLS: Record<Cloud, string[]> = {
  aliyun: ['DescribeMetricLast', 'DescribeMetricList', 'DescribeMetricData', 'DescribeMetricTop'],
  tencent: ['GetMonitorData'],
  huawei: ['BatchListMetricData'],
  aws: ['GetMetricData'],
};

const MAX_IN_FLIGHT = 4 * 2 * 5; // region × product × metric concurrency (defaults)
const LATENCY = 0.05;

function analyse(calls: CallRecord[], wallSeconds: number, hops: number): Cycle {
  return {
    wallSeconds,
    clouds: CLOUDS.map((cloud) => {
      const mine = calls.filter((c) => c.cloud === cloud);
      const byApi: Record<string, number> = {};
      for (const c of mine) byApi[c.action] = (byApi[c.action] ?? 0) + 1;
      const data = mine.filter((c) => c.action === DATA_API[cloud].action);
      const shared = new Map<string, Set<string>>();
      for (const c of data) {
        const { share, units } = unitsOf(cloud, c);
        const set = shared.get(share) ?? new Set();
        for (const u of units) set.add(u);
        shared.set(share, set);
      }
      const minimumDataCalls = [...shared.values()].reduce(
        (n, set) => n + Math.ceil(set.size / DATA_API[cloud].batch),
        0,
      );
      const lowerBound = Math.max(
        minimumDataCalls / DATA_API[cloud].perSecond,
        (minimumDataCalls * LATENCY) / MAX_IN_FLIGHT,
        hops * LATENCY,
      );
      const billed =
        cloud === 'aws'
          ? data.reduce((n, c) => n + unitsOf(cloud, c).units.length, 0)
          : mine.filter((c) => BILLED_CALLS[cloud].includes(c.action)).length;
      return {
        cloud,
        calls: mine.length,
        dataCalls: data.length,
        billed,
        minimumDataCalls,
        lowerBound,
        byApi,
      };
    }),
  };
}

export interface CollectionFigures {
  resources: number;
  series: number;
  /** Process start to the end of the first collection: discovery before it, then the cycle. */
  start: {
    toFirstCycleEnd: number;
    /** Process start to the first collection's start: loading, product discovery. */
    beforeCycle: number;
    /** Calls made before the first collection started, per cloud and API. */
    beforeCycleCalls: Record<string, Record<string, number>>;
  };
  cold: Cycle;
  warm: Cycle;
  scrape: { ms: number; bytes: number; unchangedMs: number };
  peakRssMiB: number;
}

function rssMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * One exporter process (`opsfleet exporter`) against cloudsim serving the fleet with 50 ms per
 * call and the clouds' rate limits: the first (cold) cycle, then a second (warm) one triggered
 * by `POST /collect`, then /metrics scrapes; calls are read from cloudsim's records.
 */
export async function benchCollection(
  scale: number,
  nodeOptions: string,
  log: (s: string) => void,
): Promise<CollectionFigures> {
  const world = benchWorld(scale);
  const sim = await startCloudsim({
    world,
    options: { latencyMs: 50, rateLimits: SIM_LIMITS },
    clouds: {
      aliyun: { handler: aliyunHandler },
      tencent: { handler: tencentHandler },
      huawei: { handler: huaweiHandler },
      aws: { handler: awsHandler },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-exporter-'));
  const lines = ['accounts:'];
  for (const cloud of CLOUDS) {
    const regions = cloud === 'huawei' ? JSON.stringify(REGIONS.huawei) : '["*"]';
    lines.push(
      `  ${cloud}:`,
      `    - {account_id: bench-${cloud}, access_key_id: ${KEYS[cloud]}, access_key_secret: bench-${cloud}-secret, regions: ${regions}, resources: ${RESOURCES[cloud]}, endpoint: "${sim.endpoints[cloud]}"}`,
    );
  }
  writeFileSync(join(dir, 'accounts.yaml'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'server.yaml'),
    'server:\n  scrape_interval: 1h\n  discovery_ttl: 1h\n  page_size: 1000\n  log:\n    level: warn\n',
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const spawnedAt = Date.now();
  try {
    child = spawn(process.execPath, [...nodeOptions.split(' ').filter(Boolean), CLI, 'exporter'], {
      env: {
        ...process.env,
        SERVER_PATH: join(dir, 'server.yaml'),
        ACCOUNTS_PATH: join(dir, 'accounts.yaml'),
        EXPORTER_PORT: String(port),
        FIRST_RUN_STRATEGY: 'immediate',
        DATA_DIR: dir,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    log(`  fleet: ${world.resources.length} resources; cold cycle…`);
    const cold = await waitForCycle(url, null);
    const coldStart = Date.parse(cold.last_start!);
    const coldCalls = sim.state.calls.filter((c) => c.at >= coldStart);
    const coldWall = (Date.parse(cold.last_end!) - coldStart) / 1000;
    const beforeCycleCalls: Record<string, Record<string, number>> = {};
    for (const c of sim.state.calls.filter((x) => x.at < coldStart)) {
      beforeCycleCalls[c.cloud] ??= {};
      const apis = beforeCycleCalls[c.cloud]!;
      apis[c.action] = (apis[c.action] ?? 0) + 1;
    }
    const start = {
      toFirstCycleEnd: (Date.parse(cold.last_end!) - spawnedAt) / 1000,
      beforeCycle: (coldStart - spawnedAt) / 1000,
      beforeCycleCalls,
    };
    log(` ${coldWall.toFixed(1)} s; warm cycle…`);
    sim.state.resetCalls();
    await fetch(`${url}/collect`, { method: 'POST' });
    const warm = await waitForCycle(url, cold.last_end);
    const warmCalls = sim.state.calls.filter((c) => c.at >= Date.parse(warm.last_start!));
    const warmWall = (Date.parse(warm.last_end!) - Date.parse(warm.last_start!)) / 1000;
    log(` ${warmWall.toFixed(1)} s; scrapes…`);
    // curl measures the exporter's answer (Prometheus's Go client reads as fast), not a JS client's parsing.
    const scrapes = Array.from({ length: 5 }, () => {
      const out = spawnSync(
        'curl',
        ['-s', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', `${url}/metrics`],
        {
          encoding: 'utf8',
        },
      ).stdout.split(' ');
      return { ms: Number(out[0]) * 1000, bytes: Number(out[1]) };
    });
    const text = await (await fetch(`${url}/metrics`)).text();
    const series = text
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('multicloud_')).length;
    const figures: CollectionFigures = {
      resources: world.resources.length,
      series,
      start,
      cold: analyse(coldCalls, coldWall, 2),
      warm: analyse(warmCalls, warmWall, 1),
      // The first scrape follows a collection that replaced every group; later ones find nothing changed.
      scrape: {
        ms: scrapes[0]!.ms,
        bytes: scrapes[0]!.bytes,
        unchangedMs: Math.min(...scrapes.slice(1).map((x) => x.ms)),
      },
      peakRssMiB: rssMiB(child.pid!, 'VmHWM'),
    };
    log(` ${series} series, peak RSS ${figures.peakRssMiB.toFixed(0)} MiB\n`);
    return figures;
  } finally {
    child?.kill('SIGTERM');
    await sim.close();
  }
}
