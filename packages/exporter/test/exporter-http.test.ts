import { type Cloudsim, type SimWorld, startCloudsim } from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';
import { silentLogger } from '@opsfleet/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildConfig, parseAccountsFile, parseServerFile } from '../src/config/load.ts';
import { createExporter, type Exporter } from '../src/exporter.ts';
import { defaultMappingPath, loadMappings } from '../src/mappings/catalog.ts';
import { PROVIDERS, resourceVocabulary } from '../src/providers/index.ts';

const world = (): SimWorld => ({
  accounts: [
    { cloud: 'aliyun', accessKeyId: 'LTAItest0001', accessKeySecret: 'ali-secret', uid: '1001' },
    { cloud: 'tencent', accessKeyId: 'AKIDtest0001', accessKeySecret: 'tc-secret', uid: '2001' },
  ],
  regions: { aliyun: ['cn-hangzhou', 'cn-shanghai'], tencent: ['ap-guangzhou'] },
  resources: [
    {
      cloud: 'aliyun',
      owner: 'LTAItest0001',
      region: 'cn-hangzhou',
      type: 'bwp',
      id: 'cbwp-1',
      tags: { CodeName: 'web' },
    },
    {
      cloud: 'aliyun',
      owner: 'LTAItest0001',
      region: 'cn-hangzhou',
      type: 'clb',
      id: 'lb-1',
      listeners: [
        { port: 80, protocol: 'tcp' },
        { port: 443, protocol: 'https' },
      ],
    },
    {
      cloud: 'aliyun',
      owner: 'LTAItest0001',
      region: 'cn-hangzhou',
      type: 'clb',
      id: 'lb-2',
      listeners: [{ port: 80, protocol: 'tcp' }],
    },
    {
      cloud: 'tencent',
      owner: 'AKIDtest0001',
      region: 'ap-guangzhou',
      type: 'clb',
      id: 'lb-t1',
      vips: ['1.2.3.4'],
    },
    { cloud: 'tencent', owner: 'AKIDtest0001', region: 'ap-guangzhou', type: 'bwp', id: 'bwp-t1' },
  ],
});

function accountsYaml(sim: Cloudsim, aliyunSecret = 'ali-secret'): string {
  return `accounts:
  aliyun:
    - account_id: acc-1
      access_key_id: LTAItest0001
      access_key_secret: ${aliyunSecret}
      regions: [cn-hangzhou]
      resources: [bwp, clb]
      endpoint: ${sim.endpoints.aliyun}
  tencent:
    - account_id: tc-1
      access_key_id: AKIDtest0001
      access_key_secret: tc-secret
      regions: [ap-guangzhou]
      resources: [clb, bwp]
      endpoint: ${sim.endpoints.tencent}
`;
}

async function makeExporter(
  sim: Cloudsim,
  env: Record<string, string> = {},
  aliyunSecret?: string,
  now?: () => Date,
) {
  const server = parseServerFile('server:\n  page_size: 1000\n  discovery_ttl: 1m\n', env);
  const accounts = parseAccountsFile(accountsYaml(sim, aliyunSecret), env);
  const config = buildConfig(server, accounts, resourceVocabulary(), env);
  const { catalog } = loadMappings(defaultMappingPath());
  return createExporter({
    config,
    catalog,
    providers: PROVIDERS,
    log: silentLogger(),
    env,
    schedule: false,
    backoff: { baseMs: 1, maxMs: 5 },
    now,
  });
}

const metricsText = async (e: Exporter) => (await e.app.inject({ url: '/metrics' })).body;
const lineOf = (text: string, name: string, ...parts: string[]) =>
  text.split('\n').find((l) => l.startsWith(`${name}{`) && parts.every((p) => l.includes(p)));

describe('exporter HTTP surface against cloudsim', () => {
  let sim: Cloudsim;
  let exporter: Exporter;

  beforeAll(async () => {
    sim = await startCloudsim({
      world: world(),
      clouds: { aliyun: { handler: aliyunHandler }, tencent: { handler: tencentHandler } },
    });
    sim.state.values.set(
      { cloud: 'aliyun', namespace: 'acs_bandwidth_package', metric: 'net_rx.rate', resourceId: 'cbwp-1' },
      1_500_000,
    );
    sim.state.values.set(
      { cloud: 'tencent', namespace: 'QCE/LB', metric: 'VIntraffic', resourceId: '1.2.3.4' },
      5,
    );
    exporter = await makeExporter(sim);
  });
  afterAll(async () => {
    await exporter?.close();
    await sim?.close();
  });

  it('is not ready before the first collection and ready after it', async () => {
    expect((await exporter.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    await exporter.collectOnce();
    expect((await exporter.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('exports unified series with the public label set and scales applied', async () => {
    const text = await metricsText(exporter);
    expect(text).toContain(
      'bwp_traffic_rx_bps{account_id="acc-1",cloud_provider="aliyun",code_name="web",metric_name="net_rx.rate",namespace="acs_bandwidth_package",region="cn-hangzhou",resource_id="cbwp-1",resource_type="bwp"} 1500000',
    );
    const tencent = lineOf(text, 'clb_traffic_rx_bps', 'cloud_provider="tencent"', 'resource_id="1.2.3.4"');
    expect(tencent).toBeDefined();
    expect(tencent).toContain('metric_name="VIntraffic"');
    expect(Number(tencent!.split(' ').pop())).toBe(5_000_000);
    expect(text).toMatch(/^# HELP bwp_traffic_rx_bps \S/m);
    expect(text).toMatch(/^# TYPE bwp_traffic_rx_bps gauge$/m);
  });

  it('gives every series of one metric name the same label schema whichever cloud reported it', async () => {
    const text = await metricsText(exporter);
    const byName = new Map<string, Set<string>>();
    for (const line of text.split('\n')) {
      const m = /^([a-z_][a-z0-9_]*)\{(.*)\} /.exec(line);
      if (!m || m[1]!.startsWith('multicloud_')) continue;
      const keys = [...m[2]!.matchAll(/([a-z_0-9]+)="/g)].map((k) => k[1]).join(',');
      const set = byName.get(m[1]!) ?? new Set();
      set.add(keys);
      byName.set(m[1]!, set);
    }
    expect(byName.size).toBeGreaterThan(5);
    for (const [name, schemas] of byName) expect([name, schemas.size]).toEqual([name, 1]);
    const aliyunListener = lineOf(text, 'clb_active_connection', 'cloud_provider="aliyun"', 'port="443"');
    expect(aliyunListener).toContain('protocol="https"');
  });

  it('populates the self-metrics with the public names', async () => {
    // The caches hold entries for discovery_ttl (1 min here, far longer than a collection on a
    // busy machine): one collection right before makes the test independent of earlier ones.
    await exporter.collectOnce();
    const text = await metricsText(exporter);
    expect(
      lineOf(
        text,
        'multicloud_request_total',
        'api="DescribeMetricLast"',
        'cloud_provider="aliyun"',
        'status="success"',
      ),
    ).toBeDefined();
    expect(
      lineOf(
        text,
        'multicloud_request_total',
        'api="GetMonitorData"',
        'cloud_provider="tencent"',
        'status="success"',
      ),
    ).toBeDefined();
    expect(text).toMatch(
      /^multicloud_request_duration_seconds_count\{[^}]*cloud_provider="aliyun"[^}]*\} [1-9]/m,
    );
    expect(text).toMatch(/^multicloud_collection_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^multicloud_cache_entries_total\{cache_type="[^"]+"\} [1-9]/m);
    expect(text).toMatch(/^multicloud_cache_size_bytes\{cache_type="[^"]+"\} [1-9]/m);
    expect(text).toContain('# TYPE multicloud_rate_limit_total counter');
  });

  it('reports per-account results and the namespaces that actually produced series', async () => {
    const status = (await exporter.app.inject({ url: '/status' })).json();
    expect(status.last_results['aliyun|acc-1'].status).toBe('completed');
    expect(status.last_results['tencent|tc-1'].status).toBe('completed');
    expect(status.last_start).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(status.duration).toMatch(/\d(ms|s)$/);
    expect(status.sample_counts.aliyun.acs_bandwidth_package).toBeGreaterThan(0);
    for (const byNs of Object.values(status.sample_counts) as Record<string, number>[]) {
      for (const n of Object.values(byNs)) expect(n).toBeGreaterThan(0);
    }
  });

  it('serves the discovered products and API call statistics', async () => {
    const cfg = (await exporter.app.inject({ url: '/api/discovery/config' })).json();
    expect(cfg.version).toBeGreaterThanOrEqual(1);
    const bwp = cfg.products.aliyun.find(
      (p: { namespace: string }) => p.namespace === 'acs_bandwidth_package',
    );
    expect(bwp.metric_info.flatMap((g: { metric_list: string[] }) => g.metric_list)).toContain('net_rx.rate');
    const st = (await exporter.app.inject({ url: '/api/discovery/status' })).json();
    const last = st.api_stats.find(
      (a: { provider: string; api: string }) => a.provider === 'aliyun' && a.api === 'DescribeMetricLast',
    );
    expect(last.total).toBeGreaterThan(0);
    expect(last.status_count.success).toBeGreaterThan(0);
    expect(last.qps_1m).toBeGreaterThan(0);
    expect(st.accounts_signature).toBe('aliyun#cbwp,clb|tencent#bwp,clb');
  });

  it('drops the series of a resource that disappeared at the next collection', async () => {
    expect(lineOf(await metricsText(exporter), 'clb_active_connection', 'resource_id="lb-2"')).toBeDefined();
    const before = sim.state.world.resources;
    sim.state.world.resources = before.filter((r) => r.id !== 'lb-2');
    // Move the clock past discovery_ttl instead of sleeping through it: only Date is faked,
    // the collection's own timers and sockets stay real.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    try {
      await exporter.collectOnce();
    } finally {
      vi.useRealTimers();
    }
    const text = await metricsText(exporter);
    expect(text).not.toContain('resource_id="lb-2"');
    expect(lineOf(text, 'clb_active_connection', 'resource_id="lb-1"')).toBeDefined();
    sim.state.world.resources = before;
  });

  it('runs a filtered manual collection that calls only the named provider', async () => {
    sim.state.resetCalls();
    const res = await exporter.app.inject({ method: 'POST', url: '/collect?provider=tencent&resource=clb' });
    expect(res.json()).toEqual({ status: 'triggered', provider: 'tencent', resource: 'clb' });
    await exporter.collector.collect({ provider: 'none' });
    const counts = sim.state.countByAction();
    expect(Object.keys(counts).some((k) => k.startsWith('tencent:'))).toBe(true);
    expect(Object.keys(counts).filter((k) => k.startsWith('aliyun:'))).toEqual([]);
    expect(Object.keys(counts)).not.toContain('tencent:DescribeBandwidthPackages');
    const status = (await exporter.app.inject({ url: '/status' })).json();
    expect(status.last_results['tencent|tc-1'].status).toBe('completed');
    const get = await exporter.app.inject({ url: '/collect' });
    expect(get.json()).toEqual({ status: 'triggered', provider: '', resource: '' });
  });

  it('refuses an unknown provider on /collect with a problem naming the choices', async () => {
    const res = await exporter.app.inject({ url: '/collect?provider=gcp' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toContain('aliyun, tencent, huawei, aws');
  });
});

describe('health, auth and isolation', () => {
  let sim: Cloudsim;
  beforeAll(async () => {
    sim = await startCloudsim({
      world: world(),
      clouds: { aliyun: { handler: aliyunHandler }, tencent: { handler: tencentHandler } },
    });
  });
  afterAll(async () => sim?.close());

  it('reports healthy, then degraded when the last collection is older than 5 minutes', async () => {
    let clock = new Date();
    const e = await makeExporter(sim, {}, undefined, () => clock);
    const first = (await e.app.inject({ url: '/healthz' })).json();
    expect(first).toEqual({ status: 'healthy', time: Math.floor(clock.getTime() / 1000) });
    await e.collectOnce();
    expect((await e.app.inject({ url: '/healthz' })).json().status).toBe('healthy');
    clock = new Date(Date.now() + 5 * 60_000 + 1000);
    const res = await e.app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('degraded');
    expect(body.warning).toBe('last collection completed more than 5 minutes ago');
    expect(Date.parse(body.last_collection)).toBeLessThan(clock.getTime() - 5 * 60_000);
    await e.close();
  });

  it('protects the admin endpoints with BasicAuth and leaves /metrics and /healthz open', async () => {
    const e = await makeExporter(sim, { ADMIN_AUTH_ENABLED: 'true', ADMIN_AUTH: 'admin:s3cret,ops:pw2' });
    const basic = (u: string, p: string) => ({
      authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
    });
    for (const url of ['/status', '/collect', '/api/discovery/config', '/api/discovery/status']) {
      const none = await e.app.inject({ url });
      expect([url, none.statusCode]).toEqual([url, 401]);
      expect(none.headers['www-authenticate']).toBe('Basic realm="restricted"');
      expect((await e.app.inject({ url, headers: basic('admin', 'bad') })).statusCode).toBe(403);
    }
    expect((await e.app.inject({ url: '/status', headers: basic('ops', 'pw2') })).statusCode).toBe(200);
    expect((await e.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    expect((await e.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    await e.close();
  });

  it('keeps collecting the other accounts when one account has bad keys', async () => {
    const e = await makeExporter(sim, {}, 'wrong-secret');
    await e.collectOnce();
    const text = await metricsText(e);
    expect(
      lineOf(text, 'multicloud_request_total', 'cloud_provider="aliyun"', 'status="auth_error"'),
    ).toBeDefined();
    expect(text).not.toMatch(/cloud_provider="aliyun",code_name=/);
    expect(lineOf(text, 'clb_traffic_rx_bps', 'cloud_provider="tencent"')).toBeDefined();
    const status = (await e.app.inject({ url: '/status' })).json();
    expect(status.last_results['aliyun|acc-1'].failed_calls).toBeGreaterThan(0);
    expect(status.last_results['tencent|tc-1'].status).toBe('completed');
    await e.close();
  });
});
