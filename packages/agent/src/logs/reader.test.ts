import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Carry,
  decodeLine,
  LineSplitter,
  linesBackward,
  linesForward,
  newReadStats,
  type RawLine,
} from './reader.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logs-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the readers must return: split on \n, the piece after a final \n is not a line. */
function expected(content: string, cap: number): { start: number; text: string; truncated: boolean }[] {
  const buf = Buffer.from(content);
  const out: { start: number; text: string; truncated: boolean }[] = [];
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length && start === buf.length) break;
    if (i === buf.length || buf[i] === 10) {
      const d = decodeLine(buf, start, i, cap);
      out.push({ start, ...d });
      start = i + 1;
    }
  }
  return out;
}

async function read(content: string, opts: { chunkSize: number; maxLineBytes: number }) {
  const path = join(dir, `f-${Math.random().toString(36).slice(2)}`);
  await writeFile(path, content);
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const fwd: RawLine[] = [];
    for await (const l of linesForward(fh, 0, size, opts)) fwd.push(l);
    const back: RawLine[] = [];
    for await (const l of linesBackward(fh, size, opts)) back.push(l);
    return { fwd, back: back.reverse() };
  } finally {
    await fh.close();
  }
}

const strip = (ls: RawLine[]) => ls.map(({ start, text, truncated }) => ({ start, text, truncated }));

describe('linesForward / linesBackward', () => {
  const contents: [string, string][] = [
    ['empty', ''],
    ['one line', 'hello\n'],
    ['no final newline', 'a\nbb\nccc'],
    ['empty lines', '\n\na\n\n'],
    ['CRLF', 'a\r\nb\r\n'],
    ['multi-byte', 'héllo wörld ✓ 日本語\n𝄞𝄞𝄞𝄞\n'],
    ['long lines', `${'x'.repeat(300)}\nshort\n${'é'.repeat(200)}\n${'y'.repeat(1000)}`],
    ['mixed', `${Array.from({ length: 200 }, (_, i) => `${i} ${'ab✓'.repeat(i % 37)}`).join('\n')}\n`],
  ];
  for (const [name, content] of contents) {
    for (const chunkSize of [1, 3, 7, 64, 65536]) {
      it(`${name}, chunk ${chunkSize}`, async () => {
        const cap = 100;
        const { fwd, back } = await read(content, { chunkSize, maxLineBytes: cap });
        const want = expected(content, cap);
        expect(strip(fwd)).toEqual(want);
        expect(strip(back)).toEqual(want);
      });
    }
  }

  it('reads only the end of a large file backwards', async () => {
    const line = `${'z'.repeat(99)}\n`;
    const path = join(dir, 'big');
    await writeFile(path, line.repeat(20_000)); // 2 MB
    const fh = await open(path, 'r');
    const stats = newReadStats();
    let n = 0;
    for await (const _ of linesBackward(fh, 2_000_000, { stats })) if (++n === 10) break;
    await fh.close();
    expect(stats.bytesRead).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('LineSplitter', () => {
  it('keeps at most the cap of a line in progress', () => {
    const s = new LineSplitter(10);
    expect(s.push(Buffer.from('x'.repeat(1000)), 0)).toEqual([]);
    expect(s.pendingBytes).toBe(1000);
    const [l] = s.push(Buffer.from('yy\nz'), 1000);
    expect(l).toEqual({ start: 0, end: 1002, text: 'x'.repeat(10), truncated: true });
    expect(s.flush(1004)).toEqual({ start: 1003, end: 1004, text: 'z', truncated: false });
  });
});

describe('lines across files (a rotation cut a line)', () => {
  /** Split `content` at byte offsets into files `f.2`, `f.1`, `f` (oldest first). */
  async function splitFiles(content: string, cuts: number[]) {
    const buf = Buffer.from(content);
    const bounds = [0, ...cuts, buf.length];
    const names = bounds.slice(1).map((_, i, a) => (i === a.length - 1 ? 'f' : `f.${a.length - 1 - i}`));
    const sub = await mkdtemp(join(dir, 'multi-'));
    const files = [];
    for (let i = 0; i < names.length; i++) {
      const part = buf.subarray(bounds[i]!, bounds[i + 1]!);
      await writeFile(join(sub, names[i]!), part);
      files.push({
        name: names[i]!,
        base: bounds[i]!,
        size: part.length,
        fh: await open(join(sub, names[i]!), 'r'),
      });
    }
    return files; // oldest first
  }

  /** Expected lines with the file each starts in and its offset there. */
  function expectedAcross(
    content: string,
    files: { name: string; base: number; size: number }[],
    cap: number,
  ) {
    return expected(content, cap).map((l) => {
      const f = files.findLast((x) => x.base <= l.start && (l.start < x.base + x.size || x.size === 0))!;
      return { file: f.name, start: l.start - f.base, text: l.text, truncated: l.truncated };
    });
  }

  const content = `${Array.from({ length: 60 }, (_, i) => `line ${i} ${'é'.repeat(i % 13)}${'z'.repeat(i % 150)}`).join('\n')}\n`;
  const size = Buffer.byteLength(content);
  const cases: [string, number[]][] = [
    ['cut mid-line', [1000, 2500]],
    ['cut right after a newline', [content.indexOf('\n', 800) + 1, 3000]],
    ['cut right before a newline', [content.indexOf('\n', 800), 3000]],
    ['a middle file with no newline', [content.indexOf('\n', 1000) + 3, content.indexOf('\n', 1000) + 8]],
    ['inside a multi-byte character', [Buffer.from(content).indexOf(Buffer.from('é')) + 1, size - 10]],
  ];
  for (const [name, cuts] of cases) {
    for (const cap of [64, 16 * 1024]) {
      it(`${name}, cap ${cap}`, async () => {
        const files = await splitFiles(content, cuts);
        const want = expectedAcross(content, files, cap);
        try {
          // Forward, oldest first, one splitter.
          const splitter = new LineSplitter(cap);
          const fwd: { file?: string; start: number; text: string; truncated: boolean }[] = [];
          for (let i = 0; i < files.length; i++) {
            const f = files[i]!;
            const flush = i === files.length - 1;
            for await (const l of linesForward(f.fh, 0, f.size, {
              splitter,
              file: f.name,
              flush,
              chunkSize: 7,
            }))
              fwd.push({ file: l.file, start: l.start, text: l.text, truncated: l.truncated });
          }
          expect(fwd).toEqual(want);

          // Backward, newest first, carrying the cut piece to the older file.
          const back: { file?: string; start: number; text: string; truncated: boolean }[] = [];
          let carry: Carry | undefined;
          for (let i = files.length - 1; i >= 0; i--) {
            const f = files[i]!;
            const older = files[i - 1];
            // Hold the first line back when the older file does not end with a newline.
            const endsLine = older ? Buffer.from(content)[older.base + older.size - 1] === 10 : true;
            const h: { out?: Carry } | undefined = endsLine ? undefined : {};
            for await (const l of linesBackward(f.fh, f.size, {
              maxLineBytes: cap,
              chunkSize: 5,
              carry,
              hold: h,
            }))
              back.push({ file: f.name, start: l.start, text: l.text, truncated: l.truncated });
            carry = h?.out;
          }
          expect(back.reverse()).toEqual(want);
        } finally {
          for (const f of files) await f.fh.close();
        }
      });
    }
  }
});
