import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AGENT_PROTO, Agent, loadAgentConfig, type ServiceStatus, TOKEN_FILES } from '@opsfleet/agent';
import { ConfigError, createLogger, formatDuration, formatProblems, onShutdown } from '@opsfleet/core';
import { logEnv } from './log-env.ts';

type Env = Record<string, string | undefined>;

// biome-ignore lint/suspicious/noExplicitAny: dynamic gRPC stubs from the proto
type Stubs = any;

/** The local agent's address and token, from the agent.yaml this host runs it with. */
function localAgent(env: Env): { address?: string; token?: string } {
  const path = [env.AGENT_CONFIG, 'agent.yaml', '/etc/opsfleet/agent.yaml'].find((p) => p && existsSync(p));
  if (!path) return {};
  let settings: ReturnType<typeof loadAgentConfig>['config']['agent'];
  try {
    settings = loadAgentConfig(path, env).config.agent;
  } catch {
    // Not readable or not valid here: OPSFLEET_AGENT and OPSFLEET_AGENT_TOKEN still work.
    return {};
  }
  const { listen, token } = settings.grpc;
  const port = listen.slice(listen.lastIndexOf(':') + 1);
  const host = listen.slice(0, listen.lastIndexOf(':'));
  // A wildcard listener is reached on this host through loopback.
  const dial = ['', '0.0.0.0', '[::]', '::'].includes(host) ? '127.0.0.1' : host;
  const fromFile = (['admin', 'read'] as const)
    .map((p) => {
      try {
        return readFileSync(join(settings.dataDir, TOKEN_FILES[p]), 'utf8').trim();
      } catch {
        return '';
      }
    })
    .find(Boolean);
  return {
    ...(port !== '0' && !listen.startsWith('unix:') ? { address: `${dial}:${port}` } : {}),
    ...(token || fromFile ? { token: token || fromFile } : {}),
  };
}

function connect(env: Env): {
  v1: Stubs;
  address: string;
  creds: grpc.ChannelCredentials;
  meta: grpc.Metadata;
} {
  const v1 = (grpc.loadPackageDefinition(protoLoader.loadSync(AGENT_PROTO, { defaults: true })) as Stubs)
    .opsfleet.agent.v1;
  const local = env.OPSFLEET_AGENT && env.OPSFLEET_AGENT_TOKEN ? {} : localAgent(env);
  const token = env.OPSFLEET_AGENT_TOKEN || local.token;
  const meta = new grpc.Metadata();
  if (token) meta.set('authorization', `Bearer ${token}`);
  const creds = env.OPSFLEET_AGENT_CA
    ? grpc.credentials.createSsl(readFileSync(env.OPSFLEET_AGENT_CA))
    : grpc.credentials.createInsecure();
  return { v1, address: env.OPSFLEET_AGENT || local.address || '127.0.0.1:7070', creds, meta };
}

function unary(env: Env, service: string, method: string, request: object): Promise<Stubs> {
  const c = connect(env);
  const client = new c.v1[service](c.address, c.creds);
  return new Promise((resolve, reject) =>
    client[method](
      request,
      c.meta,
      { deadline: Date.now() + 30_000 },
      (err: grpc.ServiceError | null, res: Stubs) => {
        client.close();
        if (!err) return resolve(res);
        // grpc-js's own text for a refused connection is three sentences of its internals.
        if (err.code === grpc.status.UNAVAILABLE)
          return reject(
            new Error(
              `no agent answers at ${c.address}: is the agent running? (opsfleet agent run; OPSFLEET_AGENT or AGENT_CONFIG point elsewhere)`,
            ),
          );
        const hint =
          err.code === grpc.status.UNAUTHENTICATED
            ? ' (set OPSFLEET_AGENT_TOKEN to its token, or AGENT_CONFIG to the agent.yaml it runs with)'
            : '';
        reject(new Error(`${err.details || err.message}${hint}`));
      },
    ),
  );
}

/** Rows as aligned columns, like `systemctl list-units`. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const statusRow = (s: ServiceStatus & { uptimeSeconds?: number }) => [
  s.name,
  s.state,
  s.pid ? String(s.pid) : '-',
  s.uptimeSeconds ? formatDuration(Math.round(s.uptimeSeconds) * 1000) : '-',
  String(s.restarts),
  s.reason ?? '',
];

/** `opsfleet agent run [agent.yaml]`: runs until a signal (-1), or 2 for an invalid configuration. */
export async function agentRun(file: string | undefined, env: Env = process.env): Promise<number> {
  const configPath = resolve(file ?? env.AGENT_CONFIG ?? 'agent.yaml');
  let logging: ReturnType<typeof logEnv>;
  try {
    logging = logEnv(env);
  } catch (err) {
    process.stderr.write(`opsfleet agent run: ${(err as Error).message}\n`);
    return 2;
  }
  const log = createLogger({ ...logging, name: 'agent' });
  let agent: Agent;
  try {
    agent = await Agent.start({ configPath, log, env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${formatProblems(configPath, err.problems)}\n`);
      return 2;
    }
    throw err;
  }
  process.stdout.write(
    `agent running: gRPC ${agent.grpcAddress}, metrics http://${agent.httpAddress}/metrics\n`,
  );
  // Shown this once; the files stay readable by the agent's user only.
  for (const t of agent.createdTokens)
    process.stdout.write(`gRPC ${t.permission} token created in ${t.file} (mode 0600): ${t.token}\n`);
  // Services keep running when the agent stops: the next agent adopts them.
  onShutdown(() => agent.close(true), { log });
  return -1;
}

/**
 * A client command's failure as one line naming the command, exit 1: the agent's answer
 * already says what is wrong, and a stack trace would only hide it.
 */
async function client(command: string, call: () => Promise<number>): Promise<number> {
  try {
    return await call();
  } catch (err) {
    process.stderr.write(`opsfleet agent ${command}: ${(err as Error).message}\n`);
    return 1;
  }
}

export function agentStatus(env: Env = process.env): Promise<number> {
  return client('status', async () => {
    const { services } = await unary(env, 'Package', 'List', {});
    process.stdout.write(
      `${table(['SERVICE', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'REASON'], services.map(statusRow))}\n`,
    );
    return 0;
  });
}

export function agentControl(
  action: 'start' | 'stop' | 'restart' | 'pause' | 'resume',
  service: string,
  env: Env = process.env,
): Promise<number> {
  return client(action, async () => {
    const method = action[0]!.toUpperCase() + action.slice(1);
    const s = await unary(env, 'Command', method, { service });
    process.stdout.write(
      `${s.name}: ${s.state}${s.pid ? ` (pid ${s.pid})` : ''}${s.reason ? `, ${s.reason}` : ''}\n`,
    );
    return 0;
  });
}

export interface LogsOptions {
  follow?: boolean;
  tail: number;
  level?: string;
  grep?: string;
}

export function agentLogs(service: string, options: LogsOptions, env: Env = process.env): Promise<number> {
  return client('logs', async () => {
    const request = { service, tail: options.tail, level: options.level ?? '', keyword: options.grep ?? '' };
    const print = (l: { text: string }) => process.stdout.write(`${l.text}\n`);
    if (!options.follow) {
      for (const l of (await unary(env, 'Package', 'RecentLogs', request)).lines) print(l);
      return 0;
    }
    const c = connect(env);
    const stub = new c.v1.Package(c.address, c.creds);
    const stream = stub.StreamLogs(request, c.meta);
    // A reader that stops (a pager, a stalled pipe) stops the stream: gRPC flow control then
    // holds the agent's follower, instead of this process buffering every line in memory.
    stream.on('data', (l: { text: string }) => {
      if (print(l) || stream.isPaused()) return;
      stream.pause();
      process.stdout.once('drain', () => stream.resume());
    });
    return new Promise<number>((resolve) => {
      stream.on('error', (err: grpc.ServiceError) => {
        if (err.code !== grpc.status.CANCELLED) process.stderr.write(`opsfleet agent logs: ${err.details}\n`);
        resolve(err.code === grpc.status.CANCELLED ? 0 : 1);
      });
      stream.on('end', () => resolve(0));
      process.once('SIGINT', () => stream.cancel());
    });
  });
}

export function agentHealth(service: string | undefined, env: Env = process.env): Promise<number> {
  return client('health', async () => {
    const { checks } = await unary(env, 'Health', 'List', { service: service ?? '' });
    const rows = checks.map((c: Record<string, string>) => [
      c.service,
      c.check,
      c.state,
      c.lastRunAt || '-',
      (c.output ?? '').split('\n')[0]!.slice(0, 80),
    ]);
    process.stdout.write(`${table(['SERVICE', 'CHECK', 'STATE', 'LAST RUN', 'OUTPUT'], rows)}\n`);
    return 0;
  });
}
