import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server-process.ts';

/**
 * The reference for bench:server: the real Alertmanager (Debian's 0.25) in its own process on
 * loopback, with its own storage directory and clustering off, routing every alert to a
 * webhook receiver the way opsfleet's rule does. And the receiver both of them notify.
 */

/** Grouping and timing shared by Alertmanager's route and opsfleet's rule. */
export interface Routing {
  groupBy: string[];
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
}

export interface AlertmanagerProcess {
  url: string;
  version: string;
  pid: number;
  /** Peak resident set so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  /**
   * SIGKILL, then a new Alertmanager on the same storage directory: how many alerts it knows
   * once ready. It keeps alerts in memory only, so this shows what a crash keeps.
   */
  alertsAfterCrash(): Promise<number>;
  stop(): Promise<void>;
}

/** `ALERTMANAGER_BIN`, else Debian's name for it, else upstream's. */
function binary(): string {
  const candidates = [process.env.ALERTMANAGER_BIN, 'prometheus-alertmanager', 'alertmanager'].filter(
    (c): c is string => Boolean(c),
  );
  for (const c of candidates) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {}
  }
  throw new Error(
    'bench:server compares with the real Alertmanager: apt-get install -y prometheus-alertmanager (or set ALERTMANAGER_BIN)',
  );
}

function config(receiverUrl: string, r: Routing): string {
  // JSON is YAML: no YAML writer needed.
  return JSON.stringify({
    route: {
      receiver: 'sink',
      group_by: r.groupBy,
      group_wait: `${r.groupWaitSeconds}s`,
      group_interval: `${r.groupIntervalSeconds}s`,
      repeat_interval: `${r.repeatIntervalSeconds}s`,
    },
    receivers: [{ name: 'sink', webhook_configs: [{ url: receiverUrl, send_resolved: true }] }],
  });
}

export async function startAlertmanager(receiverUrl: string, routing: Routing): Promise<AlertmanagerProcess> {
  const bin = binary();
  const version = /version (\S+)/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  const dir = mkdtempSync(join(tmpdir(), 'bench-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, config(receiverUrl, routing));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  const launch = async (): Promise<{ child: ChildProcess; exited: Promise<void> }> => {
    const child = spawn(
      bin,
      [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Empty: no gossip listener, a single Alertmanager.
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`alertmanager exited with code ${child.exitCode}`);
      if (
        await fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return { child, exited };
      if (i > 300) {
        child.kill('SIGKILL');
        throw new Error('alertmanager did not become ready');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  let current = await launch();
  const stopCurrent = async (signal: NodeJS.Signals) => {
    current.child.kill(signal);
    const killer = setTimeout(() => current.child.kill('SIGKILL'), 10_000);
    await current.exited;
    clearTimeout(killer);
  };
  return {
    url,
    version,
    get pid() {
      return current.child.pid ?? -1;
    },
    peakRssMiB: () => {
      const kib = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${current.child.pid}/status`, 'utf8'))?.[1];
      return Number(kib ?? Number.NaN) / 1024;
    },
    alertsAfterCrash: async () => {
      await stopCurrent('SIGKILL');
      current = await launch();
      const alerts = (await (await fetch(`${url}/api/v2/alerts`)).json()) as unknown[];
      return alerts.length;
    },
    stop: async () => {
      await stopCurrent('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Counts what a notifier delivers; both send `{alerts: [...]}` bodies. */
export interface Sink {
  url: string;
  messages: number;
  alerts: number;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const counts = { messages: 0, alerts: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      counts.messages += 1;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alerts?: unknown[] };
        counts.alerts += body.alerts?.length ?? 0;
      } catch {}
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(counts, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
