import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from '@opsfleet/agent';
import { createLogger } from '@opsfleet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `opsfleet agent …` as a user types it, against a running agent whose gRPC port speaks TLS
 * with a token: the status table, a restart, logs, health, and the errors for a wrong token or
 * an agent that is not there. Also `agent run` refusing a bad agent.yaml with every problem.
 */
const CLI = join(import.meta.dirname, '../bin/opsfleet.mjs');
const FIXTURES = join(import.meta.dirname, '../../agent/test/fixtures');
const run = promisify(execFile);
let agent: Agent;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opsfleet-agent-cli-'));
  // A self-signed certificate for 127.0.0.1: the client trusts it as its CA.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(
    join(dir, 'agent.yaml'),
    `agent:
  dataDir: ${dir}/data
  grpc:
    listen: "127.0.0.1:0"
    token: cli-token
    tls: { cert: ${dir}/cert.pem, key: ${dir}/key.pem }
  http: { listen: "127.0.0.1:0" }
services:
  - name: web
    command: ${process.execPath}
    args: [${join(FIXTURES, 'forever.mjs')}, web]
    health:
      - { name: alive, type: process, interval: 300ms }
`,
  );
  agent = await Agent.start({ configPath: join(dir, 'agent.yaml'), log: createLogger({ level: 'silent' }) });
  env = {
    ...(process.env as Record<string, string>),
    OPSFLEET_AGENT: agent.grpcAddress,
    OPSFLEET_AGENT_TOKEN: 'cli-token',
    OPSFLEET_AGENT_CA: join(dir, 'cert.pem'),
  };
  for (let i = 0; i < 100 && agent.supervisor.get('web')?.state !== 'running'; i++)
    await new Promise((r) => setTimeout(r, 100));
});

afterAll(async () => {
  await agent?.close(false);
});

type Outcome = { code?: number; stdout: string; stderr: string };
const cli = (args: string[], extra: Record<string, string> = {}): Promise<Outcome> =>
  run(process.execPath, [CLI, 'agent', ...args], { env: { ...env, ...extra } }).catch((e: Outcome) => e);

describe('opsfleet agent over TLS', () => {
  it('shows the status table', async () => {
    const { stdout } = await cli(['status']);
    expect(stdout).toMatch(/^SERVICE\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+REASON\n/);
    expect(stdout).toMatch(/^web\s+running\s+\d+/m);
  });

  it('restarts a service and reads its log', async () => {
    const before = agent.supervisor.get('web')!.pid;
    const { stdout } = await cli(['restart', 'web']);
    expect(stdout).toMatch(/^web: running \(pid \d+\)/);
    expect(agent.supervisor.get('web')!.pid).not.toBe(before);
    await new Promise((r) => setTimeout(r, 300));
    const logs = await cli(['logs', 'web', '--tail', '2']);
    expect(logs.stdout.trim().split('\n')).toHaveLength(2);
    expect(logs.stdout).toMatch(/forever fixture \d+ web/);
  });

  it('lists health checks', async () => {
    const { stdout } = await cli(['health']);
    expect(stdout).toMatch(/^web\s+alive\s+passing/m);
  });

  it('says what to fix for a wrong token, an unknown service or no agent', async () => {
    const token = await cli(['status'], { OPSFLEET_AGENT_TOKEN: 'wrong' });
    expect(token.code).toBe(1);
    expect(token.stderr).toMatch(/set OPSFLEET_AGENT_TOKEN/);
    const unknown = await cli(['stop', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nope/);
    const absent = await cli(['status'], { OPSFLEET_AGENT: '127.0.0.1:1', OPSFLEET_AGENT_CA: '' });
    expect(absent.code).toBe(1);
    expect(absent.stderr.trim()).toBe(
      'opsfleet agent status: no agent answers at 127.0.0.1:1: is the agent running? (opsfleet agent run; OPSFLEET_AGENT or AGENT_CONFIG point elsewhere)',
    );
  });

  it('refuses to run with a bad agent.yaml, listing every problem', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'services:\n  - { name: a, command: x, stopTimeout: soon }\n  - { name: "b c", command: y }\n',
    );
    const r = await cli(['run', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 problems/);
    expect(r.stderr).toMatch(/services\[0\]\.stopTimeout/);
    expect(r.stderr).toMatch(/services\[1\]\.name/);
  });

  it('refuses to run with a log level it does not know, naming it', async () => {
    const r = await cli(['run', join(dir, 'agent.yaml')], { LOG_LEVEL: 'verbose' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'opsfleet agent run: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"',
    );
  });
});
