import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Real peers for end-to-end tests (Debian packages); see `peerAvailable`. */
export { peerAvailable } from '@opsfleet/core/testing';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface Prometheus {
  url: string;
  process: ChildProcess;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Rule files (absolute paths) evaluated every second. */
  ruleFiles?: string[];
  /** Alertmanagers (`host:port`) the firing alerts are sent to. */
  alertmanagers?: string[];
  /** More command-line flags, e.g. `--web.enable-remote-write-receiver`. */
  extraArgs?: string[];
  /** Headers the readiness probe sends (a Prometheus behind `--web.config.file` basic auth). */
  readyHeaders?: Record<string, string>;
}

const yamlList = (items: string[]) => `[${items.map((t) => JSON.stringify(t)).join(', ')}]`;

/**
 * Prometheus on a loopback port scraping `targets` every second; with `options`, also evaluating
 * rule files and sending alerts to Alertmanagers (the config is checked with promtool first).
 */
export async function startPrometheus(targets: string[], options?: PrometheusOptions): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'prom-'));
  const port = await freePort();
  let config = `global: {scrape_interval: 1s, evaluation_interval: 1s}\n`;
  if (targets.length)
    config += `scrape_configs:\n  - job_name: opsfleet-exporter\n    static_configs: [{targets: ${yamlList(targets)}}]\n`;
  if (options?.ruleFiles?.length) config += `rule_files: ${yamlList(options.ruleFiles)}\n`;
  if (options?.alertmanagers?.length)
    config += `alerting:\n  alertmanagers:\n    - static_configs: [{targets: ${yamlList(options.alertmanagers)}}]\n`;
  writeFileSync(join(dir, 'prometheus.yml'), config);
  if (options) checkConfig('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
  const proc = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(options?.extraArgs ?? []),
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('prometheus ready', async () =>
    (await fetch(`${url}/-/ready`, { headers: options?.readyHeaders })).ok ? true : undefined,
  );
  return {
    url,
    process: proc,
    async query(expr) {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await r.json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return body.data.result;
    },
    stop: () =>
      new Promise((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** The reader of a Prometheus behind basic auth (startAuthedPrometheus). */
export const READER = { username: 'reader', password: 'e2e-reader-pass' } as const;
// bcrypt (cost 4) of READER.password: Prometheus's web config takes only hashes.
const READER_HASH = '$2b$04$2.T6hCTt3MH5kPqT8vJrlu5qaCuaa9ozH0.Kh1nhuauxxHjW9AfDO';
export const READER_BASIC = `Basic ${Buffer.from(`${READER.username}:${READER.password}`).toString('base64')}`;

/** A Prometheus that demands READER's basic auth (its own `--web.config.file`), scraping `targets`. */
export async function startAuthedPrometheus(targets: string[]): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'prom-web-'));
  writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  ${READER.username}: ${READER_HASH}\n`);
  const prom = await startPrometheus(targets, {
    extraArgs: [`--web.config.file=${join(dir, 'web.yml')}`],
    readyHeaders: { authorization: READER_BASIC },
  });
  return {
    ...prom,
    stop: async () => {
      await prom.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a config checker (`promtool check rules f`, `amtool check-config f`); throws with its output if it refuses. */
export function checkConfig(binary: string, args: string[]): void {
  const r = spawnSync(binary, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${binary} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`${binary} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

/** Ends a child: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export function stopProcess(proc: ChildProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** A peer process whose output is kept (the last lines) for failure messages. */
export interface Peer {
  url: string;
  process: ChildProcess;
  /** The last lines the process wrote to stdout and stderr. */
  output(): string;
  /** Ends the process (SIGTERM, SIGKILL after 5 s) and removes its scratch folder. */
  stop(): Promise<void>;
}

async function startPeer(
  name: string,
  binary: string,
  args: string[],
  url: string,
  readyPath: string,
  scratchDir?: string,
) {
  const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let spawnError: Error | undefined;
  proc.once('error', (err) => {
    spawnError = err;
  });
  const peer: Peer = {
    url,
    process: proc,
    output: () => lines.join('\n'),
    stop: async () => {
      await stopProcess(proc);
      if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (spawnError) throw new Error(`${name} did not start: ${spawnError.message}`);
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(
        `${name} exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${peer.output()}`,
      );
    const ok = await fetch(`${url}${readyPath}`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return peer;
    if (Date.now() > deadline) {
      await peer.stop();
      throw new Error(`timed out waiting for ${name} ready:\n${peer.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Alertmanager 0.25 (`prometheus-alertmanager`) on a loopback port with the given config file,
 * without clustering. Check the config with `amtool check-config` first.
 */
export async function startAlertmanager(configFile: string): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startPeer(
    'alertmanager',
    'prometheus-alertmanager',
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    url,
    '/-/ready',
    dir,
  );
}

export interface VmalertOptions {
  /** Rule files (Prometheus rule format). */
  ruleFiles: string[];
  /** A Prometheus-compatible query API: Prometheus itself or VictoriaMetrics. */
  datasourceUrl: string;
  /** Where alerts go; vmalert appends `/api/v2/alerts`. */
  notifierUrl: string;
  /** Default 1s. */
  evaluationInterval?: string;
  /** More flags, e.g. `-notifier.bearerToken=…`. */
  extraArgs?: string[];
}

/** vmalert (from the `victoria-metrics` package) on a loopback port. */
export async function startVmalert(options: VmalertOptions): Promise<Peer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startPeer(
    'vmalert',
    'vmalert',
    [
      ...options.ruleFiles.map((f) => `-rule=${f}`),
      `-datasource.url=${options.datasourceUrl}`,
      `-notifier.url=${options.notifierUrl}`,
      `-evaluationInterval=${options.evaluationInterval ?? '1s'}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      ...(options.extraArgs ?? []),
    ],
    url,
    '/health',
  );
}
