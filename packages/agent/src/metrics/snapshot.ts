import type { Registry } from 'prom-client';

/**
 * The latest sample as plain objects, read back from the registry the sampler fills, so the
 * gRPC Metrics service and /metrics can never disagree.
 */
export interface SystemSnapshot {
  cpuPercent: number;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  load1: number;
  load5: number;
  load15: number;
  disks: { mountpoint: string; totalBytes: number; usedBytes: number }[];
  interfaces: { name: string; rxBytes: number; txBytes: number }[];
}

export interface ServiceSnapshot {
  service: string;
  cpuPercent: number;
  rssBytes: number;
  uptimeSeconds: number;
  restarts: number;
  openFiles: number;
  processes: number;
}

type Values = { labels: Record<string, string | number>; value: number }[];

async function values(registry: Registry, name: string): Promise<Values> {
  const metric = registry.getSingleMetric(name);
  return metric ? ((await metric.get()).values as Values) : [];
}

const pick = (v: Values, labels: Record<string, string> = {}) =>
  v.find((x) => Object.entries(labels).every(([k, want]) => String(x.labels[k]) === want))?.value ?? 0;

export async function systemSnapshot(registry: Registry): Promise<SystemSnapshot> {
  const [cpu, memory, load, disk, net] = await Promise.all(
    [
      'opsfleet_agent_cpu_usage_percent',
      'opsfleet_agent_memory_bytes',
      'opsfleet_agent_load',
      'opsfleet_agent_disk_bytes',
      'opsfleet_agent_network_bytes_total',
    ].map((n) => values(registry, n)),
  );
  const mounts = [...new Set(disk!.map((d) => String(d.labels.mountpoint)))];
  const interfaces = [...new Set(net!.map((d) => String(d.labels.interface)))];
  return {
    cpuPercent: pick(cpu!),
    memoryTotalBytes: pick(memory!, { kind: 'total' }),
    memoryUsedBytes: pick(memory!, { kind: 'used' }),
    load1: pick(load!, { period: '1m' }),
    load5: pick(load!, { period: '5m' }),
    load15: pick(load!, { period: '15m' }),
    disks: mounts.map((mountpoint) => ({
      mountpoint,
      totalBytes: pick(disk!, { mountpoint, kind: 'size' }),
      usedBytes: pick(disk!, { mountpoint, kind: 'used' }),
    })),
    interfaces: interfaces.map((name) => ({
      name,
      rxBytes: pick(net!, { interface: name, direction: 'receive' }),
      txBytes: pick(net!, { interface: name, direction: 'transmit' }),
    })),
  };
}

export async function serviceSnapshots(registry: Registry): Promise<ServiceSnapshot[]> {
  const [up, cpu, rss, uptime, restarts, files, processes] = await Promise.all(
    [
      'opsfleet_agent_service_up',
      'opsfleet_agent_service_cpu_percent',
      'opsfleet_agent_service_rss_bytes',
      'opsfleet_agent_service_uptime_seconds',
      'opsfleet_agent_service_restarts_total',
      'opsfleet_agent_service_open_files',
      'opsfleet_agent_service_processes',
    ].map((n) => values(registry, n)),
  );
  const names = [...new Set([...up!, ...restarts!].map((v) => String(v.labels.service)))].sort();
  return names.map((service) => ({
    service,
    cpuPercent: pick(cpu!, { service }),
    rssBytes: pick(rss!, { service }),
    uptimeSeconds: pick(uptime!, { service }),
    restarts: pick(restarts!, { service }),
    openFiles: pick(files!, { service }),
    processes: pick(processes!, { service }),
  }));
}
