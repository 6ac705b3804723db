import { describe, expect, it } from 'vitest';
import { lbCodeName, lbDimension, statisticFor } from './statistics.ts';

describe('AWS statistics and naming', () => {
  it.each([
    ['ActiveConnectionCount', 'Average', false],
    ['TargetResponseTime', 'Average', false],
    ['Latency', 'Average', false],
    ['HealthyHostCount', 'Average', false],
    ['BucketSizeBytes', 'Average', false],
    ['ProcessedBytes', 'Sum', true],
    ['RequestCount', 'Sum', true],
    ['GetRequests', 'Sum', true],
  ])('%s → %s, per second %s', (metric, stat, perSecond) =>
    expect(statisticFor(metric)).toEqual({ stat, perSecond }),
  );

  it('takes the LoadBalancer dimension from the ARN, else the name', () => {
    expect(
      lbDimension('arn:aws:elasticloadbalancing:us-east-1:123:loadbalancer/app/alb-1/aaaa', 'alb-1'),
    ).toBe('app/alb-1/aaaa');
    expect(lbDimension('not-an-arn', 'alb-1')).toBe('alb-1');
  });

  it('prefers the Kubernetes service name, then Name, then the LB name for code_name', () => {
    expect(
      lbCodeName(
        [
          { Key: 'Name', Value: 'web' },
          { Key: 'kubernetes.io/service-name', Value: 'ns/svc' },
        ],
        'lb',
      ),
    ).toBe('ns/svc');
    expect(lbCodeName([{ Key: 'Name', Value: 'web' }], 'lb')).toBe('web');
    expect(lbCodeName([], 'lb')).toBe('lb');
  });
});
