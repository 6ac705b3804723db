import { describe, expect, it } from 'vitest';
import { labelSchema, sanitizeMetricName } from './naming.ts';

describe('sanitizeMetricName', () => {
  it.each([
    ['A-B.C', 'a_b_c'],
    ['A/B', 'a_b'],
    ['qce/gwlb_ConcurConn', 'qce_gwlb_concurconn'],
    ['clb_GroupTrafficRX', 'clb_grouptrafficrx'],
    ['s3_2xx%Ratio', 's3_2xx_ratio'],
    ['5xxErrors', '_5xxerrors'],
  ])('%s → %s', (input, want) => expect(sanitizeMetricName(input)).toBe(want));
});

describe('labelSchema (AC-27)', () => {
  it('drops reserved names and suffixes collisions in order', () => {
    expect([
      ...labelSchema(['port', 'Region', 'listenerProtocol', 'listener-protocol', 'listener.protocol', 'vip']),
    ]).toEqual([
      ['port', 'port'],
      ['listenerProtocol', 'listenerprotocol'],
      ['listener-protocol', 'listener_protocol'],
      ['listener.protocol', 'listener_protocol_2'],
      ['vip', 'vip'],
    ]);
  });

  it('drops keys that would shadow any fixed label', () => {
    expect([...labelSchema(['account_id', 'Namespace', 'resource-id', 'bucketName'])]).toEqual([
      ['bucketName', 'bucketname'],
    ]);
  });
});
