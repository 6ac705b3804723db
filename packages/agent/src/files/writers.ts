import { readdir, readFile, readlink, realpath } from 'node:fs/promises';

/**
 * Whether any process has a file open for writing, from Linux's /proc: each `/proc/<pid>/fd/<n>`
 * links to the open file, and `/proc/<pid>/fdinfo/<n>` has its open `flags` in octal. It walks
 * every process, so it is asked only for files that already passed the quiet window. Processes
 * we may not read (another user's, when the agent is not root) are skipped and counted: the
 * quiet window is then the only guard against them. A writer that opened the file under another
 * hard link or mount is not recognised (the link names differ).
 */
export interface WriterCheck {
  openForWrite: boolean;
  /** false where /proc is not there (not Linux): nothing was checked. */
  checked: boolean;
  unreadableProcesses: number;
}

const O_ACCMODE = 0o3;
const O_WRONLY = 0o1;
const O_RDWR = 0o2;

/** The `flags:` line of an fdinfo file, as a number. */
export function parseFdinfoFlags(fdinfo: string): number | undefined {
  const m = /^flags:\s*([0-7]+)\s*$/m.exec(fdinfo);
  return m ? Number.parseInt(m[1]!, 8) : undefined;
}

export function writesWith(flags: number): boolean {
  const mode = flags & O_ACCMODE;
  return mode === O_WRONLY || mode === O_RDWR;
}

/** Real paths, among those `wanted` accepts, that some process has open for writing. */
async function scan(wanted: (path: string) => boolean, proc: string): Promise<WriterScan> {
  let pids: string[];
  try {
    pids = (await readdir(proc)).filter((p) => /^\d+$/.test(p));
  } catch {
    return { paths: new Set(), checked: false, unreadableProcesses: 0 };
  }
  const paths = new Set<string>();
  let unreadable = 0;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`${proc}/${pid}/fd`);
    } catch (err) {
      // ENOENT: the process ended while we walked.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') unreadable++;
      continue;
    }
    for (const fd of fds) {
      const link = await readlink(`${proc}/${pid}/fd/${fd}`).catch(() => undefined);
      if (link === undefined || paths.has(link) || !wanted(link)) continue;
      const info = await readFile(`${proc}/${pid}/fdinfo/${fd}`, 'utf8').catch(() => undefined);
      const flags = info === undefined ? undefined : parseFdinfoFlags(info);
      if (flags !== undefined && writesWith(flags)) paths.add(link);
    }
  }
  return { paths, checked: true, unreadableProcesses: unreadable };
}

export interface WriterScan {
  paths: Set<string>;
  checked: boolean;
  unreadableProcesses: number;
}

/** One walk of /proc for every file below `dir`: cheaper than one per file when many are ready at once. */
export async function openForWriteUnder(dir: string, proc = '/proc'): Promise<WriterScan> {
  const real = await realpath(dir);
  const prefix = real.endsWith('/') ? real : `${real}/`;
  return scan((p) => p.startsWith(prefix), proc);
}

export async function openForWrite(path: string, proc = '/proc'): Promise<WriterCheck> {
  let target: string;
  try {
    target = await realpath(path);
  } catch {
    return { openForWrite: false, checked: false, unreadableProcesses: 0 };
  }
  const r = await scan((p) => p === target, proc);
  return {
    openForWrite: r.paths.has(target),
    checked: r.checked,
    unreadableProcesses: r.unreadableProcesses,
  };
}
