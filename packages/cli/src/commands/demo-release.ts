import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call } from './demo-notify.ts';

/**
 * The demo's release: project `demo-app` with environment `demo`, the demo agent as its target,
 * version 1.0.0 whose scripts are the standard deploy script (docs/templates/deploy-script.sh)
 * and whose artifact is a tiny .tar.gz the demo serves on loopback, and a deploy task. The
 * task runs while the demo prints its URLs; the agent unpacks the release, switches `current`
 * and starts the app detached. The project is made afresh on every run.
 */
export const DEMO_PROJECT = 'demo-app';
export const DEMO_VERSION = '1.0.0';
const ENV = 'demo';

// From the sources, or from the bundle in dist/ next to the docs folder.
const TEMPLATE =
  [
    join(import.meta.dirname, '../../../../docs/templates/deploy-script.sh'),
    join(import.meta.dirname, '../docs/templates/deploy-script.sh'),
  ].find((f) => existsSync(f)) ?? join(import.meta.dirname, '../../../../docs/templates/deploy-script.sh');

/** Where the agent deploys the demo app (docs/agent.md, Deploys: `<dataDir>/deploys/<project>/<env>`). */
export const demoAppDir = (agentDataDir: string) => join(agentDataDir, 'deploys', DEMO_PROJECT, ENV);

/**
 * Stops the demo app the deploy started: it was started detached, so it outlives the agent by
 * design, and the demo must not leave it behind. The pid in run.pid is only trusted while that
 * process still runs the app's start script (a stale file's pid may belong to someone else now).
 */
export function stopDemoApp(agentDataDir: string): void {
  const app = demoAppDir(agentDataDir);
  const file = join(app, 'run.pid');
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8'));
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(app)) return;
    // setsid made it the leader of its own process group: the group goes with it.
    process.kill(-pid, 'SIGTERM');
  } catch {
    // Gone already.
  }
}

/** The artifact: bin/start prints its version and waits, the smallest app that keeps running. */
async function buildArtifact(dir: string): Promise<Buffer> {
  const src = join(dir, 'release-src', DEMO_VERSION);
  mkdirSync(join(src, 'bin'), { recursive: true });
  writeFileSync(
    join(src, 'bin', 'start'),
    `#!/bin/sh\necho "${DEMO_PROJECT} ${DEMO_VERSION} running in $(pwd)"\nwhile :; do sleep 3600; done\n`,
    { mode: 0o755 },
  );
  writeFileSync(join(src, 'VERSION'), DEMO_VERSION);
  const file = join(dir, `${DEMO_PROJECT}-${DEMO_VERSION}.tar.gz`);
  await promisify(execFile)('tar', ['-czf', file, '-C', src, '.']);
  return readFileSync(file);
}

/**
 * Sets the release up and starts the deploy task; answers the task's id and a `close` for the
 * artifact server. Nothing here waits for the deploy itself.
 */
export async function demoRelease(opts: {
  base: string;
  token: string;
  dir: string;
  agentName: string;
}): Promise<{ taskId: string; close(): Promise<void> }> {
  const { base, token } = opts;
  const body = await buildArtifact(opts.dir);
  const path = `/${DEMO_PROJECT}-${DEMO_VERSION}.tar.gz`;
  const http = createServer((req, res) => {
    if (req.url !== path || (req.method !== 'GET' && req.method !== 'HEAD')) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const close = () => new Promise<void>((r) => http.close(() => r()));

  const agents = (await call(base, token, 'GET', `/api/v1/agents?q=${opts.agentName}`)) as {
    items: { id: string; name: string }[];
  };
  const agent = agents.items.find((a) => a.name === opts.agentName);
  if (!agent) throw new Error(`demo setup: the agent ${opts.agentName} has not registered`);

  // A run of the demo before this one left its project: start from a clean one.
  const projects = (await call(base, token, 'GET', '/api/v1/release/projects?limit=500')) as {
    items: { id: string; name: string }[];
  };
  for (const p of projects.items.filter((x) => x.name === DEMO_PROJECT))
    await call(base, token, 'DELETE', `/api/v1/release/projects/${p.id}`);

  const project = (await call(base, token, 'POST', '/api/v1/release/projects', {
    name: DEMO_PROJECT,
    description: 'deployed by `opsfleet demo` to demo-host with docs/templates/deploy-script.sh',
  })) as { id: string };
  const env = (await call(base, token, 'POST', `/api/v1/release/projects/${project.id}/environments`, {
    name: ENV,
  })) as { id: string };
  await call(base, token, 'POST', `/api/v1/release/projects/${project.id}/targets`, {
    environment: env.id,
    agent: agent.id,
    labels: { role: 'demo' },
  });
  // setsid even where systemd-run would be the default (systemd, the demo run as root): the
  // demo stops the app on Ctrl-C by its process group, which a transient unit is not.
  const script = `DETACH_METHOD=setsid\n${readFileSync(TEMPLATE, 'utf8')}`;
  const version = (await call(base, token, 'POST', `/api/v1/release/projects/${project.id}/versions`, {
    version: DEMO_VERSION,
    install_script: script,
    update_script: script,
    rollback_script: script,
    uninstall_script: script,
    artifact_url: `http://127.0.0.1:${(http.address() as AddressInfo).port}${path}`,
    artifact_sha256: createHash('sha256').update(body).digest('hex'),
    status: 'active',
  })) as { id: string };
  const task = (await call(base, token, 'POST', '/api/v1/release/tasks', {
    project: project.id,
    environment: env.id,
    version: version.id,
    operation: 'deploy',
    client_ids: [agent.id],
  })) as { id: string };
  return { taskId: task.id, close };
}
