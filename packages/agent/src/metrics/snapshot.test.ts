import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from './registry.ts';
import { serviceSnapshots, systemSnapshot } from './snapshot.ts';

describe('snapshots read back from the registry', () => {
  it('match what /metrics says for this host and this process', async () => {
    const registry = new Registry();
    const metrics = createAgentMetrics({
      registry,
      services: () => [{ name: 'self', pid: process.pid, restarts: 2, state: 'running' }],
    });
    await metrics.sample();
    await new Promise((r) => setTimeout(r, 200));
    await metrics.sample();
    const system = await systemSnapshot(registry);
    const total = (await registry.getSingleMetric('opsfleet_agent_memory_bytes')!.get()).values.find(
      (v) => v.labels.kind === 'total',
    )!.value;
    expect(system.memoryTotalBytes).toBe(total);
    expect(system.memoryUsedBytes).toBeGreaterThan(0);
    expect(system.disks.length).toBeGreaterThan(0);
    expect(system.interfaces.map((i) => i.name)).toContain('lo');
    const [self] = await serviceSnapshots(registry);
    expect(self).toMatchObject({ service: 'self', restarts: 2 });
    expect(self!.rssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(self!.processes).toBeGreaterThanOrEqual(1);
  });
});
