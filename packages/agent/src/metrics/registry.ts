import { Counter, Gauge, Registry } from 'prom-client';
import {
  type ProcessTable,
  readProcessTable,
  type ServiceMetrics,
  ServiceSampler,
  type ServiceStatusInput,
} from './service.ts';
import {
  CPU_MODES,
  type CpuUsage,
  cpuUsage,
  type DiskStats,
  dataMounts,
  type FilesystemUsage,
  filesystemUsage,
  type LoadAverage,
  type MemoryInfo,
  type MountFilter,
  type NetworkInterface,
  type ProcStatFile,
  readDiskstats,
  readLoadavg,
  readMeminfo,
  readMounts,
  readNetDev,
  readProcStat,
} from './system.ts';

/**
 * The agent's Prometheus registry: host and per-service gauges and counters named
 * `opsfleet_agent_*` (catalog in docs/agent.md, Metrics), refreshed by a sampler every
 * `agent.metricsInterval`. Kernel counters (disk and network) are exposed as the kernel counts
 * them, so `rate()` works and a reset (an interface re-created) reads as a counter reset.
 */

export interface AgentMetricsOptions {
  /** Default a new Registry. */
  registry?: Registry;
  /** Default `/proc`. */
  proc?: string;
  /** Prefix of mount points for statfs when the host's root is mounted elsewhere (`/host`). */
  rootfs?: string;
  /** ms between samples: `agent.metricsInterval`. */
  interval?: number;
  /** The supervisor's services; none when not given. */
  services?: () => ServiceStatusInput[];
  /** Every process of /proc as a sample read them, for others who need them all (the supervisor). */
  onProcessTable?: (table: ProcessTable) => void;
  mounts?: MountFilter;
  /** Block devices left out of the I/O metrics; default `IGNORED_DISKS`. */
  ignoreDisks?: RegExp;
  statfsTimeoutMs?: number;
  ticksPerSecond?: number;
  pageSize?: number;
  /** A source that failed to read (also counted in `opsfleet_agent_metrics_errors_total`). */
  onError?: (source: string, err: unknown) => void;
}

export interface AgentMetrics {
  readonly registry: Registry;
  /** Reads everything once and updates the registry (CPU % needs this to have run twice). */
  sample(): Promise<void>;
  /** Samples now (the CPU baseline) and every `interval` after; the timer does not hold the process. */
  start(): void;
  stop(): void;
}

/** The exposition text and the Content-Type to serve it with at GET /metrics. */
export async function renderMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

type Source = 'cpu' | 'memory' | 'load' | 'filesystems' | 'diskstats' | 'network' | 'services';

/** Empties a metric; one without labels then has no sample at all (prom-client's reset leaves a 0). */
function clear<M extends Gauge<string>>(metric: M): M {
  metric.reset();
  if (!(metric as unknown as { labelNames: string[] }).labelNames.length) metric.remove({});
  return metric;
}

export function createAgentMetrics(opts: AgentMetricsOptions = {}): AgentMetrics {
  const registry = opts.registry ?? new Registry();
  const proc = opts.proc ?? '/proc';
  const registers = [registry];
  // A metric without labels is absent until it has a value: no made-up 0 before the first sample.
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    clear(new Gauge<L>({ name, help, labelNames, registers }));
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });

  const m = {
    cpuBusy: gauge(
      'opsfleet_agent_cpu_usage_percent',
      'CPU busy (100 − idle − iowait) over the last interval, percent of all CPUs.',
    ),
    cpuMode: gauge(
      'opsfleet_agent_cpu_mode_percent',
      'Share of CPU time per mode over the last interval, percent of all CPUs; the modes add up to 100.',
      ['mode'],
    ),
    cpuCores: gauge('opsfleet_agent_cpu_cores', 'Logical CPUs (cpuN lines of /proc/stat).'),
    bootTime: gauge('opsfleet_agent_boot_time_seconds', 'When the host booted, seconds since the epoch.'),
    memory: gauge(
      'opsfleet_agent_memory_bytes',
      'Memory by kind: total, available, used (total − available), free, buffers, cached.',
      ['kind'],
    ),
    swap: gauge('opsfleet_agent_swap_bytes', 'Swap by kind: total, free, used.', ['kind']),
    load: gauge('opsfleet_agent_load', 'Load average by period (1m, 5m, 15m).', ['period']),
    diskBytes: gauge(
      'opsfleet_agent_disk_bytes',
      'Filesystem space by kind: size, free (root reserve included), avail (for unprivileged users), used (size − free).',
      ['mountpoint', 'device', 'fstype', 'kind'],
    ),
    diskInodes: gauge('opsfleet_agent_disk_inodes', 'Filesystem inodes by kind: total, free.', [
      'mountpoint',
      'device',
      'fstype',
      'kind',
    ]),
    diskIoBytes: counter('opsfleet_agent_disk_io_bytes_total', 'Bytes read and written per block device.', [
      'device',
      'direction',
    ]),
    diskIoOps: counter(
      'opsfleet_agent_disk_io_operations_total',
      'Completed reads and writes per block device.',
      ['device', 'direction'],
    ),
    diskIoTime: counter(
      'opsfleet_agent_disk_io_time_seconds_total',
      'Time each block device had I/O in flight; its rate is the utilisation.',
      ['device'],
    ),
    netBytes: counter('opsfleet_agent_network_bytes_total', 'Bytes per interface and direction.', [
      'interface',
      'direction',
    ]),
    netPackets: counter('opsfleet_agent_network_packets_total', 'Packets per interface and direction.', [
      'interface',
      'direction',
    ]),
    netErrors: counter('opsfleet_agent_network_errors_total', 'Errors per interface and direction.', [
      'interface',
      'direction',
    ]),
    netDrops: counter('opsfleet_agent_network_drops_total', 'Dropped packets per interface and direction.', [
      'interface',
      'direction',
    ]),
    svcUp: gauge('opsfleet_agent_service_up', '1 when the service is running and its main process exists.', [
      'service',
    ]),
    svcCpu: gauge(
      'opsfleet_agent_service_cpu_percent',
      'CPU of the service process tree over the last interval, percent of one core (can pass 100).',
      ['service'],
    ),
    svcRss: gauge(
      'opsfleet_agent_service_rss_bytes',
      'Resident memory summed over the service process tree.',
      ['service'],
    ),
    svcUptime: gauge('opsfleet_agent_service_uptime_seconds', 'Since the main process started.', ['service']),
    svcRestarts: counter('opsfleet_agent_service_restarts_total', 'Restarts counted by the supervisor.', [
      'service',
    ]),
    svcFiles: gauge(
      'opsfleet_agent_service_open_files',
      'Open file descriptors summed over the service process tree; absent when /proc/<pid>/fd may not be read.',
      ['service'],
    ),
    svcThreads: gauge('opsfleet_agent_service_threads', 'Threads summed over the service process tree.', [
      'service',
    ]),
    svcProcesses: gauge('opsfleet_agent_service_processes', 'Processes in the service process tree.', [
      'service',
    ]),
    errors: counter('opsfleet_agent_metrics_errors_total', 'Samples of a source that failed to read.', [
      'source',
    ]),
  };

  const services = new ServiceSampler({
    ...(opts.ticksPerSecond ? { ticksPerSecond: opts.ticksPerSecond } : {}),
    ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
  });
  let prevStat: ProcStatFile | undefined;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  function attempt<T>(source: Source, read: () => T): T | undefined {
    try {
      return read();
    } catch (err) {
      m.errors.inc({ source });
      opts.onError?.(source, err);
      return undefined;
    }
  }

  async function sampleOnce(): Promise<void> {
    // Read everything first, then update the registry in one synchronous step, so a scrape
    // never sees half a sample.
    const stat = attempt('cpu', () => readProcStat(proc));
    const usage: CpuUsage | undefined = stat && prevStat ? cpuUsage(prevStat.total, stat.total) : undefined;
    if (stat) prevStat = stat;
    const memory = attempt('memory', () => readMeminfo(proc));
    const load = attempt('load', () => readLoadavg(proc));
    const mounts = attempt('filesystems', () => dataMounts(readMounts(proc), opts.mounts));
    const fs: FilesystemUsage[] | undefined = mounts
      ? await filesystemUsage(mounts, {
          ...(opts.rootfs ? { rootfs: opts.rootfs } : {}),
          ...(opts.statfsTimeoutMs ? { timeoutMs: opts.statfsTimeoutMs } : {}),
        })
      : undefined;
    const disks = attempt('diskstats', () => readDiskstats(proc, opts.ignoreDisks));
    const net = attempt('network', () => readNetDev(proc));
    const list = attempt('services', () => opts.services?.() ?? []) ?? [];
    const table: ProcessTable | undefined = list.some((s) => s.pid)
      ? attempt('services', () => readProcessTable(proc))
      : { proc, byPid: new Map(), children: new Map() };
    const svc = table ? attempt('services', () => services.sample(list, table)) : undefined;
    if (table?.byPid.size) attempt('services', () => opts.onProcessTable?.(table));

    applyCpu(stat, usage);
    applyMemory(memory);
    applyLoad(load);
    applyFilesystems(fs);
    applyDisks(disks);
    applyNetwork(net);
    applyServices(svc);
  }

  function applyCpu(stat: ProcStatFile | undefined, usage: CpuUsage | undefined) {
    clear(m.cpuBusy);
    m.cpuMode.reset();
    if (stat) {
      m.cpuCores.set(stat.cpus.filter(Boolean).length);
      if (stat.btime) m.bootTime.set(stat.btime);
    }
    if (!usage) return;
    m.cpuBusy.set(usage.busy);
    for (const mode of CPU_MODES) m.cpuMode.set({ mode }, usage.modes[mode]);
  }

  function applyMemory(mem: MemoryInfo | undefined) {
    m.memory.reset();
    m.swap.reset();
    if (!mem) return;
    for (const kind of ['total', 'available', 'used', 'free', 'buffers', 'cached'] as const)
      m.memory.set({ kind }, mem[kind]);
    m.swap.set({ kind: 'total' }, mem.swapTotal);
    m.swap.set({ kind: 'free' }, mem.swapFree);
    m.swap.set({ kind: 'used' }, mem.swapUsed);
  }

  function applyLoad(load: LoadAverage | undefined) {
    m.load.reset();
    if (!load) return;
    m.load.set({ period: '1m' }, load.load1);
    m.load.set({ period: '5m' }, load.load5);
    m.load.set({ period: '15m' }, load.load15);
  }

  function applyFilesystems(fs: FilesystemUsage[] | undefined) {
    m.diskBytes.reset();
    m.diskInodes.reset();
    for (const f of fs ?? []) {
      const l = { mountpoint: f.mountpoint, device: f.device, fstype: f.fstype };
      for (const kind of ['size', 'free', 'avail', 'used'] as const) m.diskBytes.set({ ...l, kind }, f[kind]);
      m.diskInodes.set({ ...l, kind: 'total' }, f.inodes);
      m.diskInodes.set({ ...l, kind: 'free' }, f.inodesFree);
    }
  }

  function applyDisks(disks: DiskStats[] | undefined) {
    m.diskIoBytes.reset();
    m.diskIoOps.reset();
    m.diskIoTime.reset();
    for (const d of disks ?? []) {
      m.diskIoBytes.inc({ device: d.device, direction: 'read' }, d.readBytes);
      m.diskIoBytes.inc({ device: d.device, direction: 'write' }, d.writeBytes);
      m.diskIoOps.inc({ device: d.device, direction: 'read' }, d.readsCompleted);
      m.diskIoOps.inc({ device: d.device, direction: 'write' }, d.writesCompleted);
      m.diskIoTime.inc({ device: d.device }, d.ioTimeMs / 1000);
    }
  }

  function applyNetwork(net: NetworkInterface[] | undefined) {
    for (const c of [m.netBytes, m.netPackets, m.netErrors, m.netDrops]) c.reset();
    for (const i of net ?? []) {
      for (const direction of ['receive', 'transmit'] as const) {
        const l = { interface: i.name, direction };
        m.netBytes.inc(l, i[direction].bytes);
        m.netPackets.inc(l, i[direction].packets);
        m.netErrors.inc(l, i[direction].errors);
        m.netDrops.inc(l, i[direction].drops);
      }
    }
  }

  function applyServices(svc: ServiceMetrics[] | undefined) {
    for (const g of [m.svcUp, m.svcCpu, m.svcRss, m.svcUptime, m.svcFiles, m.svcThreads, m.svcProcesses])
      g.reset();
    m.svcRestarts.reset();
    for (const s of svc ?? []) {
      const l = { service: s.name };
      m.svcUp.set(l, s.up ? 1 : 0);
      m.svcRestarts.inc(l, s.restarts);
      m.svcProcesses.set(l, s.processes);
      if (s.cpuPercent !== undefined) m.svcCpu.set(l, s.cpuPercent);
      if (s.rssBytes !== undefined) m.svcRss.set(l, s.rssBytes);
      if (s.uptimeSeconds !== undefined) m.svcUptime.set(l, s.uptimeSeconds);
      if (s.openFiles !== undefined) m.svcFiles.set(l, s.openFiles);
      if (s.threads !== undefined) m.svcThreads.set(l, s.threads);
    }
  }

  const sample = (): Promise<void> => {
    // One sample at a time: a slow statfs must not pile samples up.
    running ??= sampleOnce()
      .catch((err) => {
        m.errors.inc({ source: 'sampler' });
        opts.onError?.('sampler', err);
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  return {
    registry,
    sample,
    start() {
      if (timer) return;
      void sample();
      timer = setInterval(() => void sample(), opts.interval ?? 10_000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
