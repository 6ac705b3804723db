import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { OutputLevel } from '../handler.ts';
import { LineSplitter } from './lines.ts';

export interface ScriptRun {
  /** The script's text, run by `/bin/sh` from a file. */
  file: string;
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  /** Default: no limit of its own (the command's deadline aborts `signal`). */
  timeoutMs?: number;
  print(line: string, level: OutputLevel): void;
  /** After SIGTERM, how long the group has before SIGKILL (default 5 s). */
  graceMs?: number;
}

export interface ScriptOutcome {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** Why the agent stopped it: the timeout, or the reason the command was aborted. */
  stoppedBecause?: string;
}

/** Signals a whole process group; one that is gone already is no error. */
function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a deploy script in a process group of its own (a new session, so neither the agent's
 * terminal nor a signal to the agent's group reaches it), its stdout and stderr given out line by
 * line. On timeout or abort the whole group gets SIGTERM, then SIGKILL after the grace period:
 * whatever the script started and did not detach goes with it.
 */
export async function runScript(r: ScriptRun): Promise<ScriptOutcome> {
  const started = Date.now();
  const child = spawn('/bin/sh', [r.file], {
    cwd: r.cwd,
    env: { ...process.env, ...r.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pgid = child.pid;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const closed = once(child, 'close');
  if (pgid === undefined) {
    const [err] = (await once(child, 'error')) as [Error];
    throw err;
  }
  for (const [stream, level] of [
    [child.stdout, 'info'],
    [child.stderr, 'warn'],
  ] as const) {
    const lines = new LineSplitter();
    stream.on('data', (chunk: Buffer) => {
      for (const l of lines.push(chunk)) r.print(l, level);
    });
    stream.on('end', () => {
      for (const l of lines.end()) r.print(l, level);
    });
  }

  let stoppedBecause: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: string) => {
    if (stoppedBecause) return;
    stoppedBecause = why;
    killGroup(pgid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(pgid, 'SIGKILL'), r.graceMs ?? 5000);
  };
  const timer =
    r.timeoutMs === undefined
      ? undefined
      : setTimeout(() => stop(`the script ran longer than its timeout of ${r.timeoutMs} ms`), r.timeoutMs);
  const onAbort = () => stop((r.signal.reason as Error)?.message ?? 'the command was stopped');
  if (r.signal.aborted) onAbort();
  else r.signal.addEventListener('abort', onAbort, { once: true });

  try {
    const [exitCode, sig] = await exited;
    if (stoppedBecause) {
      // The script is gone; what it started in its group gets the rest of the grace period,
      // then goes too, even if it ignores SIGTERM.
      const until = Date.now() + (r.graceMs ?? 5000);
      while (groupAlive(pgid) && Date.now() < until) await delay(100);
      killGroup(pgid, 'SIGKILL');
    }
    // A background child that kept the script's stdout open must not hold the deploy: its
    // output after the script's exit is not waited for.
    const drained = await Promise.race([closed.then(() => true), delay(2000).then(() => false)]);
    if (!drained) {
      child.stdout.destroy();
      child.stderr.destroy();
    }
    return {
      exitCode,
      signal: sig,
      durationMs: Date.now() - started,
      ...(stoppedBecause ? { stoppedBecause } : {}),
    };
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    r.signal.removeEventListener('abort', onAbort);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
