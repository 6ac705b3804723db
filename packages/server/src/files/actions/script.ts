import { spawn } from 'node:child_process';
import { isAbsolute } from 'node:path';
import type { FileAction } from './action.ts';
import { fileFields, fillPlaceholders, unknownPlaceholders } from './placeholders.ts';

export interface ScriptConfig {
  /** Absolute path of a program on the admin's allow-list (`FILE_ACTION_SCRIPTS`). */
  program: string;
  /** Arguments, each with `{placeholders}`; passed as they are, never through a shell. */
  args?: string[];
}

/** `EX_TEMPFAIL` (sysexits.h): the program says another attempt may pass. */
export const RETRY_EXIT_CODE = 75;
/** How long a program has to exit after SIGTERM before its group is killed. */
const KILL_AFTER_MS = 2000;

/**
 * The programs the server may run, from `FILE_ACTION_SCRIPTS` (absolute paths, comma-separated):
 * whoever may configure actions picks among what the machine's admin allowed, and cannot make the
 * server run anything else.
 */
export const allowedScripts = (env: Record<string, string | undefined> = process.env): string[] =>
  (env.FILE_ACTION_SCRIPTS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

/**
 * Runs an allowed program with the file's fields as environment variables (OPSFLEET_FILE_URL…),
 * in its own process group so the timeout or a cancel ends everything it started. It gets no
 * other environment than PATH, LANG and HOME: the server's own (database URL, keys) stays out.
 */
export const script: FileAction<ScriptConfig> = {
  kind: 'script',
  secrets: [],
  check(c) {
    const problems: { path: string; message: string }[] = [];
    if (typeof c.program !== 'string' || !isAbsolute(c.program))
      problems.push({ path: 'program', message: 'an absolute path' });
    else if (!allowedScripts().includes(c.program))
      problems.push({
        path: 'program',
        message: 'not on the allow-list: the server’s admin lists runnable programs in FILE_ACTION_SCRIPTS',
      });
    (c.args ?? []).forEach((a, i) => {
      if (typeof a !== 'string') problems.push({ path: `args.${i}`, message: 'must be text' });
      else
        for (const p of unknownPlaceholders(a))
          problems.push({ path: `args.${i}`, message: `{${p}} is not a file field` });
    });
    return problems;
  },
  run(run, c) {
    // Checked again here: the list may have shrunk since the action was saved.
    if (!allowedScripts().includes(c.program))
      return Promise.resolve({
        ok: false,
        retryable: false,
        error: `${c.program} is not on FILE_ACTION_SCRIPTS`,
        cause: 'not_allowed',
      });
    const fields = fileFields(run.file, run.idempotencyKey);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      OPSFLEET_FILE_ID: run.file.id,
      OPSFLEET_FILE_URL: fields.url!,
      OPSFLEET_FILE_BUCKET: fields.bucket!,
      OPSFLEET_FILE_KEY: fields.key!,
      OPSFLEET_FILE_PATH: fields.path!,
      OPSFLEET_FILE_NAME: fields.name!,
      OPSFLEET_FILE_SIZE: fields.size!,
      OPSFLEET_FILE_SOURCE: fields.source!,
      OPSFLEET_FILE_AGENT: fields.agent!,
      OPSFLEET_FILE_LABELS: JSON.stringify(run.file.labels),
      OPSFLEET_IDEMPOTENCY_KEY: run.idempotencyKey,
      OPSFLEET_ATTEMPT: String(run.attempt),
    };
    const args = (c.args ?? []).map((a) => fillPlaceholders(a, run.file, run.idempotencyKey));
    return new Promise((resolve) => {
      const child = spawn(c.program, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const group = (signal: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, signal);
        } catch {}
      };
      let killer: NodeJS.Timeout | undefined;
      const stop = () => {
        group('SIGTERM');
        killer = setTimeout(() => group('SIGKILL'), KILL_AFTER_MS);
      };
      run.signal.addEventListener('abort', stop, { once: true });
      child.stdout.on('data', (b: Buffer) => run.output(b.toString('utf8')));
      child.stderr.on('data', (b: Buffer) => run.output(b.toString('utf8')));
      child.on('error', (err) => {
        run.signal.removeEventListener('abort', stop);
        resolve({
          ok: false,
          retryable: false,
          error: `${c.program}: ${err.message}`,
          cause: 'spawn_failed',
        });
      });
      child.on('close', (code, signal) => {
        run.signal.removeEventListener('abort', stop);
        // Whatever it left running in its group goes with it.
        group('SIGKILL');
        clearTimeout(killer);
        if (run.signal.aborted)
          return resolve({
            ok: false,
            retryable: false,
            error: 'stopped',
            cause: 'aborted',
            result: { signal },
          });
        if (code === 0) return resolve({ ok: true, result: { exitCode: 0 } });
        resolve({
          ok: false,
          retryable: code === RETRY_EXIT_CODE,
          error: code === null ? `${c.program} was killed by ${signal}` : `${c.program} exited with ${code}`,
          cause: 'exit_status',
          result: { exitCode: code, signal },
        });
      });
    });
  },
};
