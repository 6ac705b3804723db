import { describe, expect, it } from 'vitest';
import { ApiStats } from './api-stats.ts';

describe('ApiStats', () => {
  it('totals by status and computes 1m / 5m rates from one-second buckets', () => {
    let now = 1_000_000_000;
    const stats = new ApiStats(() => now);
    for (let i = 0; i < 120; i++) stats.record('tencent', 'GetMonitorData', 'success');
    now += 120_000;
    for (let i = 0; i < 60; i++) stats.record('tencent', 'GetMonitorData', i < 6 ? 'limit_error' : 'success');
    const [entry] = stats.snapshot();
    expect(entry).toMatchObject({
      provider: 'tencent',
      api: 'GetMonitorData',
      total: 180,
      status_count: { success: 174, limit_error: 6 },
    });
    expect(entry!.qps_1m).toBe(1);
    expect(entry!.qps_5m).toBe(0.6);
    now += 301_000;
    expect(stats.snapshot()[0]).toMatchObject({ total: 180, qps_1m: 0, qps_5m: 0 });
  });
});
