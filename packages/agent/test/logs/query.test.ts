import { createWriteStream } from 'node:fs';
import { rm, utimes, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { logPath } from '../../src/logs/files.ts';
import { LogQueryError, queryLogs } from '../../src/logs/query.ts';
import { Rotator } from '../../src/logs/rotation.ts';
import { sleep, startWriter, tempDir } from './helpers.ts';

const at = (hms: string) => Date.parse(`2026-11-25T${hms}Z`);
const json = (level: number, hms: string, msg: string) => JSON.stringify({ level, time: at(hms), msg });

/**
 * Three files of one service: text lines with ISO stamps and a stack trace (oldest), pino
 * lines whose last one a rotation cut in two, and the live file that continues it.
 */
const OLDEST = [
  '2026-11-25T10:00:00.000Z INFO  starting',
  '2026-11-25T10:00:01.000Z DEBUG config loaded',
  '2026-11-25T10:00:02.000Z WARN  disk 85%',
  '2026-11-25T10:00:03.000Z ERROR request failed: Timeout',
  '    at handler (/app/x.js:1:1)',
  '    at main (/app/y.js:2:2)',
];
const CUT = JSON.stringify({ level: 40, time: at('10:01:04'), msg: 'slow request', ms: 900 });
const MIDDLE = [
  json(30, '10:01:00', 'listening'),
  json(20, '10:01:01', 'tick'),
  json(50, '10:01:02', 'payment FAILED'),
  json(30, '10:01:03', 'tick'),
];
const LIVE = [
  'plain output without a stamp',
  '2026-11-25T10:02:00.000Z INFO  ready',
  '2026-11-25T10:02:01.000Z FATAL out of memory',
  '2026-11-25T10:02:02.000Z INFO  done',
];
const ALL = [...OLDEST, ...MIDDLE, CUT, ...LIVE];

let dir: string;
beforeAll(async () => {
  dir = await tempDir('query');
  const cutAt = 30;
  await writeFile(logPath(dir, 'svc', 2), `${OLDEST.join('\n')}\n`);
  await writeFile(logPath(dir, 'svc', 1), `${MIDDLE.join('\n')}\n${CUT.slice(0, cutAt)}`);
  await writeFile(logPath(dir, 'svc'), `${CUT.slice(cutAt)}\n${LIVE.join('\n')}\n`);
  const mtime = async (i: number, hms: string) =>
    utimes(logPath(dir, 'svc', i), new Date(at(hms)), new Date(at(hms)));
  await mtime(2, '10:00:05');
  await mtime(1, '10:01:05');
  await mtime(0, '10:02:03');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const texts = (r: { lines: { text: string }[] }) => r.lines.map((l) => l.text);

describe('queryLogs', () => {
  it('reads the files oldest first as one log; the line a rotation cut comes out once, whole', async () => {
    const r = await queryLogs(dir, 'svc');
    expect(texts(r)).toEqual(ALL);
    expect(r.more).toBe(false);
    const cut = r.lines.find((l) => l.text === CUT)!;
    expect(cut).toMatchObject({ file: 'svc.log.1', level: 'warn', time: at('10:01:04') });
    expect(r.lines[0]).toMatchObject({ file: 'svc.log.2', offset: 0, level: 'info', time: at('10:00:00') });
  });

  it('tail: the last N lines, across files, in order', async () => {
    expect(texts(await queryLogs(dir, 'svc', { tail: 3 }))).toEqual(LIVE.slice(1));
    const r = await queryLogs(dir, 'svc', { tail: 7 });
    expect(texts(r)).toEqual(ALL.slice(-7));
    expect(r.more).toBe(true);
    const all = await queryLogs(dir, 'svc', { tail: 1000 });
    expect(texts(all)).toEqual(ALL);
    expect(all.more).toBe(false);
  });

  it('keyword: case-insensitive substring, or a regular expression', async () => {
    expect(texts(await queryLogs(dir, 'svc', { keyword: 'failed' }))).toEqual([OLDEST[3], MIDDLE[2]]);
    expect(texts(await queryLogs(dir, 'svc', { keyword: 'FAILED', tail: 1 }))).toEqual([MIDDLE[2]]);
    expect(texts(await queryLogs(dir, 'svc', { keyword: 'at \\w+ \\(/app', regex: true }))).toEqual(
      OLDEST.slice(4),
    );
    expect(texts(await queryLogs(dir, 'svc', { keyword: '.*', tail: 1 }))).toEqual([]);
    await expect(queryLogs(dir, 'svc', { keyword: '(', regex: true })).rejects.toThrow(LogQueryError);
  });

  it('level: a minimum; lines of unknown level only when asked', async () => {
    const warn = [OLDEST[2], OLDEST[3], MIDDLE[2], CUT, LIVE[2]];
    expect(texts(await queryLogs(dir, 'svc', { level: 'warn' }))).toEqual(warn);
    expect(texts(await queryLogs(dir, 'svc', { level: 'warn', tail: 2 }))).toEqual(warn.slice(-2));
    expect(texts(await queryLogs(dir, 'svc', { level: 'error', includeUnknownLevel: true }))).toEqual([
      OLDEST[3],
      ...OLDEST.slice(4),
      MIDDLE[2],
      LIVE[0],
      LIVE[2],
    ]);
    expect(texts(await queryLogs(dir, 'svc', { level: 'fatal' }))).toEqual([LIVE[2]]);
  });

  it('since/until: stamps, stamps inherited within a file, else the file mtime bounds', async () => {
    for (const tail of [undefined, 100]) {
      // Stack frames take the stamp of the ERROR line before them.
      expect(
        texts(await queryLogs(dir, 'svc', { since: at('10:00:03'), until: at('10:01:02'), tail })),
      ).toEqual([...OLDEST.slice(3), MIDDLE[0], MIDDLE[1]]);
      // The live file's first own line has no stamp before it in that file: it counts as
      // written between the mtime of `.1` (10:01:05) and its own (10:02:03).
      expect(
        texts(
          await queryLogs(dir, 'svc', {
            since: '2026-11-25T10:01:04Z',
            until: '2026-11-25T10:02:00.500Z',
            tail,
          }),
        ),
      ).toEqual([CUT, LIVE[0], LIVE[1]]);
      expect(
        texts(await queryLogs(dir, 'svc', { since: at('10:01:00'), until: at('10:01:05'), tail })),
      ).toEqual([...MIDDLE, CUT]);
    }
    expect(texts(await queryLogs(dir, 'svc', { since: at('10:02:01'), level: 'info', tail: 5 }))).toEqual(
      LIVE.slice(2),
    );
  });

  it('since as a duration ago', async () => {
    const r = await queryLogs(dir, 'svc', { since: '30s', now: at('10:02:30') });
    expect(texts(r)).toEqual(LIVE);
  });

  it('caps long lines', async () => {
    const d = await tempDir('query-cap');
    onTestFinished(() => rm(d, { recursive: true, force: true }));
    await writeFile(logPath(d, 'x'), `${'a'.repeat(5000)}\nshort\n`);
    const r = await queryLogs(d, 'x', { maxLineBytes: 1000, tail: 2 });
    expect(r.lines[0]).toMatchObject({ text: 'a'.repeat(1000), truncated: true });
    expect(r.lines[1]!.truncated).toBeUndefined();
  });

  it('refuses names that are not service names and bad arguments', async () => {
    await expect(queryLogs(dir, '../etc/passwd')).rejects.toThrow(LogQueryError);
    await expect(queryLogs(dir, 'svc', { tail: 0 })).rejects.toThrow(/tail/);
    await expect(queryLogs(dir, 'svc', { since: 'last tuesday' })).rejects.toThrow(/ISO 8601/);
    expect((await queryLogs(dir, 'nothing-here')).lines).toEqual([]);
  });
});

describe('queryLogs on a large file', () => {
  let big: string;
  const LINES = 500_000;
  beforeAll(async () => {
    big = await tempDir('query-big');
    const out = createWriteStream(logPath(big, 'big'));
    const t0 = Date.parse('2026-11-25T00:00:00Z');
    let chunk = '';
    for (let i = 1; i <= LINES; i++) {
      const level = i % 1000 === 0 ? 'ERROR' : 'INFO ';
      chunk += `${new Date(t0 + i * 100).toISOString()} ${level} request ${i} ${'p'.repeat(60)}\n`;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        chunk = '';
      }
    }
    out.end(chunk);
    await new Promise<void>((r) => out.on('finish', () => r()));
  });
  afterAll(async () => {
    await rm(big, { recursive: true, force: true });
  });

  it('tail reads only the end of a 50 MB file', async () => {
    const t = performance.now();
    const r = await queryLogs(big, 'big', { tail: 100 });
    const ms = performance.now() - t;
    console.log(`tail 100 of ${LINES} lines (~50 MB): ${ms.toFixed(1)} ms, ${r.bytesRead} bytes read`);
    expect(r.lines).toHaveLength(100);
    expect(r.lines.at(-1)!.text).toContain(`request ${LINES} `);
    expect(r.bytesRead).toBeLessThan(256 * 1024);
  });

  it('tail with a filter reads back only as far as it must', async () => {
    const t = performance.now();
    const r = await queryLogs(big, 'big', { tail: 10, level: 'error' });
    const ms = performance.now() - t;
    console.log(`tail 10 errors (1 line in 1000): ${ms.toFixed(1)} ms, ${r.bytesRead} bytes read`);
    expect(r.lines.map((l) => l.text.split(' ')[3])).toEqual(
      Array.from({ length: 10 }, (_, i) => String(LINES - 9000 + i * 1000)),
    );
    expect(r.bytesRead).toBeLessThan(1.2 * 10 * 1000 * 100 + 128 * 1024);
  });

  it('a time range near the end stops reading at its start (tail) ', async () => {
    const t0 = Date.parse('2026-11-25T00:00:00Z');
    const since = t0 + (LINES - 600) * 100;
    const t = performance.now();
    const r = await queryLogs(big, 'big', { since, tail: 1000, orderSlackMs: 1000 });
    const ms = performance.now() - t;
    console.log(`since (last 600 lines), tail 1000: ${ms.toFixed(1)} ms, ${r.bytesRead} bytes read`);
    expect(r.lines).toHaveLength(601);
    expect(r.bytesRead).toBeLessThan(256 * 1024);
  });

  it('forward scan of the whole file (measured, not asserted)', async () => {
    const t = performance.now();
    const r = await queryLogs(big, 'big', { keyword: 'request 499999 ', limit: 10 });
    console.log(
      `full forward keyword scan: ${(performance.now() - t).toFixed(0)} ms, ${r.bytesRead} bytes read`,
    );
    expect(r.lines).toHaveLength(1);
  });
});

describe('queryLogs while the log rotates', () => {
  it('tail always returns an unbroken run of the newest lines', async () => {
    const d = await tempDir('query-rot');
    onTestFinished(() => rm(d, { recursive: true, force: true }));
    const rotator = new Rotator({ dir: d, interval: 10, minInterval: 5 });
    rotator.setServices([{ name: 'w', maxSize: 32 * 1024, keep: 5 }]);
    const writer = startWriter(logPath(d, 'w'), { total: 60_000, burst: 50, pauseMs: 1 });
    rotator.start();
    let exited = false;
    void writer.done.then(() => {
      exited = true;
    });
    let queries = 0;
    let retries = 0;
    let flagged = 0;
    let broken = 0;
    let last = 0;
    while (!exited) {
      const r = await queryLogs(d, 'w', { tail: 300 });
      queries++;
      retries += r.retries;
      // Rotating every 10 ms can outrun even the retries; the answer then says so, and only then
      // may it be broken.
      if (!r.consistent) {
        flagged++;
        continue;
      }
      const nums = r.lines.map((l) => Number(/^line (\d+) /.exec(l.text)?.[1]));
      // Known limit (docs/agent.md, Logs): on a machine so loaded that a rotation every 10 ms
      // lands between the query's own checks, an answer can rarely hold one line cut in two.
      if (nums.some((n, i) => i > 0 && n !== nums[i - 1]! + 1)) {
        broken++;
        continue;
      }
      if (nums.length > 0) {
        expect(nums.at(-1)!).toBeGreaterThanOrEqual(last);
        last = nums.at(-1)!;
      }
      await sleep(2);
    }
    await rotator.stop();
    console.log(
      `${queries} queries during ${rotator.stats().rotations} rotations, ${retries} retried, ${flagged} flagged inconsistent, ${broken} broken`,
    );
    expect(rotator.stats().rotations).toBeGreaterThan(5);
    expect(flagged).toBeLessThan(queries / 4);
    expect(broken).toBeLessThanOrEqual(Math.max(1, queries / 50));
  });
});
