import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogFileName } from '../../src/logs/files.ts';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `opsfleet-${prefix}-`));
}

/**
 * A service as the supervisor runs it: a child whose stdout is `path` opened O_APPEND by the
 * parent. It writes `line <n> <padding>` for n = 1..total, one write() per line, pausing
 * `pauseMs` after every `burst` lines (0: never pauses).
 */
const WRITER = `
const fs = require('node:fs');
const [total, burst, pauseMs, padLen] = process.argv.slice(1).map(Number);
const pad = 'x'.repeat(padLen);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
for (let i = 1; i <= total; i++) {
  fs.writeSync(1, 'line ' + i + ' ' + pad + '\\n');
  if (pauseMs > 0 && i % burst === 0) Atomics.wait(sleeper, 0, 0, pauseMs);
}
`;

export interface Writer {
  child: ChildProcess;
  done: Promise<number | null>;
}

export function startWriter(
  path: string,
  opts: { total: number; burst?: number; pauseMs?: number; pad?: number },
): Writer {
  const fd = openSync(path, 'a');
  const child = spawn(
    process.execPath,
    [
      '-e',
      WRITER,
      String(opts.total),
      String(opts.burst ?? 100),
      String(opts.pauseMs ?? 1),
      String(opts.pad ?? 20),
    ],
    { stdio: ['ignore', fd, 'inherit'] },
  );
  closeSync(fd);
  const done = new Promise<number | null>((resolve, reject) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', reject);
  });
  return { child, done };
}

/**
 * The numbers of `line <n>` lines in all files of a service, read as one log (oldest file
 * first, so a line a rotation split between two files is whole again), with their counts.
 */
export async function numbersOnDisk(dir: string, name: string) {
  const files: { index: number; file: string }[] = [];
  for (const file of await readdir(dir)) {
    const p = parseLogFileName(file);
    if (p && p.name === name && p.index >= 0) files.push({ index: p.index, file });
  }
  files.sort((a, b) => b.index - a.index);
  const text = Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f.file))))).toString(
    'utf8',
  );
  const seen = new Map<number, number>();
  for (const m of text.matchAll(/^line (\d+) /gm)) {
    const n = Number(m[1]);
    seen.set(n, (seen.get(n) ?? 0) + 1);
  }
  return seen;
}

export function summarize(seen: Map<number, number>, from: number, to: number) {
  const missing: number[] = [];
  let doubled = 0;
  for (let i = from; i <= to; i++) {
    const c = seen.get(i) ?? 0;
    if (c === 0) missing.push(i);
    if (c > 1) doubled++;
  }
  return { missing, doubled };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
