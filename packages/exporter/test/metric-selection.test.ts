import { type Cloudsim, startCloudsim } from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { ConfigError, silentLogger } from '@opsfleet/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectMetrics } from '../src/collector/metric-selection.ts';
import { buildConfig, parseAccountsFile, parseServerFile } from '../src/config/load.ts';
import { createExporter, type Exporter } from '../src/exporter.ts';
import { defaultMappingPath, loadMappings } from '../src/mappings/catalog.ts';
import { PROVIDERS, resourceVocabulary } from '../src/providers/index.ts';

const { catalog } = loadMappings(defaultMappingPath());

describe('server.metrics is checked against the catalog', () => {
  const problems = (yaml: string) => {
    try {
      parseServerFile(yaml, {});
      return '';
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    }
  };
  it.each([
    ['server:\n  metrics: {include: {clb: [active_connection]}, exclude: {s3: [requests_total]}}\n', ''],
    [
      'server:\n  metrics: {include: {elb: [active_connection]}}\n',
      /server\.metrics\.include\.elb: unknown product "elb": choose one of alb, bwp, clb, gwlb, nlb, s3/,
    ],
    [
      'server:\n  metrics: {exclude: {clb: [active_conn]}}\n',
      /server\.metrics\.exclude\.clb\[0\]: unknown clb metric "active_conn": choose among .*active_connection/,
    ],
    [
      'server:\n  metrics: {include: {clb: []}}\n',
      /server\.metrics\.include\.clb: an empty include list would read nothing/,
    ],
    [
      'server:\n  metrics: {include: {clb: [active_connection]}, exclude: {clb: [drop_connection]}}\n',
      /server\.metrics\.exclude\.clb: clb has both an include and an exclude list/,
    ],
    ['server:\n  metrics: {only: {clb: [active_connection]}}\n', /server\.metrics\.only: unknown key/],
  ])('%s', (yaml, want) => {
    const got = problems(yaml);
    if (want === '') expect(got).toBe('');
    else expect(got).toMatch(want);
  });
});

describe('selectMetrics', () => {
  const clb = {
    namespace: 'acs_slb_dashboard',
    resource: 'clb',
    autoDiscover: true,
    groups: [{ metrics: ['ActiveConnection', 'DropConnection', 'NotInTheCatalog'] }],
  };
  const bwp = {
    namespace: 'acs_bandwidth_package',
    resource: 'bwp',
    autoDiscover: true,
    groups: [{ metrics: ['net_rx.rate'] }],
  };
  const metricsOf = (include: Record<string, string[]>, exclude: Record<string, string[]>) =>
    Object.fromEntries(
      selectMetrics('aliyun', [clb, bwp], { include, exclude }, catalog).map((p) => [
        p.resource,
        p.groups.flatMap((g) => g.metrics),
      ]),
    );
  it.each([
    ['no selection: everything', {}, {}, { clb: clb.groups[0]!.metrics, bwp: ['net_rx.rate'] }],
    [
      'include: only the named canonical metrics of that product',
      { clb: ['active_connection'] },
      {},
      { clb: ['ActiveConnection'], bwp: ['net_rx.rate'] },
    ],
    [
      'exclude: all but the named ones, unmapped metrics kept',
      {},
      { clb: ['drop_connection'] },
      { clb: ['ActiveConnection', 'NotInTheCatalog'], bwp: ['net_rx.rate'] },
    ],
    [
      'a product with no metric left is dropped',
      { bwp: ['utilization_rx_pct'] },
      {},
      { clb: clb.groups[0]!.metrics },
    ],
  ])('%s', (_, include, exclude, want) => {
    expect(metricsOf(include, exclude)).toEqual(want);
  });
});

describe('metric selection cuts cloud calls (cloudsim)', () => {
  let sim: Cloudsim;
  const exporters: Exporter[] = [];
  beforeAll(async () => {
    sim = await startCloudsim({
      world: {
        accounts: [
          { cloud: 'aliyun', accessKeyId: 'LTAIsel0001', accessKeySecret: 'sel-secret', uid: '1001' },
        ],
        regions: { aliyun: ['cn-hangzhou'] },
        resources: [
          {
            cloud: 'aliyun',
            owner: 'LTAIsel0001',
            region: 'cn-hangzhou',
            type: 'clb',
            id: 'lb-1',
            listeners: [{ port: 80, protocol: 'tcp' }],
          },
          { cloud: 'aliyun', owner: 'LTAIsel0001', region: 'cn-hangzhou', type: 'bwp', id: 'cbwp-1' },
        ],
      },
      clouds: { aliyun: { handler: aliyunHandler } },
    });
  });
  afterAll(async () => {
    for (const e of exporters) await e.close();
    await sim?.close();
  });
  beforeEach(() => sim.state.resetCalls());

  /** A fresh exporter (cold caches) with this metrics: section; the calls of its first collection. */
  async function collectWith(metrics: string) {
    const server = parseServerFile(`server:\n  page_size: 1000\n${metrics}`, {});
    const accounts = parseAccountsFile(
      `accounts:\n  aliyun:\n    - account_id: sel-1\n      access_key_id: LTAIsel0001\n      access_key_secret: sel-secret\n      regions: [cn-hangzhou]\n      resources: [clb, bwp]\n      endpoint: ${sim.endpoints.aliyun}\n`,
      {},
    );
    const exporter = await createExporter({
      config: buildConfig(server, accounts, resourceVocabulary(), {}),
      catalog,
      providers: PROVIDERS,
      log: silentLogger(),
      env: {},
      schedule: false,
      backoff: { baseMs: 1, maxMs: 5 },
    });
    exporters.push(exporter);
    sim.state.resetCalls();
    await exporter.collectOnce();
    const counts = sim.state.countByAction();
    const text = (await exporter.app.inject({ url: '/metrics' })).body;
    const names = new Set(
      text
        .split('\n')
        .filter((l) => /^(clb|bwp)_/.test(l))
        .map((l) => l.slice(0, l.indexOf('{'))),
    );
    return { counts, names, status: exporter.collector.status() };
  }

  it('reads only the included metrics, with fewer metric-data calls than reading all', async () => {
    const all = await collectWith('');
    const some = await collectWith(
      '  metrics:\n    include:\n      clb: [active_connection, drop_connection]\n',
    );
    const dataCalls = (c: Record<string, number>) => c['aliyun:DescribeMetricLast'] ?? 0;
    expect(all.status.last_results['aliyun|sel-1']?.status).toBe('completed');
    expect(some.status.last_results['aliyun|sel-1']?.status).toBe('completed');
    expect(dataCalls(all.counts)).toBeGreaterThan(dataCalls(some.counts) + 10);
    const clbNames = [...some.names].filter((n) => n.startsWith('clb_'));
    expect(clbNames.sort()).toEqual(['clb_active_connection', 'clb_drop_connection']);
    expect([...all.names].filter((n) => n.startsWith('clb_')).length).toBeGreaterThan(2);
    // Products without a list are read whole.
    expect([...some.names].filter((n) => n.startsWith('bwp_'))).toEqual(
      [...all.names].filter((n) => n.startsWith('bwp_')),
    );
  });

  it('skips the excluded metrics, one data call fewer per metric and resource', async () => {
    const all = await collectWith('');
    const fewer = await collectWith(
      '  metrics:\n    exclude:\n      bwp: [traffic_rx_bps, traffic_tx_bps]\n',
    );
    const dataCalls = (c: Record<string, number>) => c['aliyun:DescribeMetricLast'] ?? 0;
    expect(dataCalls(all.counts) - dataCalls(fewer.counts)).toBe(2);
    expect(all.names.has('bwp_traffic_rx_bps')).toBe(true);
    expect(fewer.names.has('bwp_traffic_rx_bps')).toBe(false);
    expect(fewer.names.has('bwp_traffic_tx_bps')).toBe(false);
  });
});
