import { describe, expect, it } from 'vitest';
import { AgentSpec } from '../spec.ts';
import { settingsNeedingRestart } from './restart-settings.ts';

const settings = (agent: Record<string, unknown>) => AgentSpec.parse({ agent, services: [] }).agent;
const base = { grpc: { listen: '127.0.0.1:7070', token: 'a' }, metricsInterval: '10s' };

describe('settingsNeedingRestart', () => {
  it.each([
    ['nothing changed', {}, []],
    ['a new admin token (applied on reload)', { grpc: { listen: '127.0.0.1:7070', token: 'b' } }, []],
    ['discovery folders (applied on reload)', { discover: ['/srv'] }, []],
    ['the gRPC address', { grpc: { listen: '127.0.0.1:7071', token: 'a' } }, ['grpc.listen']],
    [
      'TLS added, token changed too',
      { grpc: { listen: '127.0.0.1:7070', token: 'b', tls: { cert: 'c', key: 'k' } } },
      ['grpc.tls'],
    ],
    [
      'the metrics interval, labels and a server',
      { metricsInterval: '5s', labels: { env: 'x' }, server: { url: 'http://s', token: 't' } },
      ['labels', 'metricsInterval', 'server'],
    ],
  ])('%s', (_name, change, want) => {
    expect(settingsNeedingRestart(settings(base), settings({ ...base, ...change }))).toEqual(want);
  });

  it('a section that was there and is gone', () => {
    const before = settings({ ...base, etcd: { endpoints: ['http://e:2379'] } });
    expect(settingsNeedingRestart(before, settings(base))).toEqual(['etcd']);
  });
});
