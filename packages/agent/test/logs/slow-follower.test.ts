import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { logPath } from '../../src/logs/files.ts';
import type { LogLine } from '../../src/logs/query.ts';
import { collapseSupported, Rotator } from '../../src/logs/rotation.ts';
import { followLog } from '../../src/logs/stream.ts';
import { numbersOnDisk, sleep, startWriter, tempDir } from './helpers.ts';

/**
 * A follower whose client stops taking lines (a pager, a full pipe: gRPC flow control holds the
 * follower) while the service writes tens of MiB and the log rotates under it, several times
 * while the follower is still reading the copies of an earlier rotation. What it gives out must
 * be the log on disk: every line once, in order, through to the last.
 */

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const canCollapse = await collapseSupported(tmpdir());
const methods = [['copy-truncate', 'copy-truncate'], ...(canCollapse ? [['collapse', 'auto']] : [])] as [
  string,
  'auto' | 'copy-truncate',
][];

const numberOf = (l: LogLine) => Number(/^line (\d+) /.exec(l.text)?.[1]);

describe('a follower consumed slowly', () => {
  for (const [label, method] of methods) {
    it(`${label}: gives every line once, in order, however far behind it falls`, async () => {
      const d = await tempDir('slow');
      dirs.push(d);
      const total = 200_000; // 100-byte lines: about 20 MiB
      const rotator = new Rotator({ dir: d, interval: 20, minInterval: 5, method });
      // Copies kept for all of it, so the disk holds the whole log to compare with.
      rotator.setServices([{ name: 'w', maxSize: 1 << 20, keep: 200 }]);
      rotator.start();
      const ac = new AbortController();
      const it = followLog(d, 'w', { signal: ac.signal, pollInterval: 50 })[Symbol.asyncIterator]();
      const got: number[] = [];
      // A follower that stops giving lines while it is asked for them, for 10 s, is stuck.
      let asking = false;
      let progressAt = Date.now();
      const watchdog = setInterval(() => {
        if (asking && Date.now() - progressAt > 10_000) ac.abort();
      }, 100);
      const take = async (n: number) => {
        asking = true;
        progressAt = Date.now();
        try {
          for (let i = 0; i < n && got.at(-1) !== total; i++) {
            const r = await it.next();
            if (r.done) return;
            got.push(numberOf(r.value));
            progressAt = Date.now();
          }
        } finally {
          asking = false;
        }
      };
      const rotatedSince = async (from: number, ms: number) => {
        const t = Date.now();
        while (rotator.stats().rotations === from && Date.now() - t < ms) await sleep(10);
      };

      const writer = startWriter(logPath(d, 'w'), { total, burst: 200, pauseMs: 1, pad: 88 });
      let exited = false;
      void writer.done.then(() => {
        exited = true;
      });
      // Take a few lines, then none until the log rotated again: each time the follower is held
      // in the middle of what it reads, the live file or the copies of an earlier rotation.
      while (!exited && !ac.signal.aborted) {
        await take(2000);
        await rotatedSince(rotator.stats().rotations, 2000);
      }
      expect(await writer.done).toBe(0);
      // Then as fast as it goes, to the last line (or until it is stuck).
      await take(Number.POSITIVE_INFINITY);
      const stuck = ac.signal.aborted;
      clearInterval(watchdog);
      ac.abort();
      await it.return?.(undefined);
      await rotator.stop();

      const onDisk = [...(await numbersOnDisk(d, 'w')).keys()].sort((a, b) => a - b);
      const stats = rotator.stats();
      console.log(
        `${label}: ${got.length} lines given, ${onDisk.length} on disk, ${stats.rotations} rotations, last ${got.at(-1)}`,
      );
      expect(stuck).toBe(false);
      expect(stats.rotations).toBeGreaterThan(5);
      // Once each, in order, the same as on disk (copy-truncate may lose a few on disk itself).
      expect(got.length).toBe(onDisk.length);
      expect(got).toEqual(onDisk);
      if (label === 'collapse') expect(onDisk.length).toBe(total);
    }, 60_000);
  }
});
