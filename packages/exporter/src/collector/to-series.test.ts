import { describe, expect, it } from 'vitest';
import { defaultMappingPath, loadMappings } from '../mappings/catalog.ts';
import type { Sample } from '../providers/provider.ts';
import { toSeries } from './to-series.ts';

const { catalog } = loadMappings(defaultMappingPath());
const base = { region: 'r', resourceType: 'clb', resourceId: 'id-1', codeName: '' };

describe('toSeries: the exported name, value and labels of a sample', () => {
  it.each([
    [
      'tencent',
      { ...base, namespace: 'QCE/LB', metric: 'VIntraffic', value: 5 },
      'clb_traffic_rx_bps',
      5_000_000,
    ],
    [
      'tencent',
      { ...base, resourceType: 's3', namespace: 'QCE/COS', metric: 'StdStorage', value: 2 },
      's3_storage_usage_bytes',
      2_097_152,
    ],
    [
      'aliyun',
      { ...base, namespace: 'acs_bandwidth_package', metric: 'net_rx.rate', value: 1_500_000 },
      'bwp_traffic_rx_bps',
      1_500_000,
    ],
    [
      'tencent',
      { ...base, namespace: 'qce/gwlb', metric: 'ConcurConn', value: 7 },
      'gwlb_active_connection',
      7,
    ],
    [
      'aliyun',
      { ...base, namespace: 'acs_slb_dashboard', metric: 'GroupTrafficRX', value: 3 },
      'clb_grouptrafficrx',
      3,
    ],
  ] as [string, Sample, string, number][])('%s %j → %s', (cloud, sample, name, value) => {
    const s = toSeries(cloud as 'aliyun', 'acc', sample, catalog);
    expect([s.name, s.value]).toEqual([name, value]);
    expect(s.labels.metric_name).toBe(sample.metric);
  });

  it('names the CLB utilisation estimate after the prefix without scaling it (AC-13)', () => {
    const s = toSeries(
      'aliyun',
      'acc',
      {
        ...base,
        namespace: 'acs_slb_dashboard',
        metric: 'traffic_rx_utilization_pct',
        seriesSuffix: 'traffic_rx_utilization_pct',
        value: 1,
      },
      catalog,
    );
    expect(s).toEqual({
      name: 'clb_traffic_rx_utilization_pct',
      value: 1,
      labels: {
        cloud_provider: 'aliyun',
        account_id: 'acc',
        region: 'r',
        resource_type: 'clb',
        resource_id: 'id-1',
        namespace: 'acs_slb_dashboard',
        metric_name: 'traffic_rx_utilization_pct',
        code_name: '',
      },
    });
  });

  it('adds dimensions as sanitised labels and never lets one override a fixed label', () => {
    const s = toSeries(
      'aliyun',
      'acc',
      {
        ...base,
        namespace: 'acs_alb',
        metric: 'X',
        value: 1,
        dimensions: { listenerProtocol: 'HTTPS', region: 'spoof', 'listener.port': '443' },
      },
      catalog,
    );
    expect(s.labels).toMatchObject({ listenerprotocol: 'HTTPS', listener_port: '443', region: 'r' });
  });
});
