import { describe, expect, it } from 'vitest';
import { AgentSpec } from './spec.ts';

describe('AgentSpec', () => {
  it('fills the defaults of a minimal service', () => {
    const c = AgentSpec.parse({ services: [{ name: 'api', command: 'node', args: ['server.js'] }] });
    expect(c.agent.grpc.listen).toBe('127.0.0.1:7070');
    expect(c.services[0]).toMatchObject({
      backend: 'direct',
      stopSignal: 'SIGTERM',
      stopTimeout: 10_000,
      restart: { policy: 'on-failure', initialDelay: 1000, maxRestarts: 5, window: 60_000 },
    });
  });

  it.each([
    [{ name: 'a b', command: 'x' }, 'services.0.name'],
    [{ name: 'a', command: 'x', stopTimeout: 'soon' }, 'services.0.stopTimeout'],
    [{ name: 'a', command: 'x', health: [{ name: 'h', type: 'http' }] }, 'services.0.health.0.http'],
    [{ name: 'a', command: 'x', stopSignal: 'TERM' }, 'services.0.stopSignal'],
  ])('names the bad field of %j', (service, path) => {
    const r = AgentSpec.safeParse({ services: [service] });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
