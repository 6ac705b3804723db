import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from './demo-notify.ts';

/**
 * The demo's alerting rules, when Debian's `prometheus` and `victoria-metrics` are installed
 * (saving a rule group needs promtool and vmalert; docs/rules.md): a real Prometheus scraping
 * the exporter and sending its alerts to the server's /api/v2/alerts with an ingest key, a rule
 * group on it, and a sync target that the demo agent's ConfigAgent applies to that Prometheus.
 */
export interface DemoPrometheus {
  url: string;
  rulesDir: string;
  close(): Promise<void>;
}

const GROUP = 'demo-cloud';
const TARGET = 'demo-prometheus';

const installed = (binary: string) => {
  try {
    execFileSync('which', [binary], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** The key Prometheus sends alerts with (role ingest), kept in the demo folder so each run reuses it. */
async function ingestKey(base: string, token: string, file: string): Promise<string> {
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    // An ingest key may not read alerts (403); a key the server does not know is a 401.
    const probe = await fetch(`${base}/api/v1/alerts?limit=1`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (probe.status === 403) return key;
  }
  const { key } = (await call(base, token, 'POST', '/api/v1/api-keys', {
    name: 'demo-prometheus',
    role: 'ingest',
  })) as { key: string };
  writeFileSync(file, key, { mode: 0o600 });
  return key;
}

/** Prometheus on loopback, or why not (a missing package is a line in the demo's output, not a failure). */
export async function startDemoPrometheus(opts: {
  dir: string;
  port: number;
  exporterUrl: string;
  serverUrl: string;
  adminToken: string;
}): Promise<DemoPrometheus | string> {
  const missing = ['prometheus', 'promtool', 'vmalert'].filter((b) => !installed(b));
  if (missing.length)
    return `not set up: ${missing.join(', ')} not installed (apt-get install prometheus victoria-metrics)`;
  const home = join(opts.dir, 'prometheus');
  const rulesDir = join(home, 'rules');
  mkdirSync(rulesDir, { recursive: true });
  await ingestKey(opts.serverUrl, opts.adminToken, join(home, 'ingest.key'));
  const server = new URL(opts.serverUrl);
  writeFileSync(
    join(home, 'prometheus.yml'),
    `# Written by \`opsfleet demo\`.
global: { scrape_interval: 15s, evaluation_interval: 15s }
scrape_configs:
  - job_name: opsfleet-exporter
    static_configs: [{ targets: ["${new URL(opts.exporterUrl).host}"] }]
rule_files: ["${rulesDir}/*.yml"]
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["${server.host}"] }]
      basic_auth: { username: api_key, password_file: "${join(home, 'ingest.key')}" }
`,
  );
  const proc: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(home, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(home, 'data')}`,
      `--web.listen-address=127.0.0.1:${opts.port}`,
      '--web.enable-lifecycle',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${opts.port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) return `not set up: prometheus exited (${proc.exitCode})`;
    const ready = await fetch(`${url}/-/ready`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) return { url, rulesDir, close };
    await new Promise((r) => setTimeout(r, 300));
  }
  await close();
  return 'not set up: prometheus was not ready within 30 s';
}

/** The agent.yaml lines of the demo agent's ConfigAgent. */
export const demoConfigSyncYaml = (p: DemoPrometheus): string =>
  `  configSync:
    interval: 5s
    targets:
      - { name: ${TARGET}, kind: prometheus, rulesDir: "${p.rulesDir}", url: "${p.url}" }
`;

type Named = { id: string; name: string };

/** The data source, rule group and sync target, made once and kept pointing at this run's Prometheus. */
export async function demoRules(
  base: string,
  token: string,
  agentName: string,
  p: DemoPrometheus,
): Promise<string> {
  const list = async (path: string) => ((await call(base, token, 'GET', path)) as { items: Named[] }).items;
  const agent = (await list(`/api/v1/agents?q=${agentName}`)).find((a) => a.name === agentName);
  if (!agent) throw new Error(`demo setup: the agent ${agentName} is not registered`);
  const ds = { name: 'demo-prometheus', kind: 'prometheus', url: p.url, auth: { type: 'none' } };
  const oldDs = (await list('/api/v1/datasources')).find((d) => d.name === ds.name);
  const datasource = (
    oldDs
      ? await call(base, token, 'PUT', `/api/v1/datasources/${oldDs.id}`, ds)
      : await call(base, token, 'POST', '/api/v1/datasources', ds)
  ) as Named;
  const groups = await list('/api/v1/rule-groups');
  let group = groups.find((g) => g.name === GROUP);
  if (!group)
    group = (await call(base, token, 'POST', '/api/v1/rule-groups', {
      name: GROUP,
      datasource_id: datasource.id,
      interval: '15s',
      comment: 'made by opsfleet demo',
      rules: [
        {
          name: 'LoadBalancerTrafficSeen',
          expr: 'max by (cloud_provider) (clb_traffic_rx_bps) > 0',
          for: '30s',
          severity: 'info',
          labels: { team: 'network' },
          annotations: { summary: 'load balancers on {{ $labels.cloud_provider }} carry traffic' },
        },
      ],
    })) as Named;
  const target = { name: TARGET, kind: 'prometheus', agent_id: agent.id, datasource_id: datasource.id };
  const oldTarget = (await list('/api/v1/sync-targets')).find((t) => t.name === TARGET);
  if (oldTarget) await call(base, token, 'PUT', `/api/v1/sync-targets/${oldTarget.id}`, target);
  else await call(base, token, 'POST', '/api/v1/sync-targets', target);
  return `${base}/alerting-rules/${group.id}   (group "${GROUP}" synced by demo-host's ConfigAgent to the Prometheus at ${p.url}, state in ${base}/config-sync)`;
}
