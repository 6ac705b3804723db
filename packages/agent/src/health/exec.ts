import { spawn } from 'node:child_process';
import { formatDuration } from '@opsfleet/core';
import { BoundedOutput, describeError, MAX_OUTPUT } from './output.ts';

export interface RunOptions {
  /** The whole process group is killed (SIGKILL) after this long. */
  timeoutMs: number;
  /** Added to the agent's own environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Aborting kills the process group at once. */
  signal?: AbortSignal;
  maxOutput?: number;
  /**
   * How long stdout/stderr may stay open after the script itself exits (a background child
   * holding them) before the group is killed. Default 250 ms.
   */
  lingerMs?: number;
}

export interface RunOutcome {
  /** The script's exit code; null when it was killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Set when the command could not be started (ENOENT, EACCES, …). */
  error?: string;
  /** stdout and stderr interleaved as they arrived, bounded. */
  output: string;
  pid?: number;
  ms: number;
}

/**
 * Runs `command args` (no shell) as the leader of its own process group, capturing stdout and
 * stderr together into a bounded buffer. On timeout or abort the whole group gets SIGKILL
 * (`kill(-pgid)`), so children a script forked die with it. Never rejects.
 */
export function runBounded(command: string, args: readonly string[], opts: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const out = new BoundedOutput(opts.maxOutput ?? MAX_OUTPUT);
  return new Promise((resolve) => {
    let code: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let timedOut = false;
    let error: string | undefined;
    let done = false;
    const timers: NodeJS.Timeout[] = [];

    const child = spawn(command, [...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
    });

    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is already empty.
      }
    };
    const finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({
        code,
        signal: exitSignal,
        timedOut,
        ...(error === undefined ? {} : { error }),
        output: out.text(),
        ...(child.pid === undefined ? {} : { pid: child.pid }),
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    };
    /** Kills the group, then gives the pipes a moment to close before giving up on them. */
    const killAndFinish = () => {
      killGroup();
      timers.push(setTimeout(finish, 1000));
    };
    const onAbort = () => killAndFinish();

    child.stdout?.on('data', (b: Buffer) => out.add(b));
    child.stderr?.on('data', (b: Buffer) => out.add(b));
    child.on('error', (err) => {
      error = describeError(err);
      finish();
    });
    child.on('exit', (c, s) => {
      code = c;
      exitSignal = s;
      // Something the script started still holds its output: do not wait for it.
      timers.push(setTimeout(killAndFinish, opts.lingerMs ?? 250));
    });
    child.on('close', finish);
    timers.push(
      setTimeout(() => {
        if (code !== null || exitSignal !== null) return;
        timedOut = true;
        killAndFinish();
      }, opts.timeoutMs),
    );
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `timed out after 2s`. */
export function timedOutText(ms: number): string {
  return `timed out after ${formatDuration(ms)}`;
}
