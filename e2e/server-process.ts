import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '@opsfleet/core/testing';
import { stopProcess } from './peers.ts';

/**
 * `opsfleet server` in a process of its own, for the tests that kill it: the CLI's bin runs the
 * sources through tsx's loader inside that one process, so a signal reaches the server itself
 * rather than a wrapper.
 */

const CLI = join(import.meta.dirname, '../packages/cli/bin/opsfleet.mjs');
export const SERVER_ADMIN_PASSWORD = 'admin-password-1';

/** PostgreSQL (`databaseUrl`) or a PGlite data folder (`dataDir`). */
export interface ServerStorage {
  databaseUrl?: string;
  dataDir?: string;
}

export interface ServerProcess {
  url: string;
  process: ChildProcess;
  /** The last lines the server wrote, for failure messages. */
  output(): string;
  /** Log lines at level error or fatal written so far. */
  errors(): string[];
  /** Polls /readyz; fails at once, with the server's output, if the process exits first. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL after 5 s. */
  stop(): Promise<void>;
}

export function startServerProcess(
  storage: ServerStorage,
  port: number,
  env: Record<string, string> = {},
): ServerProcess {
  const proc = spawn(process.execPath, [CLI, 'server'], {
    env: {
      ...process.env,
      // An empty DATABASE_URL means PGlite, so an inherited one cannot redirect a PGlite case.
      DATABASE_URL: storage.databaseUrl ?? '',
      ...(storage.dataDir ? { DATA_DIR: storage.dataDir } : {}),
      SERVER_PORT: String(port),
      OPSFLEET_ADMIN_PASSWORD: SERVER_ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const errors: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (/"level":(5\d|60)\b/.test(line)) errors.push(line);
    }
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  proc.stdout.on('data', keep);
  // A crash trace on stderr is the first thing to read when a test fails, so it is shown as well.
  proc.stderr.on('data', (chunk: Buffer) => {
    keep(chunk);
    process.stderr.write(chunk);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const gone = () => proc.exitCode !== null || proc.signalCode !== null;
  return {
    url,
    process: proc,
    output: () => lines.join('\n'),
    errors: () => [...errors],
    ready: async (timeoutMs = 90_000) => {
      const state = await eventually(
        () => `the server at ${url} ready; its output:\n${lines.join('\n')}`,
        async () => (gone() ? 'exited' : (await fetch(`${url}/readyz`)).ok ? 'ready' : 'starting'),
        // An exit ends the wait at once: retrying until the timeout would only hide its reason.
        { ok: (s) => s !== 'starting', timeoutMs, everyMs: 100 },
      );
      if (state === 'exited')
        throw new Error(
          `server exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${lines.join('\n')}`,
        );
    },
    kill: async () => {
      if (!gone()) proc.kill('SIGKILL');
      await exited;
    },
    stop: () => stopProcess(proc),
  };
}

/** An admin access token, from the password the server was started with. */
export async function adminToken(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: SERVER_ADMIN_PASSWORD }),
  });
  if (!res.ok) throw new Error(`login: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}
