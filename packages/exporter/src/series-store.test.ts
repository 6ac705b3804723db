import { describe, expect, it } from 'vitest';
import { groupKey, type Series, SeriesStore } from './series-store.ts';

const series = (
  name: string,
  cloud: string,
  ns: string,
  id: string,
  value: number,
  extra: Record<string, string> = {},
): Series => ({
  name,
  labels: { cloud_provider: cloud, account_id: 'a1', namespace: ns, resource_id: id, ...extra },
  value,
});

describe('SeriesStore', () => {
  it('replaces only the groups a collection re-read', () => {
    const store = new SeriesStore();
    store.replace(
      [],
      [
        series('clb_qps', 'aliyun', 'acs_slb_dashboard', 'lb-1', 1),
        series('bwp_x', 'aliyun', 'acs_bandwidth_package', 'b-1', 2),
      ],
    );
    store.replace(
      [groupKey('aliyun', 'a1', 'acs_slb_dashboard')],
      [series('clb_qps', 'aliyun', 'acs_slb_dashboard', 'lb-2', 3)],
    );
    const text = store.render(() => 'h');
    expect(text).not.toContain('lb-1');
    expect(text).toContain('resource_id="lb-2"');
    expect(text).toContain('resource_id="b-1"');
  });

  it('renders one label schema per name, empty values for labels a series lacks', () => {
    const store = new SeriesStore();
    store.replace(
      [],
      [
        series('clb_qps', 'tencent', 'QCE/LB', '1.2.3.4', 5),
        series('clb_qps', 'aliyun', 'acs_slb_dashboard', 'lb-1', 7, { port: '80' }),
      ],
    );
    const lines = store.render(() => 'Queries per second').split('\n');
    expect(lines[0]).toBe('# HELP clb_qps Queries per second');
    expect(lines[1]).toBe('# TYPE clb_qps gauge');
    expect(lines).toContain(
      'clb_qps{account_id="a1",cloud_provider="tencent",namespace="QCE/LB",port="",resource_id="1.2.3.4"} 5',
    );
    expect(lines).toContain(
      'clb_qps{account_id="a1",cloud_provider="aliyun",namespace="acs_slb_dashboard",port="80",resource_id="lb-1"} 7',
    );
  });

  it('escapes label values and special float values', () => {
    const store = new SeriesStore();
    store.replace(
      [],
      [
        series('x', 'aliyun', 'n', 'a"b\\c\nd', Number.NaN),
        series('x', 'aliyun', 'n', 'inf', Number.POSITIVE_INFINITY),
      ],
    );
    const text = store.render(() => 'h');
    expect(text).toContain('resource_id="a\\"b\\\\c\\nd"} NaN');
    expect(text).toContain('resource_id="inf"} +Inf');
  });

  it('counts series per provider and namespace and drops groups of removed accounts', () => {
    const store = new SeriesStore();
    store.replace(
      [],
      [
        series('a', 'aliyun', 'ns1', '1', 1),
        series('b', 'aliyun', 'ns1', '2', 1),
        series('c', 'tencent', 'ns2', '3', 1),
      ],
    );
    expect(store.countsByNamespace()).toEqual({ aliyun: { ns1: 2 }, tencent: { ns2: 1 } });
    store.dropWhere((g) => g.startsWith('tencent|'));
    expect(store.countsByNamespace()).toEqual({ aliyun: { ns1: 2 } });
    expect(store.render(() => 'h')).not.toContain('tencent');
  });
});
