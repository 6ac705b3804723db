import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { YAML_LIMITS } from '@opsfleet/core';
import { HealthImplementation, protoPath as healthProto } from 'grpc-health-check';
import { AgentError, type AgentErrorCode } from '../errors.ts';
import { type Permission, permissionOf, type Tokens } from './auth.ts';
import type { AgentOps } from './ops.ts';

/**
 * The agent's gRPC API: Package, Command, Health and Metrics (proto/opsfleet/agent/v1), the
 * standard grpc.health.v1.Health for the agent itself, and server reflection over both (one
 * package definition, because the reflection service takes only one). Every call of the agent's
 * own services needs `authorization: Bearer <token>` (rpc/auth.ts says which token may do what);
 * the standard health service and reflection, which reveal nothing the proto does not, are open
 * as load balancers and grpcurl expect. With a certificate, the port speaks TLS.
 */
const PROTO = 'proto/opsfleet/agent/v1/agent.proto';
// From the sources, or from the bundle in dist/ next to the packages folder.
export const AGENT_PROTO =
  [join(import.meta.dirname, '../..', PROTO), join(import.meta.dirname, '../packages/agent', PROTO)].find(
    (p) => existsSync(p),
  ) ?? join(import.meta.dirname, '../..', PROTO);

export function loadDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync([AGENT_PROTO, healthProto], {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}

export interface RpcOptions {
  listen: string;
  /** Read at every call, so a reload of agent.yaml can change them. */
  tokens: () => Tokens;
  tls?: { cert: string; key: string };
}

export interface RpcServer {
  /** `host:port` actually bound (port 0 picks one). */
  address: string;
  health: HealthImplementation;
  close(): Promise<void>;
}

type Unary = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>) => Promise<unknown>;
type Streaming = (call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) => Promise<void>;

/** The gRPC status of each AgentError; any other error is INTERNAL. */
const BY_CODE: Record<AgentErrorCode, grpc.status> = {
  'not-found': grpc.status.NOT_FOUND,
  invalid: grpc.status.INVALID_ARGUMENT,
  conflict: grpc.status.FAILED_PRECONDITION,
  unsupported: grpc.status.UNIMPLEMENTED,
  closed: grpc.status.UNAVAILABLE,
};

/**
 * Status details travel in an HTTP/2 trailer: one that echoes a huge argument overflows the
 * header limit, the stream dies and the client waits for its deadline instead of an answer.
 */
const MAX_DETAILS = 1024;

function statusOf(err: Error): grpc.StatusObject {
  const code = err instanceof AgentError ? BY_CODE[err.code] : grpc.status.INTERNAL;
  const details = err.message.length > MAX_DETAILS ? `${err.message.slice(0, MAX_DETAILS)}…` : err.message;
  return { code, details, metadata: new grpc.Metadata() };
}

/** Longest accepted value of each string field; names, levels and filters are short by nature. */
const MAX_FIELD = 1024;
const MAX_YAML = YAML_LIMITS.maxBytes;

function oversized(request: Record<string, unknown>): string | undefined {
  for (const [field, value] of Object.entries(request)) {
    if (typeof value !== 'string') continue;
    const max = field === 'yaml' ? MAX_YAML : MAX_FIELD;
    if (Buffer.byteLength(value) > max)
      return `${field} is ${Buffer.byteLength(value)} bytes, over the ${max}-byte limit; send a shorter ${field}`;
  }
  return undefined;
}

function denied(metadata: grpc.Metadata, tokens: Tokens, needs: Permission): grpc.StatusObject | undefined {
  const has = permissionOf(String(metadata.get('authorization')[0] ?? ''), tokens);
  const status = (code: grpc.status, details: string) => ({ code, details, metadata: new grpc.Metadata() });
  if (!has)
    return status(
      grpc.status.UNAUTHENTICATED,
      'send authorization: Bearer <token> in the call metadata: agent.grpc.token, or the grpc-admin.token file in the agent data folder',
    );
  if (needs === 'admin' && has !== 'admin')
    return status(
      grpc.status.PERMISSION_DENIED,
      'this token may only read: changing configuration or services needs the admin token (agent.grpc.token, or grpc-admin.token in the agent data folder)',
    );
  return undefined;
}

function refusal(
  call: { metadata: grpc.Metadata; request: Record<string, unknown> },
  opts: RpcOptions,
  needs: Permission,
) {
  const no = denied(call.metadata, opts.tokens(), needs);
  if (no) return no;
  const big = oversized(call.request);
  return big
    ? { code: grpc.status.INVALID_ARGUMENT, details: big, metadata: new grpc.Metadata() }
    : undefined;
}

export async function startRpc(ops: AgentOps, opts: RpcOptions): Promise<RpcServer> {
  const definition = loadDefinition();
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    opsfleet: { agent: { v1: Record<string, { service: grpc.ServiceDefinition }> } };
  };
  const v1 = pkg.opsfleet.agent.v1;
  // Room for the largest agent.yaml an ApplyConfig may carry, so one just over it gets
  // INVALID_ARGUMENT from the check above rather than the transport's RESOURCE_EXHAUSTED.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_YAML + 64 * 1024 });

  const unary =
    (fn: Unary, needs: Permission = 'read'): grpc.handleUnaryCall<Record<string, unknown>, unknown> =>
    (call, callback) => {
      const no = refusal(call, opts, needs);
      if (no) return callback(no);
      fn(call).then(
        (value) => callback(null, value),
        (err: Error) => callback(statusOf(err)),
      );
    };
  const streaming =
    (fn: Streaming): grpc.handleServerStreamingCall<Record<string, unknown>, unknown> =>
    (call) => {
      const no = refusal(call, opts, 'read');
      if (no) return call.destroy(Object.assign(new Error(no.details), no));
      fn(call).then(
        () => call.end(),
        (err: Error) => call.destroy(Object.assign(err, statusOf(err))),
      );
    };
  const name = (call: { request: Record<string, unknown> }) => String(call.request.service ?? '');

  server.addService(v1.Package!.service, {
    list: unary(async () => ({ services: ops.services() })),
    getConfig: unary(async (call) => ops.config(name(call) || undefined)),
    applyConfig: unary(
      async (call) => ops.applyConfig(String(call.request.yaml ?? ''), Boolean(call.request.dryRun)),
      'admin',
    ),
    recentLogs: unary(async (call) => ({ lines: await ops.logs(name(call), logQuery(call.request)) })),
    streamLogs: streaming(async (call) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      call.on('close', () => abort.abort());
      for await (const line of ops.followLogs(name(call), logQuery(call.request), abort.signal))
        if (!call.write(line)) await drained(call, abort.signal);
    }),
  });
  const command = (action: 'start' | 'stop' | 'restart' | 'pause' | 'resume') =>
    unary(async (call) => ops.command(name(call), action), 'admin');
  server.addService(v1.Command!.service, {
    start: command('start'),
    stop: command('stop'),
    restart: command('restart'),
    pause: command('pause'),
    resume: command('resume'),
  });
  server.addService(v1.Health!.service, {
    getStatus: unary(async (call) => ({ checks: ops.health(name(call) || undefined) })),
    list: unary(async (call) => ({ checks: ops.health(name(call) || undefined) })),
    history: unary(async (call) => ({
      results: ops.healthHistory(
        name(call),
        String(call.request.check ?? ''),
        Number(call.request.limit) || 100,
      ),
    })),
  });
  server.addService(v1.Metrics!.service, {
    system: unary(async () => ops.systemMetrics()),
    service: unary(async (call) => {
      const found = (await ops.serviceMetrics()).find((s) => s.service === name(call));
      if (!found) throw new AgentError('not-found', `no service ${name(call)} is supervised here`);
      return found;
    }),
    list: unary(async () => ({ services: await ops.serviceMetrics() })),
  });

  const health = new HealthImplementation({ '': 'SERVING' });
  health.addToServer(server);
  new ReflectionService(definition).addToServer(server);

  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(null, [
        { cert_chain: readFileSync(opts.tls.cert), private_key: readFileSync(opts.tls.key) },
      ])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(opts.listen, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  const host = opts.listen.slice(0, opts.listen.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    health,
    close: () =>
      new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}

/**
 * Resolves when the stream takes writes again, or the call ended. A client that stops reading
 * fills the HTTP/2 window, then the stream's buffer: the follower is not read further until
 * then, so a stalled `logs -f` holds one chunk of the log in memory, not the whole burst.
 */
function drained(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done);
  });
}

function logQuery(r: Record<string, unknown>) {
  return {
    keyword: String(r.keyword ?? '') || undefined,
    level: String(r.level ?? '') || undefined,
    since: String(r.since ?? '') || undefined,
    until: String(r.until ?? '') || undefined,
    tail: Number(r.tail) || undefined,
  };
}
