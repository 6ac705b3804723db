import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@opsfleet/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../packages/server/test/backends.ts';
import { freePort } from './peers.ts';
import { adminToken, type ServerProcess, startServerProcess } from './server-process.ts';

/**
 * The release manager end to end (issue 15 §4): `opsfleet server` on PostgreSQL and three
 * `opsfleet agent` processes, each with its own `agent` API key and data folder, all on loopback
 * (one machine, no network namespaces: the hosts differ by process, key and folder). A real
 * .tar.gz served over HTTP by the test is deployed with docs/templates/deploy-script.sh as every
 * script of the versions. After each step the installations API and each agent's `current`
 * symlink agree: v1 to all; v2 auto-selected from v1 takes exactly the hosts that have v1; a
 * host whose script fails is the only one failed and the only one retried; a rollback puts v1
 * back everywhere; the detached app survives its agent being killed and started again.
 */
const CLI = join(import.meta.dirname, '../packages/cli/bin/opsfleet.mjs');
const TEMPLATE = readFileSync(join(import.meta.dirname, '../docs/templates/deploy-script.sh'), 'utf8');
const HOSTS = ['alpha', 'beta', 'gamma'] as const;
type HostName = (typeof HOSTS)[number];

/**
 * A host refuses deploys while the file its agent's $DEPLOY_BLOCK_FILE names exists: the agent
 * passes its environment to the script, so this is how one host fails and the others do not.
 */
const GUARD = `if [ -e "\${DEPLOY_BLOCK_FILE:-/nonexistent}" ]; then echo "deploys blocked on this host by $DEPLOY_BLOCK_FILE" >&2; exit 1; fi\n`;

const postgres = (await backends()).find((b) => b.name === 'postgres');

// biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field
type Answer = any;
interface Installation {
  agent: { id: string; name: string };
  version: string;
  state: string;
}

interface Host {
  name: HostName;
  id: string;
  dataDir: string;
  config: string;
  blockFile: string;
  app: string;
  process?: ChildProcess;
}

/** The fields of /proc/<pid>/stat after the command name; undefined when it is gone or a zombie. */
function stat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields;
  } catch {
    return undefined;
  }
}
const running = (pid: number) => stat(pid) !== undefined;
/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
const startTime = (pid: number) => stat(pid)?.[19];

describe.runIf(postgres)('the release manager with three agents', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-release-'));
  const cleanups: (() => Promise<void> | void)[] = [];
  const hosts = {} as Record<HostName, Host>;
  let server: ServerProcess;
  let token = '';
  let artifacts: HttpServer;
  let project = '';
  let env = '';
  const versions: Record<string, string> = {};

  const api = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = res.status === 204 ? null : await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  };

  /** The artifact `<version>.tar.gz`: an executable bin/start that runs until it is stopped. */
  const files = new Map<string, Buffer>();
  const artifact = (version: string) => {
    const src = join(dir, 'src', version);
    mkdirSync(join(src, 'bin'), { recursive: true });
    writeFileSync(join(src, 'bin', 'start'), `#!/bin/sh\necho "app ${version} starts"\nexec sleep 3600\n`, {
      mode: 0o755,
    });
    writeFileSync(join(src, 'VERSION'), version);
    const file = join(dir, `${version}.tar.gz`);
    execFileSync('tar', ['-czf', file, '-C', src, '.']);
    const body = readFileSync(file);
    files.set(`/${version}.tar.gz`, body);
    return {
      url: `http://127.0.0.1:${(artifacts.address() as AddressInfo).port}/${version}.tar.gz`,
      sha256: createHash('sha256').update(body).digest('hex'),
    };
  };

  function startAgent(host: Host): void {
    // A process group of its own, so killing the agent's whole group cannot reach the test.
    const child = spawn(process.execPath, [CLI, 'agent', 'run', host.config], {
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn', DEPLOY_BLOCK_FILE: host.blockFile },
    });
    host.process = child;
  }

  async function stopAgent(host: Host, signal: NodeJS.Signals): Promise<void> {
    const child = host.process;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, signal);
    await exited;
  }

  const installations = async (): Promise<Record<string, string>> => {
    const list = (await api('GET', `/api/v1/release/projects/${project}/installations`))
      .items as Installation[];
    return Object.fromEntries(list.map((i) => [i.agent.name, `${i.version} ${i.state}`]));
  };
  const current = (host: HostName): string | null => {
    const link = join(hosts[host].app, 'current');
    return existsSync(link) ? readlinkSync(link) : null;
  };
  /** The pid of a host's detached app, from the run.pid the template writes. */
  const appPid = (host: HostName): number => Number(readFileSync(join(hosts[host].app, 'run.pid'), 'utf8'));
  const deployCommands = async (host: HostName): Promise<number> =>
    (await api('GET', `/api/v1/commands?agent=${hosts[host].id}&kind=deploy.run&limit=100`)).items.length;

  const task = (body: Record<string, unknown>) =>
    api('POST', '/api/v1/release/tasks', { project, environment: env, ...body });
  const over = (id: string) =>
    eventually(`task ${id} over`, () => api('GET', `/api/v1/release/tasks/${id}`), {
      ok: (t) => ['succeeded', 'failed', 'cancelled'].includes(t.state),
      timeoutMs: 180_000,
      everyMs: 250,
    });
  const targetStates = (t: Answer): Record<string, string> =>
    Object.fromEntries(t.targets.map((x: Answer) => [x.agent.name, x.state]));

  beforeAll(async () => {
    const db = await postgres!.fresh();
    cleanups.push(db.drop);
    artifacts = createHttpServer((req, res) => {
      const body = files.get(req.url ?? '');
      if (!body) return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => artifacts.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => artifacts.close(() => r())));

    server = startServerProcess({ databaseUrl: db.url! }, await freePort());
    cleanups.push(server.stop);
    await server.ready();
    token = await adminToken(server.url);

    for (const name of HOSTS) {
      const key = await api('POST', '/api/v1/api-keys', { name, role: 'agent' });
      const dataDir = join(dir, name);
      const config = join(dir, `${name}.yaml`);
      writeFileSync(
        config,
        `agent:
  name: ${name}
  dataDir: ${dataDir}
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  server: { url: "${server.url}", token: "${key.key}", heartbeat: 1s }
services: []
`,
      );
      hosts[name] = {
        name,
        id: '',
        dataDir,
        config,
        blockFile: join(dir, `${name}.block`),
        app: join(dataDir, 'deploys', 'shop', 'prod'),
      };
      startAgent(hosts[name]);
    }
    cleanups.push(async () => {
      for (const h of Object.values(hosts)) await stopAgent(h, 'SIGTERM');
    });
    // The apps outlive their agents by design: each is stopped by its group (setsid leads one).
    cleanups.push(() => {
      for (const h of Object.values(hosts)) {
        const file = join(h.app, 'run.pid');
        if (!existsSync(file)) continue;
        try {
          process.kill(-Number(readFileSync(file, 'utf8')), 'SIGKILL');
        } catch {}
      }
    });
    const agents = await eventually(
      'the three agents registered',
      async () => (await api('GET', '/api/v1/agents')).items as { id: string; name: string }[],
      { ok: (l) => HOSTS.every((n) => l.some((a) => a.name === n)), timeoutMs: 120_000, everyMs: 250 },
    );
    for (const a of agents) if (a.name in hosts) hosts[a.name as HostName].id = a.id;

    project = (await api('POST', '/api/v1/release/projects', { name: 'shop' })).id;
    env = (await api('POST', `/api/v1/release/projects/${project}/environments`, { name: 'prod' })).id;
    // Priorities in HOSTS order, so auto-select (highest first) lists the hosts in that order.
    for (const [i, name] of HOSTS.entries()) {
      await api('POST', `/api/v1/release/projects/${project}/targets`, {
        environment: env,
        agent: hosts[name].id,
        priority: 10 - i,
      });
    }
    for (const v of ['1.0.0', '2.0.0']) {
      const a = artifact(v);
      const script = v === '2.0.0' ? GUARD + TEMPLATE : TEMPLATE;
      versions[v] = (
        await api('POST', `/api/v1/release/projects/${project}/versions`, {
          version: v,
          install_script: script,
          update_script: script,
          rollback_script: script,
          uninstall_script: script,
          artifact_url: a.url,
          artifact_sha256: a.sha256,
          status: 'active',
        })
      ).id;
    }
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploys v1 to all three hosts: installed at the server, current on disk, the app running', async () => {
    const t = await over(
      (
        await task({
          version: versions['1.0.0'],
          operation: 'deploy',
          client_ids: HOSTS.map((n) => hosts[n].id),
        })
      ).id,
    );
    expect(t.state, JSON.stringify(t.targets)).toBe('succeeded');
    expect(await installations()).toEqual({
      alpha: '1.0.0 installed',
      beta: '1.0.0 installed',
      gamma: '1.0.0 installed',
    });
    for (const h of HOSTS) {
      expect(current(h)).toBe('releases/1.0.0');
      expect(readFileSync(join(hosts[h].app, 'current', 'VERSION'), 'utf8')).toBe('1.0.0');
      expect(running(appPid(h))).toBe(true);
    }
  });

  it('auto-selects from v1 exactly the hosts that have it; a host whose script fails is the only one failed, and the only one retried', async () => {
    // gamma no longer has v1: auto-select must leave it out.
    const gone = await over(
      (await task({ version: versions['1.0.0'], operation: 'uninstall', client_ids: [hosts.gamma.id] })).id,
    );
    expect(gone.state).toBe('succeeded');
    expect(current('gamma')).toBeNull();
    expect(await installations()).toEqual({
      alpha: '1.0.0 installed',
      beta: '1.0.0 installed',
      gamma: '1.0.0 uninstalled',
    });

    const selection = { auto_select_clients: true, source_version: '1.0.0' };
    const preview = await api('POST', '/api/v1/release/tasks/preview', {
      project,
      environment: env,
      ...selection,
    });
    expect(preview.targets.map((x: Answer) => x.agent.name)).toEqual(['alpha', 'beta']);

    writeFileSync(hosts.beta.blockFile, '');
    const created = await task({ version: versions['2.0.0'], operation: 'deploy', ...selection });
    expect(created.targets.map((x: Answer) => x.agent.name)).toEqual(['alpha', 'beta']);
    const failed = await over(created.id);
    expect(failed.state).toBe('failed');
    expect(targetStates(failed)).toEqual({ alpha: 'succeeded', beta: 'failed' });
    const betaTarget = failed.targets.find((x: Answer) => x.agent.name === 'beta');
    expect(betaTarget.error).toMatch(/shop 2\.0\.0 \(prod, deploy\): the script exited 1/);
    const said = (await api('GET', `/api/v1/commands/${betaTarget.commandId}/output`)).items.map(
      (l: Answer) => l.line,
    );
    expect(said).toContain(`deploys blocked on this host by ${hosts.beta.blockFile}`);
    expect(await installations()).toEqual({
      alpha: '2.0.0 installed',
      beta: '2.0.0 failed',
      gamma: '1.0.0 uninstalled',
    });
    expect(current('alpha')).toBe('releases/2.0.0');
    // The script stopped before touching anything: beta still runs v1.
    expect(current('beta')).toBe('releases/1.0.0');
    expect(running(appPid('beta'))).toBe(true);

    const before = { alpha: await deployCommands('alpha'), beta: await deployCommands('beta') };
    rmSync(hosts.beta.blockFile);
    const retried = await api('POST', `/api/v1/release/tasks/${created.id}/retry`);
    expect(targetStates(retried)).toEqual({ alpha: 'succeeded', beta: 'pending' });
    const done = await over(created.id);
    expect(done.state, JSON.stringify(done.targets)).toBe('succeeded');
    expect(targetStates(done)).toEqual({ alpha: 'succeeded', beta: 'succeeded' });
    expect({ alpha: await deployCommands('alpha'), beta: await deployCommands('beta') }).toEqual({
      alpha: before.alpha,
      beta: before.beta + 1,
    });
    expect(await installations()).toEqual({
      alpha: '2.0.0 installed',
      beta: '2.0.0 installed',
      gamma: '1.0.0 uninstalled',
    });
    expect([current('alpha'), current('beta'), current('gamma')]).toEqual([
      'releases/2.0.0',
      'releases/2.0.0',
      null,
    ]);
    for (const h of ['alpha', 'beta'] as const) {
      expect(readFileSync(join(hosts[h].app, 'current', 'VERSION'), 'utf8')).toBe('2.0.0');
      expect(running(appPid(h))).toBe(true);
    }
  });

  it('rolls back to v1 on every host', async () => {
    const t = await over(
      (
        await task({
          version: versions['1.0.0'],
          operation: 'rollback',
          client_ids: HOSTS.map((n) => hosts[n].id),
        })
      ).id,
    );
    expect(t.state, JSON.stringify(t.targets)).toBe('succeeded');
    expect(await installations()).toEqual({
      alpha: '1.0.0 installed',
      beta: '1.0.0 installed',
      gamma: '1.0.0 installed',
    });
    for (const h of HOSTS) {
      expect(current(h)).toBe('releases/1.0.0');
      expect(readFileSync(join(hosts[h].app, 'current', 'VERSION'), 'utf8')).toBe('1.0.0');
      expect(running(appPid(h))).toBe(true);
    }
  });

  it('keeps the detached app running when its agent is killed and started again', async () => {
    const pid = appPid('alpha');
    const started = startTime(pid);
    expect(started).toBeDefined();
    const agentPid = hosts.alpha.process!.pid!;
    await stopAgent(hosts.alpha, 'SIGKILL');
    expect(running(agentPid)).toBe(false);
    expect(startTime(pid)).toBe(started);

    startAgent(hosts.alpha);
    const ping = await api('POST', '/api/v1/commands', {
      agent: hosts.alpha.id,
      kind: 'ping',
      timeout: '1m',
    });
    const pong = await eventually(
      'the restarted agent answers',
      () => api('GET', `/api/v1/commands/${ping.id}`),
      {
        ok: (c) => c.state === 'succeeded',
        timeoutMs: 120_000,
        everyMs: 250,
      },
    );
    expect(pong.result.pid).toBe(hosts.alpha.process!.pid);
    expect(startTime(pid)).toBe(started);
    expect(current('alpha')).toBe('releases/1.0.0');
    expect((await installations()).alpha).toBe('1.0.0 installed');
  });
});
