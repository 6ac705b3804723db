import { afterEach, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../../src/metrics/telemetry.ts';
import { AgentSpec } from '../../src/spec.ts';
import { type Receiver, startReceiver } from './receiver.ts';

describe('agent.yaml → sampler and remote write', () => {
  let receiver: Receiver;
  let telemetry: Telemetry | undefined;
  afterEach(async () => {
    await telemetry?.stop(0);
    await receiver?.close();
  });

  it('samples every metricsInterval and pushes every remoteWrite.interval with the agent labels', async () => {
    receiver = await startReceiver();
    const { agent } = AgentSpec.parse({
      agent: {
        name: 'web-01',
        labels: { env: 'prod', 'not-a-label': 'x' },
        metricsInterval: '100ms',
        remoteWrite: {
          url: receiver.url,
          interval: '200ms',
          bufferSamples: 10_000,
          headers: { 'X-Scope-OrgID': 'ops' },
        },
      },
    });
    telemetry = startTelemetry(agent, {
      services: () => [{ name: 'self', pid: process.pid, restarts: 1, state: 'running' }],
    });
    const deadline = Date.now() + 5_000;
    const busy = () =>
      receiver
        .accepted()
        .find((s) =>
          s.labels.some((l) => l.name === '__name__' && l.value === 'opsfleet_agent_service_cpu_percent'),
        );
    while (!busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const series = busy();
    expect(series).toBeDefined();
    expect(Object.fromEntries(series!.labels.map((l) => [l.name, l.value]))).toEqual({
      __name__: 'opsfleet_agent_service_cpu_percent',
      env: 'prod',
      instance: 'web-01',
      job: 'opsfleet-agent',
      service: 'self',
    });
    expect(receiver.requests[0]!.headers['x-scope-orgid']).toBe('ops');
    await telemetry.stop(1_000); // the counters move when the response is read, after the receiver saw it
    const text = await telemetry.registry.metrics();
    expect(text).toMatch(/opsfleet_agent_remote_write_samples_total\{result="sent"\} [1-9]/);
  });

  it('without remoteWrite only the sampler runs', async () => {
    const { agent } = AgentSpec.parse({ agent: { metricsInterval: '1s' } });
    telemetry = startTelemetry(agent);
    expect(telemetry.writer).toBeUndefined();
    await telemetry.metrics.sample();
    expect(await telemetry.registry.metrics()).toMatch(/opsfleet_agent_memory_bytes\{kind="total"\} [1-9]/);
  });
});
