import type { CloudName } from '../providers/provider.ts';

/**
 * Client-side request budgets per account and API, in calls per second, kept just under each
 * cloud's documented limit (shared/research/api-limits.md) so the exporter queues instead of
 * being throttled. `*` is the budget of every API not listed.
 */
export const RATE_LIMITS: Record<CloudName, Record<string, number>> = {
  aliyun: { DescribeMetricLast: 45, DescribeMetricList: 45, DescribeMetricData: 9, '*': 20 },
  tencent: {
    GetMonitorData: 18,
    DescribeBaseMetrics: 18,
    DescribeLoadBalancers: 18,
    DescribeBandwidthPackages: 18,
    '*': 18,
  },
  huawei: { BatchListMetricData: 8, '*': 20 },
  aws: { GetMetricData: 45, '*': 20 },
};
