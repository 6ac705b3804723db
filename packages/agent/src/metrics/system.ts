import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Host metrics read from /proc. Every reader takes the proc root (`/proc`, or a fixture tree in
 * tests, or `/host/proc` when the agent runs in a container) and every calculation is a pure
 * function of what was read, so the numbers can be checked exactly.
 */

// ---------------------------------------------------------------------------------------------
// CPU: /proc/stat

/** The CPU modes of /proc/stat, in clock ticks since boot. */
export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
export type CpuMode = (typeof CPU_MODES)[number];

export interface CpuTimes extends Record<CpuMode, number> {
  /** Time spent running guests; already counted in `user` (and `guestNice` in `nice`) by the kernel. */
  guest: number;
  guestNice: number;
}

export interface ProcStatFile {
  /** The `cpu` line: all CPUs together. */
  total: CpuTimes;
  /** The `cpuN` lines, index N. */
  cpus: CpuTimes[];
  /** Boot time, seconds since the epoch. */
  btime?: number;
  /** Processes and threads created since boot. */
  processes?: number;
  procsRunning?: number;
  procsBlocked?: number;
  contextSwitches?: number;
}

function cpuTimes(fields: string[]): CpuTimes {
  // Older kernels have fewer columns (steal since 2.6.11, guest 2.6.24, guest_nice 2.6.33).
  const n = (i: number) => Number(fields[i] ?? 0) || 0;
  return {
    user: n(0),
    nice: n(1),
    system: n(2),
    idle: n(3),
    iowait: n(4),
    irq: n(5),
    softirq: n(6),
    steal: n(7),
    guest: n(8),
    guestNice: n(9),
  };
}

export function parseProcStat(text: string): ProcStatFile {
  const out: ProcStatFile = { total: cpuTimes([]), cpus: [] };
  for (const line of text.split('\n')) {
    const [key, ...fields] = line.trim().split(/\s+/);
    if (!key) continue;
    if (key === 'cpu') out.total = cpuTimes(fields);
    else if (/^cpu\d+$/.test(key)) out.cpus[Number(key.slice(3))] = cpuTimes(fields);
    else if (key === 'btime') out.btime = Number(fields[0]);
    else if (key === 'processes') out.processes = Number(fields[0]);
    else if (key === 'procs_running') out.procsRunning = Number(fields[0]);
    else if (key === 'procs_blocked') out.procsBlocked = Number(fields[0]);
    else if (key === 'ctxt') out.contextSwitches = Number(fields[0]);
  }
  return out;
}

export function readProcStat(proc = '/proc'): ProcStatFile {
  return parseProcStat(readFileSync(join(proc, 'stat'), 'utf8'));
}

export interface CpuUsage {
  /** Busy: 100 − idle − iowait, percent of all CPUs (0–100 whatever the core count). */
  busy: number;
  /** Each mode's share of the interval, percent; the modes add up to 100. */
  modes: Record<CpuMode, number>;
}

/**
 * CPU use between two readings of /proc/stat: each mode's tick delta over the sum of the mode
 * deltas. `guest`/`guestNice` are left out of the sum because the kernel already counts them
 * in `user`/`nice`. A counter that went backwards (iowait can, on NO_HZ kernels) counts as 0.
 * Undefined when no tick passed (the same reading twice).
 */
export function cpuUsage(prev: CpuTimes, next: CpuTimes): CpuUsage | undefined {
  const delta = {} as Record<CpuMode, number>;
  let total = 0;
  for (const m of CPU_MODES) {
    delta[m] = Math.max(0, next[m] - prev[m]);
    total += delta[m];
  }
  if (total <= 0) return undefined;
  const modes = {} as Record<CpuMode, number>;
  for (const m of CPU_MODES) modes[m] = (delta[m] * 100) / total;
  return { busy: 100 - modes.idle - modes.iowait, modes };
}

// ---------------------------------------------------------------------------------------------
// Memory: /proc/meminfo

export interface MemoryInfo {
  /** Bytes. */
  total: number;
  /** MemAvailable: what can be given to new work without swapping (kernel ≥ 3.14 estimate). */
  available: number;
  /** total − available. */
  used: number;
  free: number;
  buffers: number;
  cached: number;
  swapTotal: number;
  swapFree: number;
  /** swapTotal − swapFree. */
  swapUsed: number;
}

/** /proc/meminfo as bytes by key (`kB` values × 1024; the HugePages_* counts stay counts). */
export function parseMeminfoFields(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(?:\s+(kB))?/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * (m[3] ? 1024 : 1);
  }
  return out;
}

export function parseMeminfo(text: string): MemoryInfo {
  const f = parseMeminfoFields(text);
  const get = (k: string) => f[k] ?? 0;
  const total = get('MemTotal');
  // Kernels before 3.14 have no MemAvailable; free + buffers + cached is the old approximation.
  const available = f.MemAvailable ?? get('MemFree') + get('Buffers') + get('Cached');
  return {
    total,
    available,
    used: total - available,
    free: get('MemFree'),
    buffers: get('Buffers'),
    cached: get('Cached'),
    swapTotal: get('SwapTotal'),
    swapFree: get('SwapFree'),
    swapUsed: get('SwapTotal') - get('SwapFree'),
  };
}

export function readMeminfo(proc = '/proc'): MemoryInfo {
  return parseMeminfo(readFileSync(join(proc, 'meminfo'), 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Load: /proc/loadavg

export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
  /** Runnable scheduling entities (threads) now. */
  running: number;
  /** Scheduling entities (threads) that exist. */
  entities: number;
}

export function parseLoadavg(text: string): LoadAverage {
  const [l1, l5, l15, re] = text.trim().split(/\s+/);
  const [running, entities] = (re ?? '0/0').split('/');
  return {
    load1: Number(l1),
    load5: Number(l5),
    load15: Number(l15),
    running: Number(running),
    entities: Number(entities),
  };
}

export function readLoadavg(proc = '/proc'): LoadAverage {
  return parseLoadavg(readFileSync(join(proc, 'loadavg'), 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Filesystems: /proc/mounts + statfs

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
  options: string[];
}

/** Mount points and devices escape space, tab, newline and backslash as `\040`, `\011`, `\012`, `\134`. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const [device, mountpoint, fstype, options] = line.trim().split(/\s+/);
    if (!device || !mountpoint || !fstype) continue;
    out.push({
      device: unescapeMount(device),
      mountpoint: unescapeMount(mountpoint),
      fstype,
      options: (options ?? '').split(','),
    });
  }
  return out;
}

/**
 * Filesystem types that hold no user data, or only memory (tmpfs, ramfs: their size is RAM, and
 * they are counted there), or read-only images (squashfs snaps, iso9660, erofs), or are views of
 * other filesystems (autofs triggers, fuse control, nsfs). `overlay` is kept: it is the root of
 * a container, and the overlays Docker keeps under /var/lib/docker are dropped by mount point.
 */
export const PSEUDO_FSTYPES: ReadonlySet<string> = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'erofs',
  'fusectl',
  'hugetlbfs',
  'iso9660',
  'mqueue',
  'nsfs',
  'proc',
  'pstore',
  'ramfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'squashfs',
  'sysfs',
  'tmpfs',
  'tracefs',
]);

/** Mount points below these belong to the kernel or to container runtimes, not to the host's disks. */
export const IGNORED_MOUNTPOINTS: readonly RegExp[] = [
  /^\/(proc|sys|dev|run\/credentials|snap)(\/|$)/,
  /^\/var\/lib\/(docker|containers|kubelet\/pods)\//,
];

export interface MountFilter {
  fstypes?: ReadonlySet<string>;
  mountpoints?: readonly RegExp[];
}

/**
 * The mounts worth a disk metric: pseudo and memory filesystems and runtime mount points left
 * out, and one entry per device (a bind mount or a second mount of the same block device shows
 * the same sizes; the shortest mount point is kept).
 */
export function dataMounts(mounts: Mount[], filter: MountFilter = {}): Mount[] {
  const fstypes = filter.fstypes ?? PSEUDO_FSTYPES;
  const ignored = filter.mountpoints ?? IGNORED_MOUNTPOINTS;
  /** Index in `out` of the mount kept for a block device. */
  const byDevice = new Map<string, number>();
  const out: Mount[] = [];
  for (const m of mounts) {
    if (fstypes.has(m.fstype) || ignored.some((re) => re.test(m.mountpoint))) continue;
    // Only block devices are deduplicated: `overlay`, `server:/export` may name many filesystems.
    if (m.device.startsWith('/dev/')) {
      const seen = byDevice.get(m.device);
      if (seen !== undefined) {
        if (m.mountpoint.length < out[seen]!.mountpoint.length) out[seen] = m;
        continue;
      }
      byDevice.set(m.device, out.length);
    }
    out.push(m);
  }
  return out;
}

export function readMounts(proc = '/proc'): Mount[] {
  return parseMounts(readFileSync(join(proc, 'mounts'), 'utf8'));
}

export interface FilesystemUsage extends Mount {
  /** Bytes: the whole filesystem, free (root included), available to unprivileged users, used = size − free (as df). */
  size: number;
  free: number;
  avail: number;
  used: number;
  inodes: number;
  inodesFree: number;
}

/**
 * statfs(2) of each mount, with a time limit per call: a dead NFS server must not stall the
 * sampler (the call itself may stay stuck in the thread pool; its result is ignored). Mounts
 * that fail or time out are left out. `rootfs` prefixes the mount points when the host's root
 * is mounted elsewhere (an agent in a container with `/:/host`).
 */
export async function filesystemUsage(
  mounts: Mount[],
  opts: { rootfs?: string; timeoutMs?: number } = {},
): Promise<FilesystemUsage[]> {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  const results = await Promise.all(
    mounts.map(async (m) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const s = await Promise.race([
          statfs(opts.rootfs ? join(opts.rootfs, m.mountpoint) : m.mountpoint),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`statfs ${m.mountpoint} timed out`)), timeoutMs);
            timer.unref();
          }),
        ]);
        return {
          ...m,
          size: s.blocks * s.bsize,
          free: s.bfree * s.bsize,
          avail: s.bavail * s.bsize,
          used: (s.blocks - s.bfree) * s.bsize,
          inodes: s.files,
          inodesFree: s.ffree,
        };
      } catch {
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return results.filter((r): r is FilesystemUsage => r !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Disk I/O: /proc/diskstats

export interface DiskStats {
  device: string;
  major: number;
  minor: number;
  readsCompleted: number;
  /** Bytes: sectors × 512 (diskstats sectors are always 512 bytes, whatever the device's). */
  readBytes: number;
  readTimeMs: number;
  writesCompleted: number;
  writeBytes: number;
  writeTimeMs: number;
  inProgress: number;
  /** Time the device had I/O in flight: its rate is the utilisation. */
  ioTimeMs: number;
  weightedIoTimeMs: number;
}

/**
 * Devices left out by default: RAM disks, zram (swap in RAM, counted as memory), loop devices,
 * floppies, and partitions of sd/vd/xvd/hd, NVMe and MMC disks (their I/O is in the whole disk's
 * line; counting both would count it twice). Device-mapper (LVM, crypt) devices are kept.
 */
export const IGNORED_DISKS =
  /^(ram\d+|zram\d+|loop\d+|fd\d+|(h|s|v|xv)d[a-z]+\d+|nvme\d+n\d+p\d+|mmcblk\d+p\d+)$/;

export function parseDiskstats(text: string, ignore: RegExp | undefined = IGNORED_DISKS): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const device = f[2]!;
    if (ignore?.test(device)) continue;
    const n = (i: number) => Number(f[i]);
    out.push({
      device,
      major: n(0),
      minor: n(1),
      readsCompleted: n(3),
      readBytes: n(5) * 512,
      readTimeMs: n(6),
      writesCompleted: n(7),
      writeBytes: n(9) * 512,
      writeTimeMs: n(10),
      inProgress: n(11),
      ioTimeMs: n(12),
      weightedIoTimeMs: n(13),
    });
  }
  return out;
}

export function readDiskstats(proc = '/proc', ignore?: RegExp): DiskStats[] {
  return parseDiskstats(readFileSync(join(proc, 'diskstats'), 'utf8'), ignore);
}

// ---------------------------------------------------------------------------------------------
// Network: /proc/net/dev

export interface InterfaceCounters {
  bytes: number;
  packets: number;
  errors: number;
  drops: number;
}

export interface NetworkInterface {
  name: string;
  receive: InterfaceCounters;
  transmit: InterfaceCounters;
}

/**
 * /proc/net/dev: two header lines, then `name: 8 receive columns, 8 transmit columns`. A large
 * counter can touch the colon (`eth0:1234…`), so the name is split at the colon, not at spaces.
 * Loopback is kept (a busy `lo` is worth seeing); the interface label says which it is.
 */
export function parseNetDev(text: string): NetworkInterface[] {
  const out: NetworkInterface[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const name = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (!name || f.length < 16) continue;
    out.push({
      name,
      receive: { bytes: f[0]!, packets: f[1]!, errors: f[2]!, drops: f[3]! },
      transmit: { bytes: f[8]!, packets: f[9]!, errors: f[10]!, drops: f[11]! },
    });
  }
  return out;
}

/** The agent's network namespace: run it in the host's to see the host's interfaces. */
export function readNetDev(proc = '/proc'): NetworkInterface[] {
  return parseNetDev(readFileSync(join(proc, 'net/dev'), 'utf8'));
}
