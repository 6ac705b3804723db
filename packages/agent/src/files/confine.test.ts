import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confine, openConfined } from './confine.ts';

let base: string;
let root: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'files-confine-'));
  root = join(base, 'root');
  await mkdir(join(root, 'sub'), { recursive: true });
  await mkdir(join(base, 'outside'));
  await writeFile(join(root, 'sub', 'a.txt'), 'inside');
  await writeFile(join(base, 'outside', 'secret.txt'), 'secret');
  await writeFile(join(base, 'rootless.txt'), 'sibling whose name starts like the root');
  await symlink(join(root, 'sub', 'a.txt'), join(root, 'link-in'));
  await symlink('sub/a.txt', join(root, 'link-relative'));
  await symlink('/etc/passwd', join(root, 'passwd'));
  await symlink('../outside/secret.txt', join(root, 'link-out'));
  await symlink(join(base, 'outside'), join(root, 'dir-out'));
  await symlink(join(root, 'sub'), join(root, 'dir-in'));
  await symlink(join(base, 'rootless.txt'), join(root, 'prefix-trick'));
  await symlink(join(root, 'nowhere'), join(root, 'dangling'));
  // A root that is itself a symlink is judged by its real place.
  await symlink(root, join(base, 'root-link'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('confine', () => {
  it.each([
    ['a plain file', 'sub/a.txt', 'ok'],
    ['a symlink pointing inside', 'link-in', 'ok'],
    ['a relative symlink pointing inside', 'link-relative', 'ok'],
    ['a file through a symlinked folder that stays inside', 'dir-in/a.txt', 'ok'],
    ['a symlink to /etc/passwd', 'passwd', 'outside-root'],
    ['a relative symlink climbing out', 'link-out', 'outside-root'],
    ['a file through a symlinked folder pointing out', 'dir-out/secret.txt', 'outside-root'],
    ['a sibling whose path starts like the root', 'prefix-trick', 'outside-root'],
    ['.. segments', 'sub/../../outside/secret.txt', 'invalid-path'],
    ['an absolute path', '/etc/passwd', 'invalid-path'],
    ['a dangling symlink', 'dangling', 'missing'],
    ['a file that is not there', 'sub/none', 'missing'],
  ])('%s', async (_name, relPath, want) => {
    const c = await confine(root, relPath);
    expect(c.ok ? 'ok' : c.reason).toBe(want);
    expect((await confine(join(base, 'root-link'), relPath)).ok).toBe(want === 'ok');
  });
});

describe('openConfined', () => {
  it('reads a file inside and refuses one outside', async () => {
    const fh = await openConfined(root, 'link-in');
    expect((await fh.readFile()).toString()).toBe('inside');
    await fh.close();
    await expect(openConfined(root, 'passwd')).rejects.toThrow(/outside-root/);
    await expect(openConfined(root, 'sub')).rejects.toThrow(/not a regular file/);
  });
});
