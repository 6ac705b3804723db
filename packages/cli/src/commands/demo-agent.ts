import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '@opsfleet/agent';
import type { Logger } from 'pino';

/**
 * The demo's host agent: two sample services, one healthy HTTP server with a health check and
 * one worker that crash-loops until the agent gives up on it, which shows up as an alert (and a
 * notification) in the console. It registers with the demo server with an `agent` API key kept
 * in the demo folder, so each run is the same agent.
 */
// From the sources, or from the bundle in dist/ next to the packages folder.
const SERVICES =
  [
    join(import.meta.dirname, '../../demo-services'),
    join(import.meta.dirname, '../packages/cli/demo-services'),
  ].find((d) => existsSync(d)) ?? join(import.meta.dirname, '../../demo-services');

async function agentKey(base: string, token: string, dir: string): Promise<string> {
  const file = join(dir, 'agent.key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    const probe = await fetch(`${base}/api/v1/agents/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ services: [] }),
    });
    if (probe.status !== 401 && probe.status !== 403) return key;
  }
  const res = await fetch(`${base}/api/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'demo-host', role: 'agent' }),
  });
  if (!res.ok)
    throw new Error(`demo setup: could not create the agent's API key: ${res.status} ${await res.text()}`);
  const { key } = (await res.json()) as { key: string };
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export async function demoAgent(opts: {
  base: string;
  adminToken: string;
  dir: string;
  grpcPort: number;
  httpPort: number;
  webPort: number;
  /** agent.yaml lines under `agent:` for the ConfigAgent, when the demo runs a Prometheus. */
  configSync?: string;
  /** agent.yaml's `files:` section (the file pipeline). */
  files?: string;
  log: Logger;
}): Promise<Agent> {
  const key = await agentKey(opts.base, opts.adminToken, opts.dir);
  const config = join(opts.dir, 'agent.yaml');
  writeFileSync(
    config,
    `# Written by \`opsfleet demo\`: one agent, two sample services and a watched folder (docs/agent.md, docs/files.md).
agent:
  name: demo-host
  labels: { env: demo }
  dataDir: ${join(opts.dir, 'agent')}
  grpc: { listen: "127.0.0.1:${opts.grpcPort}" }
  http: { listen: "127.0.0.1:${opts.httpPort}" }
  server: { url: "${opts.base}", token: "${key}" }
${opts.configSync ?? ''}services:
  - name: demo-web
    command: ${process.execPath}
    args: ["${join(SERVICES, 'web.mjs')}"]
    env: { PORT: "${opts.webPort}" }
    health:
      - name: http
        type: http
        http: { url: "http://127.0.0.1:${opts.webPort}/healthz" }
        interval: 5s
  - name: demo-worker
    command: ${process.execPath}
    args: ["${join(SERVICES, 'worker.mjs')}"]
    dependsOn: [demo-web]
    restart: { policy: always, initialDelay: 1s, maxRestarts: 3, window: 1m, fatalCooldown: 2m }
${opts.files ?? ''}`,
  );
  // It holds the server API key.
  chmodSync(config, 0o600);
  return Agent.start({ configPath: config, log: opts.log });
}

/**
 * Sends the demo agent a `ping` over the command channel once it has registered, so the
 * commands API has a finished command in it; answers the command's id. The agent fetches it over
 * the long poll it keeps open to the server (docs/agent.md, Commands from the server).
 */
export async function demoPing(base: string, token: string, name: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  for (let i = 0; ; i++) {
    const list = (await (await fetch(`${base}/api/v1/agents?q=${name}`, { headers })).json()) as {
      items: { id: string; name: string }[];
    };
    const agent = list.items.find((a) => a.name === name);
    if (agent) {
      const res = await fetch(`${base}/api/v1/commands`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ agent: agent.id, kind: 'ping', timeout: '1m' }),
      });
      if (!res.ok)
        throw new Error(`demo setup: the ping command was refused: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    }
    if (i >= 60) throw new Error(`demo setup: the agent ${name} did not register within a minute`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
