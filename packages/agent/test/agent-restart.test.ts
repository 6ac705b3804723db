import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { eventually } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { readStat } from '../src/proc/stat.ts';
import { AGENT_PROTO } from '../src/rpc/server.ts';
import { loadState } from '../src/supervisor/state-file.ts';

/**
 * The agent keeps its promises across its own restart: the real `opsfleet agent run` process,
 * stopped with SIGTERM and started again on the same agent.yaml, with what runs checked in /proc.
 */
const BIN = join(import.meta.dirname, '../../cli/bin/opsfleet.mjs');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => join(FIXTURES, name);
const TOKEN = 'restart-test-token';
// biome-ignore lint/suspicious/noExplicitAny: dynamic gRPC stubs
type Stubs = any;
const v1: Stubs = (grpc.loadPackageDefinition(protoLoader.loadSync(AGENT_PROTO, { defaults: true })) as Stubs)
  .opsfleet.agent.v1;
const metadata = new grpc.Metadata();
metadata.set('authorization', `Bearer ${TOKEN}`);

interface View {
  name: string;
  state: string;
  pid: number;
  reason: string;
  restarts: number;
}

/** Processes whose command line has an argument containing `marker`; zombies have ended. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(marker)) && readStat(Number(name))?.state !== 'Z')
        out.push(Number(name));
    } catch {}
  }
  return out.sort((a, b) => a - b);
}

function alive(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z';
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A folder for one test; what runs with `markers` in its command line is killed after it. */
function workspace(markers: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-restart-'));
  cleanups.push(() => {
    for (const m of markers)
      for (const pid of processesWith(m))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function writeConfig(dir: string, port: number, services: string): void {
  writeFileSync(
    join(dir, 'agent.yaml'),
    `agent:
  dataDir: ${join(dir, 'data')}
  grpc: { listen: "127.0.0.1:${port}", token: ${TOKEN} }
  http: { listen: "127.0.0.1:0" }
services:
${services}`,
  );
}

interface RunningAgent {
  proc: ChildProcess;
  /** What it printed so far (its JSON log lines and messages). */
  output(): string;
  /** SIGTERM, as systemd stops it; resolves with its exit code once it has exited. */
  stop(): Promise<number | null>;
}

/** `opsfleet agent run` on the folder's agent.yaml, once its gRPC API answers. */
async function runAgent(dir: string, port: number, nodeFlags: string[] = []): Promise<RunningAgent> {
  const proc = spawn(process.execPath, [...nodeFlags, BIN, 'agent', 'run', join(dir, 'agent.yaml')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (b) => (out += b));
  proc.stderr!.on('data', (b) => (out += b));
  const exited = once(proc, 'exit').then(([code]) => code as number | null);
  const agent: RunningAgent = {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
  await eventually(
    () => `the agent to answer on port ${port} (output: ${out.slice(-2000)})`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`the agent exited with ${proc.exitCode}`);
      return list(port);
    },
    { timeoutMs: 60_000, everyMs: 100 },
  );
  return agent;
}

// biome-ignore lint/suspicious/noExplicitAny: dynamic gRPC stubs
function call<T = any>(port: number, service: string, method: string, request: object = {}): Promise<T> {
  const client = new v1[service](`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client[method](request, metadata, { deadline: Date.now() + 20_000 }, (err: grpc.ServiceError, res: T) => {
      client.close();
      return err ? reject(err) : resolve(res);
    }),
  );
}

async function list(port: number): Promise<Record<string, View>> {
  const { services } = await call<{ services: View[] }>(port, 'Package', 'List');
  return Object.fromEntries(services.map((s) => [s.name, s]));
}

/** Waits until every named service is in its state (and `extra` holds); the listing. */
function states(
  port: number,
  want: Record<string, string>,
  extra: (l: Record<string, View>) => boolean = () => true,
): Promise<Record<string, View>> {
  return eventually(`services to be ${JSON.stringify(want)}`, () => list(port), {
    ok: (l) => Object.entries(want).every(([n, s]) => l[n]?.state === s) && extra(l),
    timeoutMs: 30_000,
  });
}

/** The `services applied` line the agent logged at its start: what it did with each service. */
function applied(agent: RunningAgent): Record<string, string[]> {
  const line = agent
    .output()
    .split('\n')
    .find((l) => l.includes('"services applied"'));
  return JSON.parse(line ?? '{}');
}

const forever = (name: string, marker: string, extra = '') => `  - name: ${name}
    command: ${process.execPath}
    args: [${fixture('forever.mjs')}, ${marker}]
    restart: { initialDelay: 100ms, jitter: 0 }
${extra}`;

/** `opsfleet agent run` that is expected to refuse to start: its exit code and what it printed. */
async function refusedAgent(dir: string): Promise<{ code: number | null; output: string }> {
  const proc = spawn(process.execPath, [BIN, 'agent', 'run', join(dir, 'agent.yaml')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (b) => (output += b));
  proc.stderr!.on('data', (b) => (output += b));
  const [code] = await once(proc, 'exit');
  return { code: code as number | null, output };
}

describe('the agent across its own restart', { timeout: 180_000 }, () => {
  it('leaves stopped what was stopped by request or ended by its policy', async () => {
    const m = randomUUID();
    const dir = workspace([m]);
    const port = await freePort();
    writeConfig(
      dir,
      port,
      `${forever('keep', `${m}-keep`)}${forever('other', `${m}-other`)}  - name: oneshot
    command: sh
    args: [-c, "echo oneshot ran"]
`,
    );
    const first = await runAgent(dir, port);
    await states(port, { keep: 'running', other: 'running', oneshot: 'stopped' });
    expect((await list(port)).oneshot!.reason).toMatch(/exit code 0 \(restart policy on-failure\)/);
    expect((await call(port, 'Command', 'Stop', { service: 'keep' })).state).toBe('stopped');
    expect(processesWith(`${m}-keep`)).toEqual([]);
    const other = processesWith(`${m}-other`);
    expect(other).toHaveLength(1);
    expect(await first.stop()).toBe(0);

    const second = await runAgent(dir, port);
    const after = await list(port);
    expect(after.keep).toMatchObject({ state: 'stopped', reason: 'stopped by request' });
    expect(after.oneshot).toMatchObject({ state: 'stopped' });
    expect(after.oneshot!.reason).toMatch(/exit code 0/);
    expect(after.other).toMatchObject({ state: 'running', pid: other[0] });
    expect(applied(second)).toMatchObject({ started: [], adopted: ['other'] });
    expect(processesWith(`${m}-keep`)).toEqual([]);
    expect(readFileSync(join(dir, 'data/logs/oneshot.log'), 'utf8')).toBe('oneshot ran\n');

    // Stopped, not gone: a start by request still works, and what runs is recorded again.
    const started = await call(port, 'Command', 'Start', { service: 'keep' });
    expect(started.state).toBe('running');
    expect(processesWith(`${m}-keep`)).toEqual([started.pid]);
    expect(loadState(join(dir, 'data')).stopped).toEqual({
      oneshot: expect.objectContaining({ reason: expect.stringMatching(/exit code 0/) }),
    });
    await second.stop();
  });

  it('holds the adopted dependents of a dependency that died while no agent ran, and restarts them with it', async () => {
    const m = randomUUID();
    const dir = workspace([m]);
    const port = await freePort();
    writeConfig(
      dir,
      port,
      `${forever('db', `${m}-db`)}${forever('api', `${m}-api`, '    dependsOn: [db]\n')}${forever('web', `${m}-web`, '    dependsOn: [api]\n')}`,
    );
    const first = await runAgent(dir, port);
    const before = await states(port, { db: 'running', api: 'running', web: 'running' });
    await first.stop();
    process.kill(before.db!.pid, 'SIGKILL');
    await eventually('the dependency to be gone', () => !alive(before.db!.pid));
    expect(alive(before.api!.pid) && alive(before.web!.pid)).toBe(true);

    const second = await runAgent(dir, port);
    const after = await states(
      port,
      { db: 'running', api: 'running', web: 'running' },
      (l) => l.api!.pid !== before.api!.pid && l.web!.pid !== before.web!.pid,
    );
    expect(applied(second)).toMatchObject({ started: ['db'], adopted: [] });
    expect(applied(second).restarted?.sort()).toEqual(['api', 'web']);
    expect(alive(before.api!.pid)).toBe(false);
    expect(alive(before.web!.pid)).toBe(false);
    for (const name of ['db', 'api', 'web'])
      expect(processesWith(`${m}-${name}`)).toEqual([after[name]!.pid]);
    await second.stop();
  });

  it('stops what a main process leaves of its group and its known descendants, before and after an agent restart', async () => {
    const m = randomUUID();
    const dir = workspace([m]);
    const port = await freePort();
    const pidsFile = join(dir, 'pids.json');
    writeConfig(
      dir,
      port,
      `  - name: tree
    command: ${process.execPath}
    args: [${fixture('leave-children.mjs')}, ${pidsFile}, ${m}]
    restart: { initialDelay: 100ms, jitter: 0 }
`,
    );
    type Pids = { main: number; inGroup: number; leftGroup: number };
    const run = (not?: Pids) =>
      eventually('a run of the tree with its two children', () => {
        const p = existsSync(pidsFile) ? (JSON.parse(readFileSync(pidsFile, 'utf8')) as Pids) : undefined;
        return p && p.main !== not?.main ? p : undefined;
      });
    // The child that left the group is found only through its parent: it is remembered while
    // the service runs (and in state.json, for the next agent).
    const remembered = (p: Pids) =>
      eventually(
        'the child outside the group to be remembered',
        () => loadState(join(dir, 'data')).services.tree?.known?.some((k) => k.pid === p.leftGroup),
        { timeoutMs: 30_000 },
      );

    const first = await runAgent(dir, port);
    const one = await run();
    await remembered(one);
    process.kill(one.main, 'SIGUSR2'); // the main process ends; its children would live on
    const two = await run(one);
    expect(alive(one.inGroup) || alive(one.leftGroup)).toBe(false);
    expect(processesWith(`${m}-group`)).toEqual([two.inGroup]);
    expect(processesWith(`${m}-stray`)).toEqual([two.leftGroup]);
    await remembered(two);
    await first.stop();
    expect([two.main, two.inGroup, two.leftGroup].every(alive)).toBe(true);

    const second = await runAgent(dir, port);
    expect(applied(second)).toMatchObject({ adopted: ['tree'] });
    process.kill(two.main, 'SIGUSR2'); // not the new agent's child: its end is seen in /proc
    const three = await run(two);
    await eventually(
      'the children of the adopted run to be stopped',
      () => !alive(two.inGroup) && !alive(two.leftGroup),
    );
    expect(processesWith(`${m}-group`)).toEqual([three.inGroup]);
    expect(processesWith(`${m}-stray`)).toEqual([three.leftGroup]);
    await remembered(three);
    expect((await call(port, 'Command', 'Stop', { service: 'tree' })).state).toBe('stopped');
    expect(processesWith(m)).toEqual([]);
    await second.stop();
  });

  it('passes $$ as a literal $, and refuses to start on an unset variable, naming its field, leaving the services running', async () => {
    const m = randomUUID();
    const dir = workspace([m]);
    const port = await freePort();
    const unset = `OPSFLEET_TEST_UNSET_${m.slice(0, 8).toUpperCase()}`;
    const sleeper = (name: string, args: string) => `  - name: ${name}
    command: ${process.execPath}
    args: [${fixture('forever.mjs')}, ${args}, ${m}-${name}]
`;
    // In agent.yaml: 'costs 5$$ in $$HOME, not $${VAR}'.
    const literal = sleeper('lit', `'costs 5$$ in $$HOME, not $\${${unset}}'`);
    writeConfig(dir, port, literal);
    const first = await runAgent(dir, port);
    const { lit } = await states(port, { lit: 'running' });
    const argv = () => readFileSync(`/proc/${lit!.pid}/cmdline`, 'utf8').split('\0');
    expect(argv()).toContain(`costs 5$ in $HOME, not \${${unset}}`);
    await first.stop();

    writeConfig(dir, port, `${literal}${sleeper('new', `"name=\${${unset}}"`)}`);
    const refused = await refusedAgent(dir);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain(`services[1].args[1]: \${${unset}} is not set`);
    expect(alive(lit!.pid)).toBe(true);
    expect(processesWith(`${m}-new`)).toEqual([]);

    writeConfig(dir, port, `${literal}${sleeper('new', `"name=\${${unset}:-fallback}"`)}`);
    const second = await runAgent(dir, port);
    const after = await states(port, { lit: 'running', new: 'running' });
    expect(after.lit!.pid).toBe(lit!.pid);
    expect(readFileSync(`/proc/${after.new!.pid}/cmdline`, 'utf8').split('\0')).toContain('name=fallback');
    await second.stop();
  });

  it('survives a client of logs -f that stalls during a burst, under the shipped heap cap', async () => {
    const m = randomUUID();
    const dir = workspace([m]);
    const port = await freePort();
    const MIB = 50;
    writeConfig(
      dir,
      port,
      `  - name: burst
    command: ${process.execPath}
    args: [${fixture('burst.mjs')}, "${MIB}", ${m}]
    logs: { maxSize: 209715200 }
`,
    );
    // The heap caps of deploy/systemd's units.
    const agent = await runAgent(dir, port, ['--max-old-space-size=64', '--max-semi-space-size=1']);
    const { burst } = await states(port, { burst: 'running' });
    const log = join(dir, 'data/logs/burst.log');
    await eventually(
      'the fixture ready',
      () => existsSync(log) && readFileSync(log, 'utf8').includes('ready'),
    );

    const client = new v1.Package(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    const stream = client.StreamLogs({ service: 'burst', tail: 1 }, metadata);
    stream.on('error', () => {});
    // The first line says the follow runs; then the client stops reading.
    const [first] = await once(stream, 'data');
    expect(first.text).toBe('burst fixture ready');
    stream.pause();

    process.kill(burst!.pid, 'SIGUSR2');
    await eventually(
      'the whole burst in the log',
      () => statSync(log).size >= MIB * 1024 * 1024 && readFileSync(log, 'utf8').endsWith('burst done\n'),
      { timeoutMs: 60_000, everyMs: 200 },
    );
    // The agent keeps answering with the client still stalled, a while after the burst.
    await eventually('five answers in a row', async () => {
      for (let i = 0; i < 5; i++) await list(port);
      return true;
    });
    expect(alive(agent.proc.pid!)).toBe(true);

    // Resumed, the client gets every line of the burst once, in order.
    let next = 0;
    let done = false;
    const wrong: string[] = [];
    stream.on('data', (l: { text: string }) => {
      if (l.text === 'burst done') {
        done = true;
        return;
      }
      const n = Number(/^burst line (\d+) /.exec(l.text)?.[1]);
      if (n === next) next++;
      else wrong.push(`line ${n} after ${next - 1}`);
    });
    stream.resume();
    await eventually(
      () => `burst done (at line ${next})`,
      () => done,
      { timeoutMs: 120_000, everyMs: 200 },
    );
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(next).toBe((MIB * 1024 * 1024) / 100);
    stream.cancel();
    expect(alive(agent.proc.pid!)).toBe(true);
    await agent.stop();
  }, 300_000);
});
