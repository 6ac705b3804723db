import { chownSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConfigTarget } from '../spec.ts';
import { writeFileAtomic } from '../supervisor/state-file.ts';
import { type DiskFiles, isOwnedRuleFile } from './layout.ts';

const readIfThere = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
};

/** What of the target's configuration is on disk now: opsfleet's rule files, or the Alertmanager file. */
export function readOwned(target: ConfigTarget): DiskFiles {
  const out: DiskFiles = {};
  if (target.kind === 'alertmanager') {
    const text = readIfThere(target.configFile!);
    if (text !== undefined) out[target.configFile!] = text;
    return out;
  }
  let names: string[] = [];
  try {
    names = readdirSync(target.rulesDir!);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of names.filter(isOwnedRuleFile).sort()) {
    const text = readIfThere(join(target.rulesDir!, name));
    if (text !== undefined) out[join(target.rulesDir!, name)] = text;
  }
  return out;
}

/**
 * Writes a file through a temp file and a rename, keeping the mode and owner of the file it
 * replaces (the peer runs as its own user and must still read it); a new file gets `mode` and
 * its folder's owner.
 */
export function writeKeeping(path: string, content: string, mode: number): void {
  let like: { mode: number; uid: number; gid: number };
  try {
    like = statSync(path);
  } catch {
    const dir = statSync(dirname(path), { throwIfNoEntry: false });
    like = { mode, uid: dir?.uid ?? process.getuid!(), gid: dir?.gid ?? process.getgid!() };
  }
  writeFileAtomic(path, content, like.mode & 0o777);
  if (process.getuid?.() === 0) chownSync(path, like.uid, like.gid);
}

/** Makes the target's files on disk exactly `files`: writes those that differ, removes owned ones not in it. */
export function writeOwned(target: ConfigTarget, files: DiskFiles): void {
  const now = readOwned(target);
  const mode = target.kind === 'alertmanager' ? 0o640 : 0o644;
  for (const [path, content] of Object.entries(files))
    if (now[path] !== content) writeKeeping(path, content, mode);
  for (const path of Object.keys(now)) if (!(path in files)) rmSync(path, { force: true });
}
