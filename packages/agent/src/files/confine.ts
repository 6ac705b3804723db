import { constants } from 'node:fs';
import { type FileHandle, open, readlink, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { validRelPath } from './match.ts';

/**
 * Nothing outside a source's root is ever read. A path is judged by where it really is: after
 * `realpath`, it must be below the root's own real path. So a symlink inside the root that points
 * inside it is followed (the file is taken under the link's name), one pointing out (to
 * `/etc/passwd`, `../other`) is refused, and `..` segments are refused before anything is
 * resolved. Walks do not enter symlinked folders at all (a link to a parent would loop, and a link
 * to a sibling would take its files twice); a file reached by an event through one is still judged
 * here by its real place.
 */
export type Confined =
  | { ok: true; realPath: string }
  | { ok: false; reason: 'invalid-path' | 'outside-root' | 'missing' };

function inside(realRoot: string, realPath: string): boolean {
  const prefix = realRoot.endsWith(sep) ? realRoot : realRoot + sep;
  return realPath.startsWith(prefix);
}

export async function confine(root: string, relPath: string): Promise<Confined> {
  if (!validRelPath(relPath)) return { ok: false, reason: 'invalid-path' };
  let realRoot: string;
  let realPath: string;
  try {
    realRoot = await realpath(root);
    realPath = await realpath(join(root, relPath));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: 'missing' };
    throw err;
  }
  return inside(realRoot, realPath) ? { ok: true, realPath } : { ok: false, reason: 'outside-root' };
}

/**
 * Opens a confined regular file for reading and checks again, on the open descriptor, where it
 * is: a folder swapped for a symlink between `confine` and `open` cannot send the read elsewhere.
 * Non-blocking, so a FIFO planted in the root does not hang the reader; it is refused as not a
 * regular file.
 */
export async function openConfined(root: string, relPath: string): Promise<FileHandle> {
  const c = await confine(root, relPath);
  if (!c.ok) throw new Error(`${relPath}: ${c.reason}`);
  const fh = await open(c.realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`${relPath}: not a regular file`);
    const realRoot = await realpath(root);
    const opened = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => c.realPath);
    if (!inside(realRoot, opened)) throw new Error(`${relPath}: outside-root`);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}
