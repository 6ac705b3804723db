import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCatalog, defaultMappingPath, loadMappings } from './catalog.ts';

const FIX = join(import.meta.dirname, '../../test/fixtures/mappings');
const REF = join(import.meta.dirname, '../../../../../shared/reference/multicloud-exporter/mappings');

describe('mapping validation (AC-26)', () => {
  const bad = readdirSync(FIX).filter((f) => f.endsWith('.bad.yml'));
  it.each(bad)('%s is rejected with a problem naming the field', (file) => {
    const { catalog, problems } = loadMappings(join(FIX, file));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.path).toContain(file);
    expect(catalog.entries()).toEqual([]);
  });

  it.each([
    ['top-level-key.bad.yml', /foo: unknown key "foo" \(allowed: prefix, namespaces, canonical\)/],
    ['root-dimensions.bad.yml', /canonical\.qps\.dimensions: dimensions belong under a vendor/],
    [
      'vendor-key-typo.bad.yml',
      /canonical\.qps\.aliyun\.metrics: unknown key "metrics" \(allowed: metric, unit, scale, dimensions\)/,
    ],
    ['empty-metric.bad.yml', /canonical\.qps\.aliyun\.metric: must be a non-empty string/],
    [
      'unknown-vendor.bad.yml',
      /namespaces\.google: unknown vendor "google": supported vendors are aliyun, tencent, aws, huawei/,
    ],
    ['scale-not-number.bad.yml', /canonical\.qps\.aliyun\.scale: must be a number/],
  ])('%s → %s', (file, want) => {
    const { problems } = loadMappings(join(FIX, file));
    expect(problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toMatch(want);
  });

  it('skips only the bad files of a directory and loads the good ones', () => {
    const { catalog, problems } = loadMappings(FIX);
    expect(catalog.resolve('tencent', 'qce/demo', 'InTraffic')).toMatchObject({
      name: 'demo_traffic_rx_bps',
      scale: 1_000_000,
    });
    expect(new Set(problems.map((p) => p.path.split(':')[0]))).toEqual(
      new Set(readdirSync(FIX).filter((f) => f.endsWith('.bad.yml'))),
    );
  });
});

describe('the catalogs', () => {
  it('ours and the public reference both load with no problem', () => {
    for (const path of [defaultMappingPath(), REF]) {
      const { catalog, problems } = loadMappings(path);
      expect(problems).toEqual([]);
      expect(checkCatalog(catalog)).toEqual([]);
      expect(catalog.entries()).toHaveLength(373);
    }
  });

  it('carries the same facts as the reference: names, metrics, units, scales, dimensions', () => {
    const strip = (path: string) =>
      loadMappings(path)
        .catalog.entries()
        .map((e) => ({ name: e.name, vendors: e.vendors }))
        .sort((a, b) => a.name.localeCompare(b.name));
    expect(strip(defaultMappingPath())).toEqual(strip(REF));
  });

  it('writes every description in English', () => {
    for (const e of loadMappings(defaultMappingPath()).catalog.entries()) {
      expect(e.description).toMatch(/^[\x20-\x7e]+$/);
      expect(e.description.length).toBeGreaterThan(10);
    }
  });

  it('accepts MAPPING_PATH as a comma-separated list of files and directories', () => {
    const { catalog, problems } = loadMappings(
      `${join(defaultMappingPath(), 'bwp.metrics.yaml')}, ${join(FIX, 'demo.ok.yml')}`,
    );
    expect(problems).toEqual([]);
    expect(catalog.entries().map((e) => e.prefix)).toEqual([...Array(8).fill('bwp'), 'demo']);
  });
});

describe('resolve: source metric → canonical → scale', () => {
  const { catalog } = loadMappings(defaultMappingPath());
  it.each([
    ['aliyun', 'acs_slb_dashboard', 'InstanceTrafficRX', 'clb_traffic_rx_bps', 1],
    ['tencent', 'QCE/LB', 'VIntraffic', 'clb_traffic_rx_bps', 1_000_000],
    ['huawei', 'SYS.ELB', 'm7_in_Bps', 'clb_traffic_rx_bps', 8],
    ['aws', 'AWS/ELB', 'Latency', 'clb_rt', 1000],
    ['aws', 'AWS/ApplicationELB', 'ProcessedBytes', 'alb_traffic_rx_bps', 8],
    ['tencent', 'QCE/COS', 'StdStorage', 's3_storage_usage_bytes', 1_048_576],
    ['tencent', 'QCE/BWP', 'InTraffic', 'bwp_traffic_rx_bps', 1_000_000],
    ['tencent', 'QCE/BWP', 'IntrafficBwpRatio', 'bwp_utilization_rx_pct', 1],
    ['aliyun', 'acs_bandwidth_package', 'net_rx.rate', 'bwp_traffic_rx_bps', 1],
    ['tencent', 'qce/gwlb', 'ConcurConn', 'gwlb_active_connection', 1],
    ['tencent', 'qce/gwlb', 'Intraffic', 'gwlb_traffic_rx_bps', 1_000_000],
    ['aliyun', 'acs_slb_dashboard', 'GroupTrafficRX', 'clb_grouptrafficrx', 1],
    ['aliyun', 'foo/bar', 'X.Y', 'foo_bar_x_y', 1],
  ])('%s %s %s → %s ×%d', (cloud, ns, metric, name, scale) => {
    expect(catalog.resolve(cloud, ns, metric)).toMatchObject({ name, scale });
  });

  it('gives a HELP text from the description', () => {
    expect(catalog.help('clb_traffic_rx_bps')).toMatch(/inbound/i);
    expect(catalog.help('clb_grouptrafficrx')).toMatch(/without a mapping/);
  });
});
