import { hostname } from 'node:os';
import { Registry } from 'prom-client';
import type { AgentSettings } from '../spec.ts';
import { type AgentMetrics, createAgentMetrics } from './registry.ts';
import { RemoteWriter } from './remote-write.ts';
import type { ProcessTable, ServiceStatusInput } from './service.ts';

export interface Telemetry {
  /** Serve it at GET /metrics (`renderMetrics(registry)`). */
  registry: Registry;
  metrics: AgentMetrics;
  /** Present when `agent.remoteWrite` is configured. */
  writer?: RemoteWriter;
  /** Stops sampling; gives the remote-write buffer up to `graceMs` to drain. */
  stop(graceMs?: number): Promise<void>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Wires `agent.yaml` to the sampler and, when configured, remote write: samples every
 * `metricsInterval`, pushes every `remoteWrite.interval`. Remote-written series carry
 * `job="opsfleet-agent"`, `instance=<agent.name or the hostname>` and the agent's labels whose
 * names are valid Prometheus label names (others are skipped; a scrape adds its own job/instance).
 */
export function startTelemetry(
  settings: AgentSettings,
  opts: {
    services?: () => ServiceStatusInput[];
    /** See AgentMetricsOptions.onProcessTable. */
    onProcessTable?: (table: ProcessTable) => void;
    registry?: Registry;
    proc?: string;
    onError?: (what: string, err: unknown) => void;
  } = {},
): Telemetry {
  const registry = opts.registry ?? new Registry();
  const metrics = createAgentMetrics({
    registry,
    interval: settings.metricsInterval,
    ...(opts.services ? { services: opts.services } : {}),
    ...(opts.onProcessTable ? { onProcessTable: opts.onProcessTable } : {}),
    ...(opts.proc ? { proc: opts.proc } : {}),
    ...(opts.onError ? { onError: opts.onError } : {}),
  });
  metrics.start();
  const rw = settings.remoteWrite;
  const writer = rw
    ? new RemoteWriter({
        url: rw.url,
        headers: rw.headers,
        interval: rw.interval,
        bufferSamples: rw.bufferSamples,
        source: registry,
        registry,
        externalLabels: {
          ...Object.fromEntries(Object.entries(settings.labels).filter(([k]) => LABEL_NAME.test(k))),
          job: 'opsfleet-agent',
          instance: settings.name ?? hostname(),
        },
        ...(opts.onError ? { onError: (err: Error) => opts.onError?.('remote_write', err) } : {}),
      })
    : undefined;
  writer?.start();
  return {
    registry,
    metrics,
    ...(writer ? { writer } : {}),
    async stop(graceMs = 5_000) {
      metrics.stop();
      await writer?.stop(graceMs);
    },
  };
}
