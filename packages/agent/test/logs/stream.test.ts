import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { logPath } from '../../src/logs/files.ts';
import { type LogLine, LogQueryError, MAX_TAIL } from '../../src/logs/query.ts';
import { collapseSupported, Rotator, rotateIfNeeded } from '../../src/logs/rotation.ts';
import { type FollowOptions, followLog } from '../../src/logs/stream.ts';
import { sleep, startWriter, summarize, tempDir } from './helpers.ts';

const dirs: string[] = [];
async function dir() {
  const d = await tempDir('stream');
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Follow in the background; `until(n)` waits for n lines; `stop()` aborts and waits for the end. */
function follow(d: string, name: string, opts: FollowOptions = {}) {
  const ac = new AbortController();
  const follower = followLog(d, name, { pollInterval: 50, ...opts, signal: ac.signal });
  const got: LogLine[] = [];
  const done = (async () => {
    for await (const l of follower) got.push(l);
  })();
  return {
    follower,
    got,
    texts: () => got.map((l) => l.text),
    async until(n: number, ms = 10_000) {
      const t = Date.now();
      while (got.length < n) {
        if (Date.now() - t > ms) throw new Error(`got ${got.length} of ${n} lines: ${got.at(-1)?.text}`);
        await sleep(5);
      }
    },
    async stop() {
      ac.abort();
      await done;
    },
  };
}

const lines = (tag: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${tag} ${from + i} ${'x'.repeat(50)}\n`).join('');
const split = (s: string) => s.split('\n').filter(Boolean);

const canCollapse = await collapseSupported(tmpdir());
const methods = [['copy-truncate', 'copy-truncate'], ...(canCollapse ? [['collapse', 'auto']] : [])] as [
  string,
  'auto' | 'copy-truncate',
][];

describe('followLog', () => {
  it('starts with at most MAX_TAIL lines, and at most 8 MiB of them, whatever the client asks', async () => {
    const d = await dir();
    expect(() => followLog(d, 's', { lines: MAX_TAIL + 1 })).toThrow(
      /tail must be a whole number from 0 to 10000/,
    );
    expect(() => followLog(d, 's', { lines: -1 })).toThrow(LogQueryError);
    // 10,000 lines of 1 KiB: the first 8 MiB of them (counted from the end) come out, in order.
    const big = Array.from(
      { length: MAX_TAIL },
      (_, i) => `big ${String(i).padStart(5, '0')} ${'y'.repeat(1013)}\n`,
    );
    await writeFile(logPath(d, 's'), big.join(''));
    const f = follow(d, 's', { lines: MAX_TAIL });
    await f.until(1);
    await appendFile(logPath(d, 's'), 'after\n');
    const first = Math.ceil((8 * 1024 * 1024) / 1023);
    await f.until(first + 1);
    await f.stop();
    const texts = f.texts();
    expect(texts.at(-1)).toBe('after');
    expect(texts.length - 1).toBe(first);
    expect(texts[0]).toBe(big[MAX_TAIL - (texts.length - 1)]!.trimEnd());
  });

  it('gives the last N lines, then lines appended after it started', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), lines('old', 1, 5));
    const f = follow(d, 's', { lines: 2 });
    await f.until(2);
    expect(f.texts()).toEqual(split(lines('old', 4, 5)));
    await appendFile(logPath(d, 's'), lines('new', 1, 3));
    await f.until(5);
    await f.stop();
    expect(f.texts()).toEqual(split(lines('old', 4, 5) + lines('new', 1, 3)));
    expect(f.got[2]).toMatchObject({ file: 's.log', level: 'unknown' });
  });

  it('a line being written when it starts comes out whole', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), 'done\nhalf a l');
    const f = follow(d, 's', { lines: 1 });
    await f.until(1);
    await appendFile(logPath(d, 's'), 'ine\nnext\n');
    await f.until(3);
    await f.stop();
    expect(f.texts()).toEqual(['done', 'half a line', 'next']);
  });

  it('without `lines` starts at the end', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), lines('old', 1, 5));
    const f = follow(d, 's');
    await sleep(100);
    await appendFile(logPath(d, 's'), 'ERROR new\n');
    await f.until(1);
    await f.stop();
    expect(f.got).toMatchObject([{ text: 'ERROR new', level: 'error' }]);
  });

  for (const [label, method] of methods) {
    it(`${label}: lines written before and after a rotation arrive once, in order`, async () => {
      const d = await dir();
      await writeFile(logPath(d, 's'), lines('a', 1, 400)); // ~23 KB: collapse has whole blocks to cut
      // No watch, slow polls: the rotation happens while the follower is not looking.
      const f = follow(d, 's', { lines: 1, watch: false, pollInterval: 300 });
      await f.until(1);
      await appendFile(logPath(d, 's'), lines('b', 1, 100));
      const r = await rotateIfNeeded(d, { name: 's', maxSize: 1 << 20, keep: 3 }, { method, force: true });
      expect(r.method).toBe(method === 'auto' ? 'collapse' : 'copy-truncate');
      await appendFile(logPath(d, 's'), lines('c', 1, 100));
      await f.until(201);
      await f.stop();
      expect(f.texts()).toEqual(split(lines('a', 400, 400) + lines('b', 1, 100) + lines('c', 1, 100)));
      expect(f.follower.stats).toMatchObject({ rotations: 1, gaps: 0 });
    });

    it(`${label}: two rotations before the follower looks`, async () => {
      const d = await dir();
      await writeFile(logPath(d, 's'), lines('a', 1, 400));
      const f = follow(d, 's', { lines: 1, watch: false, pollInterval: 300 });
      await f.until(1);
      const t = { name: 's', maxSize: 1 << 20, keep: 3 };
      await appendFile(logPath(d, 's'), lines('b', 1, 100));
      await rotateIfNeeded(d, t, { method, force: true });
      await appendFile(logPath(d, 's'), lines('c', 1, 300));
      await rotateIfNeeded(d, t, { method, force: true });
      await appendFile(logPath(d, 's'), lines('d', 1, 10));
      await f.until(411);
      await f.stop();
      expect(f.texts()).toEqual(
        split(lines('a', 400, 400) + lines('b', 1, 100) + lines('c', 1, 300) + lines('d', 1, 10)),
      );
      expect(f.follower.stats.gaps).toBe(0);
    });
  }

  it.skipIf(!canCollapse)('collapse: the position read is in the part the live file keeps', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), lines('a', 1, 400)); // ~23 KB: collapse cuts 20 KB
    const f = follow(d, 's', { lines: 1, watch: false, pollInterval: 300 });
    await f.until(1);
    await appendFile(logPath(d, 's'), lines('b', 1, 5));
    const r = await rotateIfNeeded(d, { name: 's', maxSize: 1 << 20, keep: 3 }, { force: true });
    expect(r).toMatchObject({ method: 'collapse', copiedBytes: 20480 });
    await appendFile(logPath(d, 's'), lines('c', 1, 5));
    await f.until(11);
    await f.stop();
    expect(f.texts()).toEqual(split(lines('a', 400, 400) + lines('b', 1, 5) + lines('c', 1, 5)));
    expect(f.follower.stats).toMatchObject({ rotations: 1, gaps: 0 });
  });

  it('goes on after what it read when the copies are gone but the live file still holds it', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), lines('a', 1, 400)); // ~23 KB: collapse cuts 20 KB
    const f = follow(d, 's', { lines: 1, watch: false, pollInterval: 300 });
    await f.until(1);
    // keep 0: the cut bytes are dropped, not copied; what the follower read last stays live.
    const r = await rotateIfNeeded(d, { name: 's', maxSize: 1 << 20, keep: 0 }, { force: true });
    expect(r).toMatchObject({ method: 'collapse' });
    await appendFile(logPath(d, 's'), lines('c', 1, 5));
    await f.until(6);
    await f.stop();
    // Before, the follower read the live file again from its start: the a lines twice.
    expect(f.texts()).toEqual(split(lines('a', 400, 400) + lines('c', 1, 5)));
    expect(f.follower.stats).toMatchObject({ rotations: 1, gaps: 0 });
  });

  it.skipIf(!canCollapse)('a line in progress across such a rotation comes out whole', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), lines('a', 1, 400));
    const f = follow(d, 's', { lines: 1, watch: false, pollInterval: 50, partialFlushMs: 60_000 });
    await f.until(1);
    await appendFile(logPath(d, 's'), 'half a l');
    const read = f.follower.stats.bytesRead;
    for (const t = Date.now(); f.follower.stats.bytesRead === read && Date.now() - t < 10_000; )
      await sleep(5);
    const r = await rotateIfNeeded(d, { name: 's', maxSize: 1 << 20, keep: 0 }, { force: true });
    expect(r).toMatchObject({ method: 'collapse' });
    await appendFile(logPath(d, 's'), 'ine\nnext\n');
    await f.until(3);
    await f.stop();
    // Before, the half it had read was forgotten: `ine` came out as a line.
    expect(f.texts()).toEqual([...split(lines('a', 400, 400)), 'half a line', 'next']);
    expect(f.follower.stats.gaps).toBe(0);
  });

  it('a rotated copy that dropped its head: a gap is counted, what it kept is given out, then the rest', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), lines('a', 1, 400));
    const f = follow(d, 's', { lines: 1, watch: false, pollInterval: 300 });
    await f.until(1);
    await appendFile(logPath(d, 's'), lines('b', 1, 100));
    // maxSize × keep is far below the file: the copy keeps only its newest 3 KB.
    const r = await rotateIfNeeded(d, { name: 's', maxSize: 1024, keep: 3 }, { method: 'copy-truncate' });
    expect(r.droppedBytes).toBeGreaterThan(0);
    await appendFile(logPath(d, 's'), lines('c', 1, 3));
    const last = split(lines('c', 3, 3))[0];
    for (const t = Date.now(); f.texts().at(-1) !== last && Date.now() - t < 10_000; ) await sleep(5);
    await f.stop();
    // The b lines the copy kept (its newest 3 KB, from a line start) are after what was read:
    // given out once, with only the dropped ones missing.
    const kept = (await readFile(logPath(d, 's', 1), 'utf8')).split('\n').filter(Boolean);
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.at(-1)).toBe(split(lines('b', 100, 100))[0]);
    expect(f.texts()).toEqual([...split(lines('a', 400, 400)), ...kept, ...split(lines('c', 1, 3))]);
    expect(f.follower.stats).toMatchObject({ rotations: 1, gaps: 1 });
  });

  it('follows a writer through many rotations: every line once, in order', async () => {
    const d = await dir();
    const total = 100_000;
    const f = follow(d, 'w'); // the file does not exist yet
    const rotator = new Rotator({ dir: d, interval: 20, minInterval: 5 });
    // Rotations every few milliseconds, and copies enough to hold what a follower starved of CPU
    // lags behind by (a follower further behind than the copies kept loses lines, and says so).
    rotator.setServices([{ name: 'w', maxSize: 64 * 1024, keep: 6 }]);
    rotator.start();
    await sleep(100);
    const writer = startWriter(logPath(d, 'w'), { total, burst: 100, pauseMs: 1 });
    expect(await writer.done).toBe(0);
    // However long a starved follower takes to catch up: it is given up on only when it stops
    // making progress, not after a time that a busy machine may exceed.
    let progressAt = Date.now();
    let count = f.got.length;
    while (!f.got.at(-1)?.text.startsWith(`line ${total} `)) {
      if (f.got.length !== count) [count, progressAt] = [f.got.length, Date.now()];
      if (Date.now() - progressAt > 15_000) break;
      await sleep(10);
    }
    await rotator.stop();
    await f.stop();
    const nums = f.got.map((l) => Number(/^line (\d+) /.exec(l.text)?.[1]));
    const seen = new Map<number, number>();
    for (const n of nums) seen.set(n, (seen.get(n) ?? 0) + 1);
    const { missing, doubled } = summarize(seen, 1, total);
    const stats = rotator.stats();
    console.log(
      `stream: ${nums.length} lines through ${stats.rotations} rotations (${stats.collapses} collapse), follower saw ${f.follower.stats.rotations}, ${f.follower.stats.gaps} gaps, ${missing.length} missing, ${doubled} doubled`,
    );
    expect(stats.rotations).toBeGreaterThan(10);
    expect(doubled).toBe(0);
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
    if (canCollapse) {
      expect(missing).toEqual([]);
      expect(f.follower.stats.gaps).toBe(0);
    }
    // A starved writer and follower take what they take: the claim is about lines, not time.
  }, 180_000);

  it('abort ends the iterator, and so does leaving the loop', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), 'x\n');
    const f = follow(d, 's', { pollInterval: 10_000 });
    await sleep(50);
    const t = Date.now();
    await f.stop();
    expect(Date.now() - t).toBeLessThan(1000);

    const follower = followLog(d, 's', { lines: 5 });
    for await (const l of follower) {
      expect(l.text).toBe('x');
      break;
    }
  });

  it('filters by keyword and level', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), '');
    const f = follow(d, 's', { keyword: 'disk', level: 'warn' });
    await sleep(100);
    await appendFile(logPath(d, 's'), 'INFO disk ok\nWARN disk 90%\nERROR net down\nERROR disk full\n');
    await f.until(2);
    await f.stop();
    expect(f.texts()).toEqual(['WARN disk 90%', 'ERROR disk full']);
  });

  it('gives out a line without its newline after partialFlushMs', async () => {
    const d = await dir();
    await writeFile(logPath(d, 's'), '');
    const f = follow(d, 's', { partialFlushMs: 200 });
    await sleep(100);
    await appendFile(logPath(d, 's'), 'prompt> ');
    await f.until(1);
    await f.stop();
    expect(f.texts()).toEqual(['prompt> ']);
  });
});
