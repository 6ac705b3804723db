import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '@opsfleet/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The agent's gRPC API as the real `opsfleet` binary serves it, driven from other processes:
 * the first start makes and prints its tokens, the local CLI finds them through agent.yaml
 * alone, a call without them is refused, and an agent told to listen on every interface
 * without TLS does not start.
 */
const CLI = join(import.meta.dirname, '../packages/cli/bin/opsfleet.mjs');
const FIXTURES = join(import.meta.dirname, '../packages/agent/test/fixtures');
const run = promisify(execFile);
type Outcome = { code?: number; stdout: string; stderr: string };

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

describe('opsfleet agent, safe by default', () => {
  let dir: string;
  let agent: ChildProcess;
  let out = '';
  const env = (extra: Record<string, string> = {}) => {
    const { OPSFLEET_AGENT: _a, OPSFLEET_AGENT_TOKEN: _t, ...rest } = process.env;
    return { ...rest, ...extra } as Record<string, string>;
  };
  const cli = (args: string[], extra: Record<string, string> = {}): Promise<Outcome> =>
    run(process.execPath, [CLI, 'agent', ...args], { env: env(extra) }).catch((e: Outcome) => e);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'e2e-security-agent-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'agent.yaml'),
      `agent:
  dataDir: ${dir}/data
  grpc: { listen: "127.0.0.1:${port}" }
  http: { listen: "127.0.0.1:0" }
services:
  - name: web
    command: ${process.execPath}
    args: [${join(FIXTURES, 'forever.mjs')}, web]
`,
    );
    agent = spawn(process.execPath, [CLI, 'agent', 'run', join(dir, 'agent.yaml')], {
      env: env({ LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    agent.stdout!.on('data', (d) => {
      out += String(d);
    });
    await eventually('the tokens printed', () => /gRPC read token created/.test(out), { timeoutMs: 60_000 });
  });

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    // The service outlives the agent by design; stop it by the pid the agent recorded.
    const state = JSON.parse(readFileSync(join(dir, 'data/state.json'), 'utf8')) as {
      services?: Record<string, { pid?: number }>;
    };
    for (const s of Object.values(state.services ?? {})) if (s.pid) process.kill(s.pid, 'SIGTERM');
  });

  it('prints the generated tokens once and keeps them 0600 beside its state', () => {
    const admin = readFileSync(join(dir, 'data/grpc-admin.token'), 'utf8').trim();
    expect(out).toContain(
      `gRPC admin token created in ${join(dir, 'data/grpc-admin.token')} (mode 0600): ${admin}`,
    );
    expect(statSync(join(dir, 'data/grpc-admin.token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'data/grpc-read.token')).mode & 0o777).toBe(0o600);
  });

  it('lets the local CLI in with nothing but AGENT_CONFIG, and nobody without a token', async () => {
    const status = await eventually(
      'web running',
      () => cli(['status'], { AGENT_CONFIG: join(dir, 'agent.yaml') }),
      {
        ok: (r) => /^web\s+running/m.test(r.stdout),
        timeoutMs: 30_000,
      },
    );
    expect(status.code).toBeUndefined();
    const port = /127\.0\.0\.1:(\d+)/.exec(readFileSync(join(dir, 'agent.yaml'), 'utf8'))![1]!;
    const stranger = await cli(['stop', 'web'], {
      AGENT_CONFIG: '/nonexistent',
      OPSFLEET_AGENT: `127.0.0.1:${port}`,
    });
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/authorization: Bearer/);
    const reader = await cli(['stop', 'web'], {
      AGENT_CONFIG: '/nonexistent',
      OPSFLEET_AGENT: `127.0.0.1:${port}`,
      OPSFLEET_AGENT_TOKEN: readFileSync(join(dir, 'data/grpc-read.token'), 'utf8').trim(),
    });
    expect(reader.code).toBe(1);
    expect(reader.stderr).toMatch(/may only read/);
    const again = await cli(['status'], { AGENT_CONFIG: join(dir, 'agent.yaml') });
    expect(again.stdout).toMatch(/^web\s+running/m);
  });

  it('refuses to start listening on every interface without TLS: exit 2, naming the field', async () => {
    const other = mkdtempSync(join(tmpdir(), 'e2e-security-agent-open-'));
    writeFileSync(
      join(other, 'agent.yaml'),
      `agent:\n  dataDir: ${other}/data\n  grpc: { listen: "0.0.0.0:0" }\n  http: { listen: "127.0.0.1:0" }\nservices: []\n`,
    );
    const r = await cli(['run', join(other, 'agent.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /agent\.grpc\.listen: 0\.0\.0\.0:0 is reachable from other hosts.*set agent\.grpc\.tls/,
    );
  });
});
