import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openForWrite, openForWriteUnder, parseFdinfoFlags, writesWith } from './writers.ts';

describe('fdinfo flags', () => {
  it.each([
    ['pos:\t0\nflags:\t0100000\nmnt_id:\t25\n', 0o100000, false], // O_RDONLY|O_LARGEFILE
    ['pos:\t0\nflags:\t02102001\nmnt_id:\t25\n', 0o2102001, true], // O_WRONLY|O_APPEND|...
    ['pos:\t0\nflags:\t0100002\n', 0o100002, true], // O_RDWR
    ['pos:\t0\n', undefined, false],
  ])('%j', (text, flags, writes) => {
    expect(parseFdinfoFlags(text)).toBe(flags);
    expect(flags !== undefined && writesWith(flags)).toBe(writes);
  });
});

describe('openForWrite', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'files-writers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A child that opens the file with `flag`, says so, and holds it until stdin closes. */
  async function holder(path: string, flag: string) {
    const code = `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(path)},${JSON.stringify(flag)});process.stdout.write('open\\n');process.stdin.on('end',()=>{fs.closeSync(fd);process.stdout.write('closed\\n');setTimeout(()=>{},60000)});process.stdin.resume();`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    await once(child.stdout, 'data');
    return child;
  }

  it('sees a process appending to the file, and no longer once it closed it', async () => {
    const path = join(dir, 'dump.hprof');
    await writeFile(path, 'x');
    const child = await holder(path, 'a');
    try {
      expect(await openForWrite(path)).toMatchObject({ openForWrite: true, checked: true });
      expect((await openForWriteUnder(dir)).paths).toEqual(new Set([path]));
      child.stdin.end();
      await once(child.stdout, 'data');
      expect(await openForWrite(path)).toMatchObject({ openForWrite: false, checked: true });
      expect((await openForWriteUnder(dir)).paths).toEqual(new Set());
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a reader is not a writer', async () => {
    const path = join(dir, 'read.log');
    await writeFile(path, 'x');
    const child = await holder(path, 'r');
    try {
      expect((await openForWrite(path)).openForWrite).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('without /proc nothing is checked', async () => {
    const path = join(dir, 'x');
    await writeFile(path, 'x');
    expect(await openForWrite(path, join(dir, 'no-proc'))).toEqual({
      openForWrite: false,
      checked: false,
      unreadableProcesses: 0,
    });
  });
});
