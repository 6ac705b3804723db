import { describe, expect, it } from 'vitest';
import { cpuUsage, parseLoadavg, parseMeminfo, parseMounts, parseProcStat } from './system.ts';

describe('cpuUsage', () => {
  const at = (line: string) => parseProcStat(`${line}\n`).total;

  it('a counter that went backwards counts as 0, not as negative time', () => {
    // iowait is known to step back on NO_HZ kernels
    const u = cpuUsage(at('cpu  100 0 100 700 100 0 0 0'), at('cpu  150 0 150 800 90 0 0 0'))!;
    expect(u.modes).toMatchObject({ user: 25, system: 25, idle: 50, iowait: 0 });
    expect(u.busy).toBe(50);
  });

  it('no tick between the samples: no answer rather than 0', () => {
    expect(cpuUsage(at('cpu  1 2 3 4 5 6 7 8'), at('cpu  1 2 3 4 5 6 7 8'))).toBeUndefined();
  });

  it('an old kernel without steal and guest columns', () => {
    expect(cpuUsage(at('cpu  0 0 0 0 0 0 0'), at('cpu  10 0 10 80 0 0 0'))!.busy).toBe(20);
  });
});

describe('parsers', () => {
  it('a kernel without MemAvailable (< 3.14): free + buffers + cached', () => {
    const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n');
    expect([m.total, m.available, m.used]).toEqual([1_024_000, 409_600, 614_400]);
  });

  it('loadavg', () => {
    expect(parseLoadavg('12.50 8.00 4.25 17/2048 4242')).toEqual({
      load1: 12.5,
      load5: 8,
      load15: 4.25,
      running: 17,
      entities: 2048,
    });
  });

  it('mount points with escaped tab, newline and backslash', () => {
    expect(parseMounts('/dev/sda1 /mnt/a\\011b\\012c\\134d ext4 rw 0 0\n')[0]?.mountpoint).toBe(
      '/mnt/a\tb\nc\\d',
    );
  });
});
