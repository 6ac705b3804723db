import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../packages/agent/src/metrics/registry.ts';
import { RemoteWriter } from '../packages/agent/src/metrics/remote-write.ts';
import { type Prometheus, peerAvailable, startPrometheus, waitFor } from './peers.ts';

/**
 * The agent's metrics pushed with remote write into a real Prometheus 2.42 started with
 * `--web.enable-remote-write-receiver`, then read back through its query API.
 */
describe.runIf(peerAvailable('prometheus', 'prometheus'))('agent remote write into a real Prometheus', () => {
  let prom: Prometheus;
  let url: string;

  async function query(expr: string) {
    return prom.query(expr);
  }

  beforeAll(async () => {
    prom = await startPrometheus([], { extraArgs: ['--web.enable-remote-write-receiver'] });
    url = prom.url;
  });

  afterAll(async () => {
    await prom?.stop();
  });

  it('host and service metrics arrive and read back with their labels', async () => {
    const registry = new Registry();
    const metrics = createAgentMetrics({
      registry,
      services: () => [{ name: 'e2e-self', pid: process.pid, restarts: 3, state: 'running' }],
    });
    await metrics.sample();
    await new Promise((r) => setTimeout(r, 300));
    await metrics.sample();
    const errors: Error[] = [];
    const writer = new RemoteWriter({
      url: `${url}/api/v1/write`,
      source: registry,
      registry,
      externalLabels: { job: 'opsfleet-agent', instance: 'e2e-host' },
      onError: (e) => errors.push(e),
    });
    await writer.collect();
    await writer.flush();
    expect(errors.map((e) => e.message)).toEqual([]);

    const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
    const [mem] = await waitFor('the pushed samples', async () => {
      const r = await query('opsfleet_agent_memory_bytes{kind="total"}');
      return r.length ? r : undefined;
    });
    expect(mem!.metric).toEqual({
      __name__: 'opsfleet_agent_memory_bytes',
      kind: 'total',
      job: 'opsfleet-agent',
      instance: 'e2e-host',
    });
    expect(Number(mem!.value[1])).toBe(memTotal);

    const [restarts] = await query('opsfleet_agent_service_restarts_total{service="e2e-self"}');
    expect(Number(restarts!.value[1])).toBe(3);
    const [up] = await query('opsfleet_agent_service_up{service="e2e-self"}');
    expect(Number(up!.value[1])).toBe(1);
    const [rss] = await query('opsfleet_agent_service_rss_bytes{service="e2e-self"}');
    expect(Number(rss!.value[1])).toBeGreaterThan(10 * 2 ** 20);
    const modes = await query('opsfleet_agent_cpu_mode_percent');
    expect(modes.map((m) => m.metric.mode).sort()).toEqual([
      'idle',
      'iowait',
      'irq',
      'nice',
      'softirq',
      'steal',
      'system',
      'user',
    ]);
    const [sum] = await query('sum(opsfleet_agent_cpu_mode_percent)');
    expect(Number(sum!.value[1])).toBeCloseTo(100, 6);
    expect((await query('opsfleet_agent_network_bytes_total{interface="lo"}')).length).toBe(2);

    // the writer's own counters travel too: what it had sent before this snapshot
    await writer.collect();
    await writer.flush();
    const json = await registry.getMetricsAsJSON();
    const samples = json.find((m) => m.name === 'opsfleet_agent_remote_write_samples_total')!.values;
    expect(samples.find((v) => v.labels.result === 'failed')!.value).toBe(0);
    expect(samples.find((v) => v.labels.result === 'sent')!.value).toBeGreaterThan(50);
    await writer.stop();
  });

  it('a sample Prometheus refuses (out of order) is dropped and counted, not retried', async () => {
    const registry = new Registry();
    const errors: Error[] = [];
    const writer = new RemoteWriter({
      url: `${url}/api/v1/write`,
      registry,
      externalLabels: { job: 'opsfleet-agent', instance: 'e2e-host' },
      onError: (e) => errors.push(e),
    });
    const now = Date.now();
    writer.push([{ labels: { __name__: 'e2e_order' }, value: 1, timestamp: now }]);
    await writer.flush();
    writer.push([{ labels: { __name__: 'e2e_order' }, value: 2, timestamp: now - 60_000 }]);
    await writer.flush();
    const json = await registry.getMetricsAsJSON();
    const get = (name: string, labels: Record<string, string>) =>
      json
        .find((m) => m.name === name)!
        .values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
        .reduce((s, v) => s + v.value, 0);
    expect(get('opsfleet_agent_remote_write_samples_total', { result: 'sent' })).toBe(1);
    expect(get('opsfleet_agent_remote_write_samples_total', { result: 'failed' })).toBe(1);
    expect(get('opsfleet_agent_remote_write_requests_total', { code: '400' })).toBe(1);
    expect(get('opsfleet_agent_remote_write_requests_total', {})).toBe(2);
    expect(errors[0]?.message).toMatch(/HTTP 400: .*out of order/);
    const [v] = await query('e2e_order');
    expect(Number(v!.value[1])).toBe(1);
    await writer.stop();
  });
});
