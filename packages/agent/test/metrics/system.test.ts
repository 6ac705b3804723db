import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cpuUsage,
  dataMounts,
  filesystemUsage,
  readDiskstats,
  readLoadavg,
  readMeminfo,
  readMounts,
  readNetDev,
  readProcStat,
} from '../../src/metrics/system.ts';

const T0 = join(import.meta.dirname, 'fixtures/proc-t0');
const T1 = join(import.meta.dirname, 'fixtures/proc-t1');

describe('/proc/stat', () => {
  it('reads the totals, every core and the counters', () => {
    const s = readProcStat(T1);
    expect(s.total).toEqual({
      user: 10300,
      nice: 100,
      system: 3100,
      idle: 80550,
      iowait: 520,
      irq: 0,
      softirq: 220,
      steal: 210,
      guest: 50,
      guestNice: 0,
    });
    expect(s.cpus).toHaveLength(2);
    expect(s.cpus[1]?.idle).toBe(40300);
    expect(s).toMatchObject({
      btime: 1700000000,
      processes: 54330,
      procsRunning: 3,
      procsBlocked: 1,
      contextSwitches: 123460000,
    });
  });

  it('CPU use is the delta between two samples, not the average since boot', () => {
    const u = cpuUsage(readProcStat(T0).total, readProcStat(T1).total)!;
    // Δ: user 300, system 100, idle 550, iowait 20, softirq 20, steal 10 = 1000 ticks; guest
    // (+50) is inside user already and is not added again.
    expect(u.modes).toEqual({
      user: 30,
      nice: 0,
      system: 10,
      idle: 55,
      iowait: 2,
      irq: 0,
      softirq: 2,
      steal: 1,
    });
    expect(u.busy).toBe(43);
    // Averaged since boot the same host reads 14.66 % busy, whatever it does now.
    expect(cpuUsage(zero, readProcStat(T1).total)!.busy).toBeCloseTo(14.66, 2);
  });

  it('per core the same way', () => {
    const [a0, a1] = readProcStat(T0).cpus;
    const [b0, b1] = readProcStat(T1).cpus;
    expect(cpuUsage(a0!, b0!)!.modes.idle).toBeCloseTo((250 / 525) * 100, 10);
    expect(cpuUsage(a1!, b1!)!.modes.idle).toBeCloseTo((300 / 475) * 100, 10);
  });
});

const zero = {
  user: 0,
  nice: 0,
  system: 0,
  idle: 0,
  iowait: 0,
  irq: 0,
  softirq: 0,
  steal: 0,
  guest: 0,
  guestNice: 0,
};

describe('/proc/meminfo, /proc/loadavg', () => {
  it('memory in bytes, used = total − available, swap used = total − free', () => {
    expect(readMeminfo(T1)).toEqual({
      total: 16710123520,
      available: 10113581056,
      used: 6596542464,
      free: 1232338944,
      buffers: 353894400,
      cached: 7838023680,
      swapTotal: 2147479552,
      swapFree: 1610608640,
      swapUsed: 536870912,
    });
  });

  it('load and scheduling entities', () => {
    expect(readLoadavg(T1)).toEqual({ load1: 0.52, load5: 0.58, load15: 0.59, running: 3, entities: 1234 });
  });
});

describe('/proc/mounts', () => {
  it('keeps data filesystems, one per block device, and unescapes mount points', () => {
    const mounts = readMounts(T1);
    expect(mounts).toHaveLength(25);
    expect(dataMounts(mounts).map((m) => [m.mountpoint, m.device, m.fstype])).toEqual([
      ['/', '/dev/nvme0n1p2', 'ext4'], // its bind mount at /var/lib/bind-of-root is left out
      ['/boot/efi', '/dev/nvme0n1p1', 'vfat'],
      ['/data', '/dev/mapper/vg0-data', 'xfs'],
      ['/mnt/backup disk', '/dev/sdb1', 'ext4'],
      ['/srv', '/dev/sdc1', 'ext4'], // the shorter of two mounts of sdc1, where the first was
      ['/home', 'nas.lan:/export/home', 'nfs4'],
      // not: sysfs, proc, devtmpfs, devpts, tmpfs ×3, securityfs, cgroup2, pstore, bpf, autofs,
      // hugetlbfs, mqueue, the snap squashfs, docker's overlay, nsfs
    ]);
  });

  it('statfs sizes agree with df', async () => {
    const [root] = await filesystemUsage([{ device: 'root', mountpoint: '/', fstype: 'any', options: [] }]);
    const [size, used, avail] = execFileSync('df', ['-B1', '--output=size,used,avail', '/'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')[1]!
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(root!.size).toBe(size);
    // the root filesystem is busy (this test suite writes to it): allow 64 MiB of drift
    expect(Math.abs(root!.used - used!)).toBeLessThan(64 * 2 ** 20);
    expect(Math.abs(root!.avail - avail!)).toBeLessThan(64 * 2 ** 20);
    expect(root!.free).toBeGreaterThanOrEqual(root!.avail);
    expect(root!.inodes).toBeGreaterThan(0);
  });

  it('a mount that cannot be stat-ed is left out, not reported as 0', async () => {
    const got = await filesystemUsage([
      { device: '/dev/x', mountpoint: '/no/such/mount/point', fstype: 'ext4', options: [] },
    ]);
    expect(got).toEqual([]);
  });
});

describe('/proc/diskstats', () => {
  it('whole disks and dm devices; partitions, loop and zram left out; bytes = sectors × 512', () => {
    const disks = readDiskstats(T1);
    expect(disks.map((d) => d.device)).toEqual(['nvme0n1', 'sda', 'dm-0', 'sr0']);
    expect(disks[0]).toEqual({
      device: 'nvme0n1',
      major: 259,
      minor: 0,
      readsCompleted: 184342,
      readBytes: 6167711744,
      readTimeMs: 47315,
      writesCompleted: 412678,
      writeBytes: 13143973888,
      writeTimeMs: 356042,
      inProgress: 0,
      ioTimeMs: 257320,
      weightedIoTimeMs: 419730,
    });
    // a pre-4.18 kernel's 14-column line reads the same
    expect(disks[1]).toMatchObject({
      device: 'sda',
      readBytes: 4159209472,
      writeBytes: 2054320128,
      inProgress: 1,
    });
  });
});

describe('/proc/net/dev', () => {
  it('per interface, loopback included, a counter touching the colon read right', () => {
    const ifs = readNetDev(T1);
    expect(ifs.map((i) => i.name)).toEqual(['lo', 'eth0', 'docker0', 'veth1a2b3c4']);
    expect(ifs[1]).toEqual({
      name: 'eth0',
      receive: { bytes: 98765432109, packets: 8765432, errors: 12, drops: 34 },
      transmit: { bytes: 1234567890, packets: 987654, errors: 5, drops: 6 },
    });
    expect(ifs[3]?.transmit.errors).toBe(2);
  });
});
