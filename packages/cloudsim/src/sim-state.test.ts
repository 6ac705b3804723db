import { describe, expect, it } from 'vitest';
import { SimState } from './sim-state.ts';

describe('SimState', () => {
  it('refuses calls past the per-second limit per account and action, and admits them again a second later', () => {
    const state = new SimState(
      { accounts: [], regions: {}, resources: [] },
      { rateLimits: { 'tencent:GetMonitorData': 3 } },
    );
    const at = (t: number, ak = 'a') => state.overRateLimit('tencent', 'GetMonitorData', ak, t);
    expect([at(0), at(100), at(200), at(300)]).toEqual([false, false, false, true]);
    expect(at(300, 'b')).toBe(false);
    expect(state.overRateLimit('tencent', 'DescribeBaseMetrics', 'a', 300)).toBe(false);
    expect([at(999), at(1000), at(1150)]).toEqual([true, false, false]);
  });

  it('enforces a limit stated per minute over a sliding minute', () => {
    const state = new SimState(
      { accounts: [], regions: {}, resources: [] },
      { rateLimits: { 'huawei:BatchListMetricData': { calls: 2, windowMs: 60_000 } } },
    );
    const at = (t: number) => state.overRateLimit('huawei', 'BatchListMetricData', 'a', t);
    expect([at(0), at(10_000), at(30_000), at(59_999), at(60_000), at(60_001)]).toEqual([
      false,
      false,
      true,
      true,
      false,
      true,
    ]);
  });

  it('fires a fault the given number of times, for its action only', () => {
    const state = new SimState({ accounts: [], regions: {}, resources: [] });
    state.inject({ cloud: 'aliyun', action: 'DescribeMetricLast', kind: 'throttle', times: 2 });
    expect(state.takeFault('aliyun', 'DescribeRegions')).toBeUndefined();
    expect([
      state.takeFault('aliyun', 'DescribeMetricLast'),
      state.takeFault('aliyun', 'DescribeMetricLast'),
    ]).toEqual(['throttle', 'throttle']);
    expect(state.takeFault('aliyun', 'DescribeMetricLast')).toBeUndefined();
  });
});
