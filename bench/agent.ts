import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AGENT_PROTO } from '@opsfleet/agent';

/**
 * `npm run bench:agent`: what the host agent costs while it has nothing to do but watch. The
 * agent runs as production runs it (the bundled build, `node dist/opsfleet.mjs agent run`, its
 * own process) and supervises 50 services that do nothing (`sleep infinity`, so only the agent
 * is measured), each with one health check every 10 s: 30 `process` checks, 10 `tcp` checks
 * against a listener and 10 `http` checks against an HTTP server, both in the benchmark
 * process. Once /metrics says all 50 are up it settles two minutes, then the agent process alone
 * (not its services) is read from /proc every second for five minutes. Four agents in turn: as described,
 * the same after the agent was restarted and adopted its 50 running services, the same with remote
 * write to a receiver in the benchmark process, and one with no services (what Node and the agent
 * cost before the first service).
 */
const CLI = join(import.meta.dirname, '../dist/opsfleet.mjs');
const MIX = { process: 30, tcp: 10, http: 10 } as const;
const SERVICES = MIX.process + MIX.tcp + MIX.http;
const CHECK_INTERVAL_S = 10;
const METRICS_INTERVAL_S = 10;
const REMOTE_WRITE_INTERVAL_S = 15;
/**
 * Settling, then measuring. An agent's RSS keeps rising for a few minutes after its start (the
 * heap grows to its working size, compiled code accumulates), so the measured case is watched
 * from its 2nd to its 7th minute; the comparison runs are shorter.
 */
const TIMING: Record<Variant, Timing> = {
  plain: { settleS: 120, windowS: 300 },
  // A state the goal holds for too: measured as long as the first.
  'after restart': { settleS: 120, windowS: 300 },
  'remote write': { settleS: 60, windowS: 120 },
  'no services': { settleS: 60, windowS: 120 },
};
interface Timing {
  settleS: number;
  windowS: number;
}
/** CPU is also reported for each sixth of a window, to show spikes or a trend the average hides. */
const SLICES = 6;
/** `service_up` is refreshed once per metrics interval; this allows several. */
const UP_TIMEOUT_MS = 60_000;
/**
 * How production starts the agent: deploy/systemd/opsfleet-agent.service when the repository has
 * it (its ExecStart flags before the bundle, and its Environment), otherwise what
 * deploy/docker/Dockerfile gives the bundle (the exporter's image: NODE_ENV, the NODE_OPTIONS heap
 * cap and the entrypoint's `--enable-source-maps`). Read at run time so the figures follow the
 * shipped settings.
 */
export interface Launch {
  source: string;
  flags: string[];
  env: Record<string, string>;
}

const UNIT = join(import.meta.dirname, '../deploy/systemd/opsfleet-agent.service');

export function productionLaunch(unitPath = UNIT): Launch {
  if (!existsSync(unitPath))
    return {
      source: 'deploy/docker/Dockerfile',
      flags: ['--enable-source-maps'],
      env: { NODE_ENV: 'production', NODE_OPTIONS: '--max-old-space-size=256' },
    };
  const unit = readFileSync(unitPath, 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  const bundle = exec.findIndex((w) => w.endsWith('opsfleet.mjs'));
  if (bundle < 1) throw new Error(`${unitPath}: no ExecStart running opsfleet.mjs`);
  const env: Record<string, string> = {};
  // systemd's Environment=: space-separated KEY=VALUE words, double quotes around one with spaces.
  for (const line of unit.matchAll(/^Environment=(.*)$/gm))
    for (const w of line[1]!.matchAll(/"([^"]*)"|(\S+)/g)) {
      const kv = w[1] ?? w[2]!;
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  return { source: 'deploy/systemd/opsfleet-agent.service', flags: exec.slice(1, bundle), env };
}

/** The issue's goals: ≤ 1 % of one core, ≤ 80 MB resident. */
const GOAL = { cpuPercent: 1, rssBytes: 80e6 };
const STOP_CONCURRENCY = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = Array.from({ length: SERVICES }, (_, i) => `svc-${String(i + 1).padStart(2, '0')}`);

/** From `getconf`, as the agent does: never assumed 100. */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of the process itself, in ticks; split after the last `)` so the name cannot shift fields. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14, stime field 15.
  return Number(f[11]) + Number(f[12]);
}

/** VmRSS, VmHWM and the anonymous/file split of the resident set, in bytes. */
function memory(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM'), anon: kib('RssAnon'), file: kib('RssFile') };
}

/** Busy ticks and all ticks of the whole machine, to show how loaded it was during the window. */
function hostTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3]! - cpu[4]!, total };
}

/** What the tcp and http checks connect to; counted so the checks are seen to reach it. */
interface Targets {
  tcpPort: number;
  httpPort: number;
  hits: { tcp: number; http: number };
  close(): Promise<void>;
}

async function listen(server: HttpServer | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function startTargets(): Promise<Targets> {
  const hits = { tcp: 0, http: 0 };
  const sockets = new Set<Socket>();
  const tcp = createTcpServer((s) => {
    hits.tcp += 1;
    sockets.add(s);
    s.on('error', () => undefined).on('close', () => sockets.delete(s));
    s.end();
  });
  const http = createHttpServer((_req, res) => {
    hits.http += 1;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  });
  const [tcpPort, httpPort] = [await listen(tcp), await listen(http)];
  return {
    tcpPort,
    httpPort,
    hits,
    close: async () => {
      for (const s of sockets) s.destroy();
      http.closeAllConnections();
      await Promise.all([tcp, http].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

/** A remote-write endpoint that accepts everything; the agent's own counters say what it sent. */
async function startReceiver(): Promise<{ url: string; requests: number[]; close(): Promise<void> }> {
  const requests: number[] = [];
  const server = createHttpServer((req, res) => {
    req.resume().on('end', () => {
      requests.push(Date.now());
      res.writeHead(204).end();
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function checkOf(i: number, targets: Targets) {
  const base = { name: 'alive', interval: `${CHECK_INTERVAL_S}s` };
  if (i < MIX.process) return { ...base, type: 'process' };
  if (i < MIX.process + MIX.tcp)
    return { ...base, name: 'port', type: 'tcp', tcp: { host: '127.0.0.1', port: targets.tcpPort } };
  return {
    ...base,
    name: 'http',
    type: 'http',
    http: { url: `http://127.0.0.1:${targets.httpPort}/healthz` },
  };
}

/** agent.yaml, written as JSON (YAML's subset) so no quoting can go wrong. */
function agentYaml(dataDir: string, services: string[], targets: Targets, remoteWriteUrl?: string): string {
  return JSON.stringify(
    {
      agent: {
        dataDir,
        grpc: { listen: '127.0.0.1:0' },
        http: { listen: '127.0.0.1:0' },
        metricsInterval: `${METRICS_INTERVAL_S}s`,
        ...(remoteWriteUrl
          ? { remoteWrite: { url: remoteWriteUrl, interval: `${REMOTE_WRITE_INTERVAL_S}s` } }
          : {}),
      },
      services: services.map((name, i) => ({
        name,
        command: '/usr/bin/sleep',
        args: ['infinity'],
        health: [checkOf(i, targets)],
      })),
    },
    null,
    2,
  );
}

interface AgentProcess {
  pid: number;
  grpc: string;
  http: string;
  /** Lines the agent wrote (its JSON log and the start line), with when. */
  lines: { at: number; text: string }[];
  alive(): boolean;
  /** SIGTERM, as systemd or docker stop would; SIGKILL if it hangs. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the bundle as `launch` says and waits for its `agent running: …` line. */
async function startAgent(configPath: string, launch: Launch): Promise<AgentProcess> {
  // NODE_OPTIONS is always set, so none of the benchmark's own can leak in.
  const env = { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'info', ...launch.env };
  const child: ChildProcess = spawn(process.execPath, [...launch.flags, CLI, 'agent', 'run', configPath], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: AgentProcess['lines'] = [];
  const take = (chunk: Buffer) => {
    for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push({ at: Date.now(), text });
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  };
  for (const started = Date.now(); ; await sleep(100)) {
    const m = lines
      .map((l) => /agent running: gRPC (\S+), metrics http:\/\/(\S+)\/metrics/.exec(l.text))
      .find(Boolean);
    if (m)
      return {
        pid: child.pid!,
        grpc: m[1]!,
        http: m[2]!,
        lines,
        alive: () => child.exitCode === null && child.signalCode === null,
        stop,
      };
    if (child.exitCode !== null || Date.now() - started > 30_000) {
      await stop();
      throw new Error(
        `agent did not start:\n${lines
          .map((l) => l.text)
          .join('\n')
          .slice(-2000)}`,
      );
    }
  }
}

/** The services `opsfleet_agent_service_up` says are up (value 1). */
async function servicesUp(agent: AgentProcess): Promise<Set<string>> {
  const text = await fetch(`http://${agent.http}/metrics`).then((r) => r.text());
  const up = new Set<string>();
  for (const m of text.matchAll(/^opsfleet_agent_service_up\{[^}]*service="([^"]+)"[^}]*\} 1$/gm))
    up.add(m[1]!);
  return up;
}

/** Throws, naming the missing services and the agent's last words, unless all come up. */
async function waitAllUp(agent: AgentProcess, services: string[]): Promise<number> {
  const started = Date.now();
  let up = new Set<string>();
  while (Date.now() - started < UP_TIMEOUT_MS) {
    if (!agent.alive()) break;
    up = await servicesUp(agent).catch(() => up);
    if (services.every((n) => up.has(n))) return Date.now() - started;
    await sleep(1000);
  }
  const missing = services.filter((n) => !up.has(n));
  throw new Error(
    `${services.length - missing.length} of ${services.length} services up after ${Math.round((Date.now() - started) / 1000)} s ` +
      `(not up: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ' …' : ''}); agent ${agent.alive() ? 'running' : 'exited'}:\n` +
      agent.lines
        .slice(-10)
        .map((l) => l.text)
        .join('\n'),
  );
}

/** Pids of `<dataDir>/run/*.pid`: the agent writes one per running service and removes it at exit. */
function servicePids(dataDir: string): number[] {
  const run = join(dataDir, 'run');
  if (!existsSync(run)) return [];
  return readdirSync(run)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(run, f), 'utf8').trim()))
    .filter((p) => p > 0);
}

/** A pid is still one of ours only while it runs `sleep`: a reused pid is left alone. */
function isSleep(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === '/usr/bin/sleep';
  } catch {
    return false;
  }
}

export interface Window {
  seconds: number;
  cpuPercent: number;
  /** CPU % of each sixth of the window. */
  slices: number[];
  rssAvg: number;
  rssMax: number;
  rssStart: number;
  rssEnd: number;
  hwm: number;
  anonEnd: number;
  fileEnd: number;
  /** The whole machine's busy share over the window, % of all cores. */
  hostBusy: number;
  load1: number;
}

/** Reads /proc every second for `seconds`; nothing is asked of the agent meanwhile. */
async function measure(pid: number, seconds: number): Promise<Window & { from: number; to: number }> {
  const samples: { t: number; ticks: number; rss: number }[] = [];
  const host0 = hostTicks();
  const from = Date.now();
  const t0 = performance.now();
  for (let i = 0; i <= seconds; i++) {
    const wait = t0 + i * 1000 - performance.now();
    if (wait > 0) await sleep(wait);
    samples.push({ t: performance.now(), ticks: cpuTicks(pid), rss: memory(pid).rss });
  }
  const to = Date.now();
  const host1 = hostTicks();
  const cpu = (a: (typeof samples)[number], b: (typeof samples)[number]) =>
    ((b.ticks - a.ticks) / CLK_TCK / ((b.t - a.t) / 1000)) * 100;
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const rss = samples.map((s) => s.rss);
  const end = memory(pid);
  return {
    from,
    to,
    seconds: (last.t - first.t) / 1000,
    cpuPercent: cpu(first, last),
    slices: Array.from({ length: SLICES }, (_, k) =>
      cpu(samples[Math.round((k * seconds) / SLICES)]!, samples[Math.round(((k + 1) * seconds) / SLICES)]!),
    ),
    rssAvg: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssMax: Math.max(...rss),
    rssStart: first.rss,
    rssEnd: last.rss,
    hwm: end.hwm,
    anonEnd: end.anon,
    fileEnd: end.file,
    hostBusy: ((host1.busy - host0.busy) / (host1.total - host0.total)) * 100,
    load1: loadavg()[0]!,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: dynamic gRPC stubs from the proto
type Stubs = any;

/**
 * Check runs that fell in the window, from each check's history over the agent's gRPC API
 * (asked after the window, so the asking is not measured), and the checks not passing.
 */
async function checkRuns(agent: AgentProcess, dataDir: string, from: number, to: number) {
  const v1 = (grpc.loadPackageDefinition(protoLoader.loadSync(AGENT_PROTO, { defaults: true })) as Stubs)
    .opsfleet.agent.v1;
  const client = new v1.Health(agent.grpc, grpc.credentials.createInsecure());
  // The read-only token the agent generated on its first start.
  const auth = new grpc.Metadata();
  auth.set('authorization', `Bearer ${readFileSync(join(dataDir, 'grpc-read.token'), 'utf8').trim()}`);
  const call = <T>(method: string, req: object) =>
    new Promise<T>((resolve, reject) =>
      client[method](req, auth, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
    );
  try {
    const { checks } = await call<{ checks: { service: string; check: string; state: string }[] }>(
      'List',
      {},
    );
    let runs = 0;
    for (const c of checks) {
      const { results } = await call<{ results: { at: string }[] }>('History', {
        service: c.service,
        check: c.check,
        limit: 100,
      });
      runs += results.filter((r) => Date.parse(r.at) >= from && Date.parse(r.at) < to).length;
    }
    return {
      checks: checks.length,
      runs,
      notPassing: checks
        .filter((c) => c.state !== 'passing')
        .map((c) => `${c.service}/${c.check} ${c.state}`),
    };
  } finally {
    client.close();
  }
}

/** The agent's own remote-write counters, from /metrics. */
async function remoteWriteCounters(agent: AgentProcess) {
  const text = await fetch(`http://${agent.http}/metrics`).then((r) => r.text());
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return {
    sent: value(/^opsfleet_agent_remote_write_samples_total\{result="sent"\} (\S+)$/m),
    notSent:
      value(/^opsfleet_agent_remote_write_samples_total\{result="dropped"\} (\S+)$/m) +
      value(/^opsfleet_agent_remote_write_samples_total\{result="failed"\} (\S+)$/m),
  };
}

const run = promisify(execFile);

/** `opsfleet agent stop <svc>` for each service, as an operator would: services outlive a SIGTERM'd agent. */
async function stopServices(agent: AgentProcess, configPath: string, services: string[]): Promise<void> {
  const queue = [...services];
  await Promise.all(
    Array.from({ length: STOP_CONCURRENCY }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const { stdout } = await run(process.execPath, [CLI, 'agent', 'stop', name], {
          // The CLI finds the agent's address and token through its agent.yaml.
          env: { ...process.env, OPSFLEET_AGENT: agent.grpc, AGENT_CONFIG: configPath },
        });
        if (!/: stopped/.test(stdout)) throw new Error(`opsfleet agent stop ${name}: ${stdout.trim()}`);
      }
    }),
  );
}

/**
 * The measured case, the same with remote write, and the agent with no services at all: what
 * Node and the agent cost before the first service, so the per-service part can be told apart.
 */
type Variant = 'plain' | 'after restart' | 'remote write' | 'no services';

export interface AgentRun {
  variant: Variant;
  launch: Launch;
  services: number;
  upMs: number;
  window: Window;
  checks: number;
  checkRuns: number;
  notPassing: string[];
  targetHits: { tcp: number; http: number };
  /** Lines the agent logged during the window (LOG_LEVEL info). */
  logLines: number;
  /** `opsfleet agent stop` for every service, then SIGTERM until exit. */
  stopMs: number;
  /** After restart: how long the new agent took to report every adopted service up. */
  adoptMs?: number;
  remoteWriteRequests?: number;
  remoteWriteSamples?: { sent: number; notSent: number };
}

/**
 * One agent, its services and the measured window; everything it started is stopped and checked
 * gone. `after restart` stops the first agent with SIGTERM once all are up (the services keep
 * running), starts a second one on the same agent.yaml, checks it adopted the very same
 * processes, and measures the second agent.
 */
export async function runOnce(
  variant: Variant,
  launch: Launch,
  log: (s: string) => void,
  timing: Timing = TIMING[variant],
): Promise<AgentRun> {
  const services = variant === 'no services' ? [] : names;
  const targets = await startTargets();
  const receiver = variant === 'remote write' ? await startReceiver() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bench-agent-'));
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'agent.yaml');
  writeFileSync(configPath, agentYaml(dataDir, services, targets, receiver?.url));
  let agent: AgentProcess | undefined;
  let pids: number[] = [];
  try {
    log(`  ${variant}: starting…`);
    agent = await startAgent(configPath, launch);
    const upMs = await waitAllUp(agent, services);
    pids = servicePids(dataDir);
    if (pids.length !== services.length || !pids.every(isSleep))
      throw new Error(`expected ${services.length} sleep pids in ${dataDir}/run, found ${pids.length}`);
    let adoptMs: number | undefined;
    if (variant === 'after restart') {
      log(` ${services.length} up in ${(upMs / 1000).toFixed(1)} s; agent restarting…`);
      await agent.stop();
      agent = await startAgent(configPath, launch);
      adoptMs = await waitAllUp(agent, services);
      const now = servicePids(dataDir);
      if (now.length !== pids.length || !pids.every((p) => now.includes(p) && isSleep(p)))
        throw new Error(`the restarted agent did not adopt the running services: pids ${pids} → ${now}`);
    }
    const { settleS, windowS } = timing;
    log(
      ` ${services.length} up in ${((adoptMs ?? upMs) / 1000).toFixed(1)} s${adoptMs === undefined ? '' : ' (adopted)'}; settling ${settleS} s…`,
    );
    await sleep(settleS * 1000);
    log(` measuring ${windowS} s…`);
    const hitsBefore = { ...targets.hits };
    const requestsBefore = receiver?.requests.length ?? 0;
    const { from, to, ...window } = await measure(agent.pid, windowS);
    const targetHits = { tcp: targets.hits.tcp - hitsBefore.tcp, http: targets.hits.http - hitsBefore.http };
    const logLines = agent.lines.filter((l) => l.at >= from && l.at < to).length;
    const requests = receiver ? receiver.requests.length - requestsBefore : undefined;
    const checks = await checkRuns(agent, dataDir, from, to);
    const samples = receiver ? await remoteWriteCounters(agent) : undefined;
    log(` ${window.cpuPercent.toFixed(2)} % CPU, ${(window.rssAvg / 2 ** 20).toFixed(1)} MiB; stopping…`);
    const stopStarted = Date.now();
    await stopServices(agent, configPath, services);
    await agent.stop();
    const stopMs = Date.now() - stopStarted;
    const left = pids.filter(isSleep);
    if (left.length)
      throw new Error(`services still running after stop and SIGTERM: pids ${left.join(', ')}`);
    if (servicePids(dataDir).length) throw new Error(`pid files left in ${dataDir}/run`);
    log(` all stopped in ${(stopMs / 1000).toFixed(1)} s\n`);
    return {
      variant,
      launch,
      services: services.length,
      upMs,
      window,
      checks: checks.checks,
      checkRuns: checks.runs,
      notPassing: checks.notPassing,
      targetHits,
      logLines,
      stopMs,
      ...(adoptMs === undefined ? {} : { adoptMs }),
      ...(receiver ? { remoteWriteRequests: requests, remoteWriteSamples: samples } : {}),
    };
  } finally {
    // Whatever went wrong above, nothing is left running: the agent, then any service it left.
    await agent?.stop();
    for (const pid of new Set([...pids, ...servicePids(dataDir)]))
      if (isSleep(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await targets.close();
    await receiver?.close();
  }
}

export async function runAgentBench(log: (s: string) => void): Promise<AgentRun[]> {
  const launch = productionLaunch();
  log(
    `  launch as ${launch.source}: ${Object.entries(launch.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')} node ${launch.flags.join(' ')}\n`,
  );
  const out: AgentRun[] = [];
  for (const variant of ['plain', 'after restart', 'remote write', 'no services'] as const)
    out.push(await runOnce(variant, launch, log));
  return out;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const pct = (x: number) => `${x.toFixed(2)} %`;
const signed = (x: number, unit: (x: number) => string) => `${x >= 0 ? '+' : '−'}${unit(Math.abs(x))}`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

const LABEL: Record<Variant, string> = {
  plain: `${SERVICES} services`,
  'after restart': `${SERVICES} services, adopted by a restarted agent`,
  'remote write': `${SERVICES} services + remote write every ${REMOTE_WRITE_INTERVAL_S} s`,
  'no services': 'no services (baseline)',
};

export function agentSection(runs: AgentRun[]): string {
  const plain = runs.find((r) => r.variant === 'plain')!;
  const rw = runs.find((r) => r.variant === 'remote write');
  const adopted = runs.find((r) => r.variant === 'after restart');
  const base = runs.find((r) => r.variant === 'no services');
  const w = plain.window;
  const { launch } = plain;
  const env = Object.entries(launch.env)
    .map(([k, v]) => (/\s/.test(v) ? `${k}="${v}"` : `${k}=${v}`))
    .join(' ');
  const t = TIMING.plain;
  const expectedRuns = SERVICES * (t.windowS / CHECK_INTERVAL_S);
  const row = (r: AgentRun) => {
    const x = r.window;
    return `| ${LABEL[r.variant]} | ${TIMING[r.variant].settleS} s + ${TIMING[r.variant].windowS} s | **${pct(x.cpuPercent)}** | ${x.slices.map((s) => s.toFixed(1)).join(' / ')} | **${mib(x.rssAvg)}** | ${mib(x.rssMax)} | ${mib(x.rssStart)} → ${mib(x.rssEnd)} | ${mib(x.hwm)} | ${mib(x.anonEnd)} / ${mib(x.fileEnd)} | ${r.checkRuns} | ${pct(x.hostBusy)}, ${x.load1.toFixed(2)} |`;
  };
  return `## Agent: idle cost while supervising ${SERVICES} services

Workload (\`npm run bench:agent\`): the agent as production runs it (settings from ${launch.source}):
the bundled build in its own process,
\`${env} node ${[...launch.flags, 'dist/opsfleet.mjs'].join(' ')} agent run agent.yaml\`
(\`LOG_LEVEL=info\`, the default), supervising **${SERVICES} services** that do nothing (\`/usr/bin/sleep infinity\`), each with **one
health check every ${CHECK_INTERVAL_S} s**: ${MIX.process} \`process\` checks, ${MIX.tcp} \`tcp\` checks against a listener
and ${MIX.http} \`http\` checks (GET, 200) against an HTTP server, both in the benchmark process; host and
service metrics sampled every ${METRICS_INTERVAL_S} s (\`metricsInterval\`); default log rotation; no server or etcd
registration. Once \`opsfleet_agent_service_up\` is 1 for every service on the agent's /metrics it
settles ${t.settleS} s, then for ${t.windowS} s (minutes ${t.settleS / 60} to ${(t.settleS + t.windowS) / 60} of its life: its RSS
grows for the first few minutes) nothing is asked of it while the benchmark reads
\`/proc/<agent pid>\` every second: the agent process only, not its services (its children). CPU =
Δ(utime + stime) / CLK_TCK (${CLK_TCK}, from \`getconf\`) / wall time, as % of one core; RSS = VmRSS
sampled every second (average, peak, first and last sample), then VmHWM (peak since start) and the
anonymous / file-backed split (RssAnon / RssFile; file-backed is mostly the \`node\` binary). Check
runs are counted from each check's history (gRPC Health.History, asked after the window):
${SERVICES} × ${t.windowS / CHECK_INTERVAL_S} = ${expectedRuns} expected. The second row is the same after the agent was stopped (SIGTERM: its services keep
running) and a new agent started on the same agent.yaml adopted them, settled and measured as
long. The third adds \`remoteWrite\` every ${REMOTE_WRITE_INTERVAL_S} s to a receiver in the
benchmark process that accepts everything; the fourth is the same agent with no services, for what
Node and the agent cost before the first service; these two settle and are measured for shorter
(column two). Reference: the issue's goal (≤ ${GOAL.cpuPercent} % of a core,
≤ 80 MB RSS). The machine is shared with other work: its busy share and load over each window
are in the last column, and CPU figures on a busy machine read high.

| run | settle + window | CPU (% of one core) | per sixth of the window | RSS avg | RSS peak | RSS first → last sample | VmHWM | anon / file at end | check runs | machine busy, load 1m |
|---|---|---|---|---|---|---|---|---|---|---|
${runs.map(row).join('\n')}

- CPU: ${pct(w.cpuPercent)} of one core, goal ≤ ${GOAL.cpuPercent} %: ${verdict(w.cpuPercent <= GOAL.cpuPercent)} (${(w.cpuPercent / GOAL.cpuPercent).toFixed(2)}× the goal).
  The busiest sixth of the window: ${pct(Math.max(...w.slices))}.${
    base ? ` With no services the agent uses ${pct(base.window.cpuPercent)}.` : ''
  }
${
  adopted
    ? `- CPU after an agent restart that adopted the ${SERVICES} running services (SIGTERM, a new agent on the same agent.yaml, the same ${SERVICES} pids reported up ${(adopted.adoptMs! / 1000).toFixed(1)} s after its start line; an adopted service is not the agent's child, so its exit is noticed by polling): ${pct(adopted.window.cpuPercent)} of one core, goal ≤ ${GOAL.cpuPercent} %: ${verdict(adopted.window.cpuPercent <= GOAL.cpuPercent)} (${(adopted.window.cpuPercent / GOAL.cpuPercent).toFixed(2)}× the goal, ${signed(adopted.window.cpuPercent - w.cpuPercent, (x) => x.toFixed(2))} points against the agent that started them).\n`
    : ''
}
- RSS: ${mib(w.rssAvg)} average, ${mib(w.rssMax)} peak in the window, goal ≤ 80 MB (${mib(GOAL.rssBytes)}): ${verdict(w.rssMax <= GOAL.rssBytes)} (peak ${(w.rssMax / GOAL.rssBytes).toFixed(2)}×, average ${(w.rssAvg / GOAL.rssBytes).toFixed(2)}× the goal).${
    base
      ? ` With no services the agent holds ${mib(base.window.rssAvg)} on average (${mib(base.window.rssEnd)} at the end): the ${SERVICES} services and their checks add ${signed(w.rssAvg - base.window.rssAvg, mib)} on average, ${signed(w.rssEnd - base.window.rssEnd, mib)} at the end.`
      : ''
  }
- Checks: ${plain.checkRuns} runs in the window (expected ${expectedRuns}); the listeners saw ${plain.targetHits.tcp} tcp connections and ${plain.targetHits.http} http requests; ${plain.notPassing.length ? `not passing at the end: ${plain.notPassing.join(', ')}` : `all ${plain.checks} checks passing at the end`}. All ${SERVICES} services were reported up ${(plain.upMs / 1000).toFixed(1)} s after the agent printed its start line.
${
  rw
    ? `- Remote write: ${rw.remoteWriteRequests} requests in the window, ${rw.remoteWriteSamples!.sent.toLocaleString('en')} samples sent by the end (${rw.remoteWriteSamples!.notSent} dropped or failed); ${signed(rw.window.cpuPercent - w.cpuPercent, (x) => x.toFixed(2))} points of CPU and ${signed(rw.window.rssAvg - w.rssAvg, mib)} of average RSS against the run without it (one run each: on a shared machine a few tenths of a point or a few MiB are noise).\n`
    : ''
}- The agent logged ${plain.logLines} lines in the window. Cleanup: \`opsfleet agent stop <svc>\` for each service
  (the agent leaves services running on SIGTERM, for the next agent to adopt), then SIGTERM:
  ${(plain.stopMs / 1000).toFixed(1)} s; the benchmark checks that no \`sleep\` it started and no pid file is left.
`;
}
