import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sleep } from '@opsfleet/core';
import { readStat, startedAtMs } from '../proc/stat.ts';
import type { Service } from '../spec.ts';
import { type AccountFiles, resolveIdentity } from './accounts.ts';
import { AdoptedWatch } from './adopted-watch.ts';
import { readEnvFile } from './env-file.ts';
import {
  descendantsOf,
  groupMembers,
  isLive,
  type ProcEntry,
  type ProcTable,
  snapshot,
} from './process-tree.ts';
import type { Exit } from './restart-policy.ts';
import { type KnownProcess, writeFileAtomic } from './state-file.ts';

/**
 * The direct backend: the agent starts the service itself, in its own session and process
 * group, with stdout and stderr on the log file (file descriptors opened O_APPEND, never pipes:
 * a pipe would break, and SIGPIPE the service, when the agent restarts). It stops the whole
 * group, then the descendants that left the group, and re-adopts processes a previous agent left
 * running by pid and start time.
 */

export const logPath = (dataDir: string, name: string) => join(dataDir, 'logs', `${name}.log`);
export const pidPath = (dataDir: string, name: string) => join(dataDir, 'run', `${name}.pid`);

/** A running service process, spawned by us or adopted. */
export interface ServiceProcess {
  readonly pid: number;
  readonly pgid: number;
  /** /proc/<pid>/stat field 22: with the pid, the identity of the process. */
  readonly startTime: number;
  readonly startedAtMs: number;
  /** Adopted from an earlier agent: not our child, watched by polling /proc, exit status unknown. */
  readonly adopted: boolean;
  /** Resolves when the process has ended. */
  readonly exited: Promise<Exit>;
  /** Stops watching and lets the agent exit while the process runs on. */
  release(): void;
}

/** The environment of a start: the agent's, the user's login variables, the spec's `env`, then `envFile` read now. */
export function serviceEnv(
  spec: Pick<Service, 'env' | 'envFile' | 'cwd'>,
  base: NodeJS.ProcessEnv = process.env,
  identityEnv: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  Object.assign(env, identityEnv, spec.env);
  if (spec.envFile) Object.assign(env, readEnvFile(resolve(spec.cwd ?? process.cwd(), spec.envFile)));
  return env;
}

export interface SpawnOptions {
  dataDir: string;
  /** /etc/passwd and /etc/group, for tests; read from the system by default. */
  accounts?: AccountFiles;
}

/**
 * Starts the service; resolves once the command is running (exec succeeded), rejects with a
 * message naming the cause (bad user, unreadable envFile, command not found, …).
 */
export async function spawnService(spec: Service, opts: SpawnOptions): Promise<ServiceProcess> {
  const identity = resolveIdentity(spec.user, spec.group, opts.accounts);
  const env = serviceEnv(spec, process.env, identity.env);
  const cwd = resolve(spec.cwd ?? process.cwd());
  if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`cwd ${cwd} is not a directory`);
  const log = logPath(opts.dataDir, spec.name);
  mkdirSync(join(opts.dataDir, 'logs'), { recursive: true });
  const fd = openSync(log, 'a', 0o640);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(spec.command, spec.args, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', fd, fd],
      uid: identity.uid,
      gid: identity.gid,
    });
  } finally {
    // The child holds its own copies; ours would only keep the file open.
    closeSync(fd);
  }
  const exited = new Promise<Exit>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  await new Promise<void>((res, rej) => {
    child.once('spawn', res);
    child.once('error', (err: NodeJS.ErrnoException) =>
      rej(new Error(err.code === 'ENOENT' ? `${spec.command}: command not found (cwd ${cwd})` : err.message)),
    );
  });
  const pid = child.pid!;
  const stat = readStat(pid);
  const proc: ServiceProcess = {
    pid,
    // detached: the child called setsid(), so it leads its own session and group.
    pgid: stat?.pgrp ?? pid,
    startTime: stat?.startTime ?? 0,
    startedAtMs: stat ? startedAtMs(stat) : Date.now(),
    adopted: false,
    exited,
    release: () => child.unref(),
  };
  writePidFile(opts.dataDir, spec.name, pid);
  return proc;
}

const watches = new Map<number, AdoptedWatch>();

/**
 * Takes over a process an earlier agent started, if `pid` is still the process that had
 * `startTime` (a reused pid is not). Its end is noticed by the shared watch polling every `pollMs`.
 */
export function adoptProcess(
  saved: { pid: number; pgid: number; startTime: number },
  pollMs: number,
): ServiceProcess | undefined {
  const stat = readStat(saved.pid);
  if (!stat || stat.startTime !== saved.startTime || !isLive(stat)) return undefined;
  const watch = watches.get(pollMs) ?? new AdoptedWatch(pollMs);
  watches.set(pollMs, watch);
  let stop = () => {};
  const exited = new Promise<Exit>((res) => {
    stop = watch.watch(saved.pid, saved.startTime, () => res({ code: null, signal: null }));
  });
  return {
    pid: saved.pid,
    // The group it is in now: that is the one to signal.
    pgid: stat.pgrp,
    startTime: saved.startTime,
    startedAtMs: startedAtMs(stat),
    adopted: true,
    exited,
    release: () => stop(),
  };
}

export function writePidFile(dataDir: string, name: string, pid: number): void {
  writeFileAtomic(pidPath(dataDir, name), `${pid}\n`);
}

export function removePidFile(dataDir: string, name: string): void {
  rmSync(pidPath(dataDir, name), { force: true });
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

interface Tree {
  /** Live members of the process group. */
  group: ProcEntry[];
  /** Live descendants that left the group. */
  strays: ProcEntry[];
}

/**
 * Follows a service's processes while it is being stopped: the group, plus every descendant
 * found outside it. Strays are remembered by pid and start time from the first look on, so
 * they are still found after their parent died and they were re-parented to init.
 */
class TreeWatch {
  private readonly tracked = new Map<number, number>();
  /**
   * The group is signalled as a whole only when it is a group of its own: never init's, never
   * the agent's (a hand-edited or foreign state file must not make the agent kill itself).
   * Otherwise every process of the tree is signalled one by one.
   */
  private readonly groupOk: boolean;

  constructor(
    private readonly pid: number,
    private readonly pgid: number,
    private readonly proc = '/proc',
    known: readonly KnownProcess[] = [],
  ) {
    this.groupOk = pgid > 1 && pgid !== readStat(process.pid, proc)?.pgrp;
    for (const k of known) this.tracked.set(k.pid, k.startTime);
  }

  private outside(e: ProcEntry): boolean {
    return !this.groupOk || e.pgrp !== this.pgid;
  }

  look(): Tree {
    const all = snapshot(this.proc);
    const group = this.groupOk ? groupMembers(all, this.pgid).filter(isLive) : [];
    if (!this.groupOk && this.tracked.size === 0) {
      const self = all.find((e) => e.pid === this.pid);
      if (self && isLive(self)) this.tracked.set(self.pid, self.startTime);
    }
    const roots = [this.pid, ...group.map((e) => e.pid), ...this.tracked.keys()];
    for (const d of descendantsOf(all, roots))
      if (this.outside(d) && isLive(d) && !this.tracked.has(d.pid)) this.tracked.set(d.pid, d.startTime);
    const strays = all.filter((e) => isLive(e) && this.outside(e) && this.tracked.get(e.pid) === e.startTime);
    return { group, strays };
  }
}

/**
 * The live descendants of a running service outside its process group, from one snapshot of
 * /proc: the ones seen before (`known`, matched by start time) and the ones found now through
 * parent links. Remembered while the service runs, they are still found after their parent
 * died and they were re-parented to init.
 */
export function strayDescendants(
  table: ProcTable,
  pid: number,
  pgid: number,
  known: readonly KnownProcess[] = [],
): KnownProcess[] {
  const out = new Map<number, number>();
  for (const k of known) {
    const e = table.get(k.pid);
    if (e && e.startTime === k.startTime && isLive(e)) out.set(k.pid, k.startTime);
  }
  const roots = [pid, ...table.group(pgid).map((e) => e.pid), ...out.keys()];
  for (const d of table.descendants(roots))
    if (d.pgrp !== pgid && isLive(d) && !out.has(d.pid)) out.set(d.pid, d.startTime);
  return [...out].map(([p, startTime]) => ({ pid: p, startTime }));
}

function signalTree(t: Tree, pgid: number, signal: NodeJS.Signals): void {
  if (t.group.length) kill(-pgid, signal);
  for (const s of t.strays) kill(s.pid, signal);
}

/** SIGSTOP or SIGCONT to the whole tree of the service: pause and resume. */
export function signalService(pid: number, pgid: number, signal: NodeJS.Signals, proc = '/proc'): void {
  signalTree(new TreeWatch(pid, pgid, proc).look(), pgid, signal);
}

export interface StopTreeOptions {
  pid: number;
  pgid: number;
  signal: NodeJS.Signals;
  /** How long the tree has after `signal` before SIGKILL. */
  timeoutMs: number;
  /** How long to wait for the tree to vanish after SIGKILL. Default 5 s. */
  killWaitMs?: number;
  pollMs?: number;
  proc?: string;
  /** Descendants outside the group recorded earlier (`strayDescendants`); stopped too if still alive. */
  known?: readonly KnownProcess[];
}

export interface StopTreeResult {
  /** SIGKILL was needed. */
  killed: boolean;
  /** Descendants that had left the process group and were stopped one by one. */
  strays: number[];
  /** Still alive after SIGKILL and `killWaitMs` (uninterruptible sleep, another pid namespace, …). */
  survivors: number[];
}

/**
 * The stop sequence: the stop signal (and SIGCONT, so a paused tree can act on it) to the
 * group and to every descendant outside it — found by parent links *before* the signal, while
 * the links exist — then SIGKILL to whatever is left after `timeoutMs`. Resolves when the
 * group and the strays are gone (zombies count as gone: they have ended).
 */
export async function stopTree(o: StopTreeOptions): Promise<StopTreeResult> {
  const poll = o.pollMs ?? 50;
  const watch = new TreeWatch(o.pid, o.pgid, o.proc, o.known);
  const empty = (t: Tree) => t.group.length === 0 && t.strays.length === 0;
  const signalled = new Set<number>();
  const polite = (t: Tree) => {
    const fresh = { group: t.group, strays: t.strays.filter((s) => !signalled.has(s.pid)) };
    if (!t.group.length && !fresh.strays.length) return;
    signalTree(fresh, o.pgid, o.signal);
    signalTree(fresh, o.pgid, 'SIGCONT');
    for (const s of fresh.strays) signalled.add(s.pid);
  };

  // Strays this stop signalled: a remembered one that had ended already is not counted.
  const stopped = () => [...signalled].filter((p) => p !== o.pid);
  let t = watch.look();
  polite(t);
  const deadline = Date.now() + o.timeoutMs;
  while (!empty(t) && Date.now() < deadline) {
    await sleep(Math.max(1, Math.min(poll, deadline - Date.now())));
    t = watch.look();
    // A descendant that appeared meanwhile, or left the group, gets the stop signal too.
    for (const s of t.strays) if (!signalled.has(s.pid)) polite({ group: [], strays: [s] });
  }
  if (empty(t)) return { killed: false, strays: stopped(), survivors: [] };

  signalTree(t, o.pgid, 'SIGKILL');
  const killDeadline = Date.now() + (o.killWaitMs ?? 5000);
  while (Date.now() < killDeadline) {
    await sleep(poll);
    t = watch.look();
    if (empty(t)) return { killed: true, strays: stopped(), survivors: [] };
    signalTree(t, o.pgid, 'SIGKILL');
  }
  return { killed: true, strays: stopped(), survivors: [...t.group, ...t.strays].map((e) => e.pid) };
}
