import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The server as the container image runs it (the bundled build, `opsfleet server`, its own
 * process) on a fresh PostgreSQL database or a fresh PGlite directory, for the suites that
 * measure it from outside.
 */
const CLI = join(import.meta.dirname, '../dist/opsfleet.mjs');
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_PASSWORD = 'bench-admin-password';

export type Backend = 'pglite' | 'postgres';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `opsfleet_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface ServerProcess {
  url: string;
  /** Admin bearer token, for the management API. */
  token: string;
  /** An ingest API key, the way Alertmanager would be configured. */
  key: string;
  /** Peak resident set of the server process so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  pid: number;
  /** Where the server keeps its data: the PostgreSQL database, or PGlite's folder. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** SIGKILL, as a crash would; the data stays until `stop()`, for a look at what survived. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the bundled server, waits for /readyz, logs in as admin and makes an ingest key. */
export async function startServerProcess(
  backend: Backend,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const db = backend === 'postgres' ? await freshPostgres() : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-server-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the server (NODE_OPTIONS refuses it).
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, '--max-old-space-size=512', CLI, 'server'],
    {
      env: {
        ...process.env,
        // The benchmark's receivers listen on loopback, which the outbound policy refuses by default.
        OUTBOUND_ALLOW: '127.0.0.1/32',
        SERVER_PORT: String(port),
        DATA_DIR: dataDir,
        DATABASE_URL: db?.url ?? '',
        OPSFLEET_ADMIN_PASSWORD: ADMIN_PASSWORD,
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    child.kill('SIGTERM');
    // A graceful stop lets the notifier finish its pass; a stuck one must not hang the suite.
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
    await db?.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
      if (
        await fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 600) throw new Error('server did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const { accessToken: token } = await json<{ accessToken: string }>(url, '/api/v1/auth/login', {
      body: { username: 'admin', password: ADMIN_PASSWORD },
    });
    const { key } = await json<{ key: string }>(url, '/api/v1/api-keys', {
      token,
      body: { name: 'bench', role: 'ingest' },
    });
    return {
      url,
      token,
      key,
      peakRssMiB: () => {
        const kib = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        return Number(kib ?? Number.NaN) / 1024;
      },
      pid: child.pid ?? -1,
      databaseUrl: env.DATABASE_URL ?? db?.url,
      dataDir: env.DATA_DIR ?? dataDir,
      kill,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A JSON call that throws on anything but 2xx, so a broken setup cannot pass unnoticed. */
export async function json<T>(
  base: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: opts.body === undefined ? 'GET' : 'POST',
    headers: {
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}
