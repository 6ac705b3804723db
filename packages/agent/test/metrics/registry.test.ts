import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAgentMetrics, renderMetrics } from '../../src/metrics/registry.ts';
import type { ServiceStatusInput } from '../../src/metrics/service.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** The samples of the exposition text: `name{a="1",b="2"} value` → {name, labels, value}. */
function parseExposition(text: string) {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function seriesValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return parseExposition(text).find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

describe('the agent registry over a fixture /proc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-metrics-'));
  const proc = join(dir, 'proc');
  const rootfs = join(dir, 'root');
  for (const m of ['boot/efi', 'data', 'mnt/backup disk', 'srv', 'home'])
    mkdirSync(join(rootfs, m), { recursive: true });
  const use = (tree: 'proc-t0' | 'proc-t1') => {
    rmSync(proc, { recursive: true, force: true });
    cpSync(join(FIXTURES, tree), proc, { recursive: true });
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const services: ServiceStatusInput[] = [
    { name: 'a', pid: 100, restarts: 2, state: 'running' },
    { name: 'gone', pid: 999, restarts: 4, state: 'backoff' },
  ];
  const errors: string[] = [];
  const metrics = createAgentMetrics({
    proc,
    rootfs,
    services: () => services,
    ticksPerSecond: 100,
    pageSize: 4096,
    onError: (source) => errors.push(source),
  });

  it('after one sample: no CPU % yet (absent, not 0), everything else there', async () => {
    use('proc-t0');
    await metrics.sample();
    const text = (await renderMetrics(metrics.registry)).body;
    expect(text).toContain('# TYPE opsfleet_agent_cpu_usage_percent gauge');
    expect(seriesValue(text, 'opsfleet_agent_cpu_usage_percent')).toBeUndefined();
    expect(seriesValue(text, 'opsfleet_agent_cpu_mode_percent', { mode: 'idle' })).toBeUndefined();
    expect(seriesValue(text, 'opsfleet_agent_service_cpu_percent', { service: 'a' })).toBeUndefined();
    expect(seriesValue(text, 'opsfleet_agent_memory_bytes', { kind: 'total' })).toBe(16710123520);
    expect(seriesValue(text, 'opsfleet_agent_load', { period: '1m' })).toBe(0.48);
  });

  it('after two samples: every metric of the catalog, from the fixture numbers', async () => {
    use('proc-t1');
    await metrics.sample();
    const { contentType, body: text } = await renderMetrics(metrics.registry);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const v = (name: string, labels: Record<string, string> = {}) => seriesValue(text, name, labels);

    expect(v('opsfleet_agent_cpu_usage_percent')).toBe(43);
    expect(v('opsfleet_agent_cpu_mode_percent', { mode: 'user' })).toBe(30);
    expect(v('opsfleet_agent_cpu_mode_percent', { mode: 'steal' })).toBe(1);
    expect(v('opsfleet_agent_cpu_cores')).toBe(2);
    expect(v('opsfleet_agent_boot_time_seconds')).toBe(1700000000);

    expect(v('opsfleet_agent_memory_bytes', { kind: 'available' })).toBe(10113581056);
    expect(v('opsfleet_agent_memory_bytes', { kind: 'used' })).toBe(6596542464);
    expect(v('opsfleet_agent_swap_bytes', { kind: 'used' })).toBe(536870912);
    expect(v('opsfleet_agent_load', { period: '15m' })).toBe(0.59);

    const fs = statfsSync(rootfs);
    const disk = { mountpoint: '/mnt/backup disk', device: '/dev/sdb1', fstype: 'ext4' };
    expect(v('opsfleet_agent_disk_bytes', { ...disk, kind: 'size' })).toBe(fs.blocks * fs.bsize);
    expect(v('opsfleet_agent_disk_inodes', { ...disk, kind: 'total' })).toBe(fs.files);
    const mountpoints = new Set(
      parseExposition(text)
        .filter((s) => s.name === 'opsfleet_agent_disk_bytes')
        .map((s) => s.labels.mountpoint),
    );
    expect([...mountpoints]).toEqual(['/', '/boot/efi', '/data', '/mnt/backup disk', '/srv', '/home']);

    expect(v('opsfleet_agent_disk_io_bytes_total', { device: 'nvme0n1', direction: 'read' })).toBe(
      6167711744,
    );
    expect(v('opsfleet_agent_disk_io_bytes_total', { device: 'nvme0n1', direction: 'write' })).toBe(
      13143973888,
    );
    expect(v('opsfleet_agent_disk_io_operations_total', { device: 'sda', direction: 'read' })).toBe(90211);
    expect(v('opsfleet_agent_disk_io_time_seconds_total', { device: 'nvme0n1' })).toBe(257.32);
    expect(
      v('opsfleet_agent_disk_io_bytes_total', { device: 'nvme0n1p1', direction: 'read' }),
    ).toBeUndefined();

    expect(v('opsfleet_agent_network_bytes_total', { interface: 'eth0', direction: 'receive' })).toBe(
      98765432109,
    );
    expect(v('opsfleet_agent_network_bytes_total', { interface: 'lo', direction: 'transmit' })).toBe(7371931);
    expect(v('opsfleet_agent_network_packets_total', { interface: 'eth0', direction: 'transmit' })).toBe(
      987654,
    );
    expect(
      v('opsfleet_agent_network_errors_total', { interface: 'veth1a2b3c4', direction: 'transmit' }),
    ).toBe(2);
    expect(v('opsfleet_agent_network_drops_total', { interface: 'eth0', direction: 'receive' })).toBe(34);

    const a = { service: 'a' };
    expect(v('opsfleet_agent_service_up', a)).toBe(1);
    expect(v('opsfleet_agent_service_restarts_total', a)).toBe(2);
    expect(v('opsfleet_agent_service_processes', a)).toBe(5);
    expect(v('opsfleet_agent_service_rss_bytes', a)).toBe(34560 * 4096);
    expect(v('opsfleet_agent_service_open_files', a)).toBe(20);
    expect(v('opsfleet_agent_service_threads', a)).toBe(21);
    // 340 ticks between two samples taken moments apart: a large, positive number
    expect(v('opsfleet_agent_service_cpu_percent', a)).toBeGreaterThan(0);
    const started = 1_700_000_000 + 1234.56;
    expect(v('opsfleet_agent_service_uptime_seconds', a)).toBeCloseTo(Date.now() / 1000 - started, -1);

    const gone = { service: 'gone' };
    expect(v('opsfleet_agent_service_up', gone)).toBe(0);
    expect(v('opsfleet_agent_service_restarts_total', gone)).toBe(4);
    expect(v('opsfleet_agent_service_rss_bytes', gone)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('a source that cannot be read is counted and its series vanish; the others stay', async () => {
    rmSync(join(proc, 'diskstats'));
    services.splice(1, 1); // a service the supervisor no longer lists disappears too
    await metrics.sample();
    const text = (await renderMetrics(metrics.registry)).body;
    expect(seriesValue(text, 'opsfleet_agent_metrics_errors_total', { source: 'diskstats' })).toBe(1);
    expect(errors).toEqual(['diskstats']);
    expect(text).not.toContain('opsfleet_agent_disk_io_bytes_total{');
    expect(text).not.toContain('service="gone"');
    expect(seriesValue(text, 'opsfleet_agent_memory_bytes', { kind: 'total' })).toBe(16710123520);
  });
});

describe('the agent registry on this host', () => {
  it('reads the real /proc, with this test process as a service', async () => {
    const metrics = createAgentMetrics({
      services: () => [{ name: 'self', pid: process.pid, restarts: 0, state: 'running' }],
    });
    metrics.start();
    await metrics.sample(); // the one start() began
    const from = process.cpuUsage();
    while (process.cpuUsage(from).user < 200_000) {} // 0.2 s of CPU for this process to show
    await metrics.sample();
    metrics.stop();
    const text = (await renderMetrics(metrics.registry)).body;
    const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
    expect(seriesValue(text, 'opsfleet_agent_memory_bytes', { kind: 'total' })).toBe(memTotal);
    const busy = seriesValue(text, 'opsfleet_agent_cpu_usage_percent')!;
    expect(busy).toBeGreaterThan(0);
    expect(busy).toBeLessThanOrEqual(100);
    expect(seriesValue(text, 'opsfleet_agent_service_up', { service: 'self' })).toBe(1);
    // the exact figure is checked in service.test.ts; a loaded host stretches the wall time
    expect(seriesValue(text, 'opsfleet_agent_service_cpu_percent', { service: 'self' })).toBeGreaterThan(1);
    expect(text).toMatch(/opsfleet_agent_disk_bytes\{mountpoint="\/",.*kind="size"\} [1-9]/);
    expect(text).toMatch(/opsfleet_agent_network_bytes_total\{interface="lo",direction="receive"\} \d+/);
    expect(seriesValue(text, 'opsfleet_agent_metrics_errors_total', { source: 'cpu' })).toBeUndefined();
  });
});
