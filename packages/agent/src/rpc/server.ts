import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProto } from 'grpc-health-check';
import { AgentError, type AgentErrorCode } from '../errors.ts';
import type { AgentOps } from './ops.ts';

/**
 * The agent's gRPC API: Package, Command, Health and Metrics (proto/opsfleet/agent/v1), the
 * standard grpc.health.v1.Health for the agent itself, and server reflection over both (one
 * package definition, because the reflection service takes only one). With a token, every call
 * needs `authorization: Bearer <token>`; with a certificate, the port speaks TLS.
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
  token?: string;
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

function statusOf(err: Error): grpc.StatusObject {
  const code = err instanceof AgentError ? BY_CODE[err.code] : grpc.status.INTERNAL;
  return { code, details: err.message, metadata: new grpc.Metadata() };
}

function authorized(metadata: grpc.Metadata, token: string | undefined): boolean {
  if (!token) return true;
  const given = String(metadata.get('authorization')[0] ?? '');
  return given === `Bearer ${token}`;
}

const UNAUTHENTICATED = {
  code: grpc.status.UNAUTHENTICATED,
  details: 'send authorization: Bearer <the agent grpc token> in the call metadata',
};

export async function startRpc(ops: AgentOps, opts: RpcOptions): Promise<RpcServer> {
  const definition = loadDefinition();
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    opsfleet: { agent: { v1: Record<string, { service: grpc.ServiceDefinition }> } };
  };
  const v1 = pkg.opsfleet.agent.v1;
  const server = new grpc.Server();

  const unary =
    (fn: Unary): grpc.handleUnaryCall<Record<string, unknown>, unknown> =>
    (call, callback) => {
      if (!authorized(call.metadata, opts.token)) return callback(UNAUTHENTICATED);
      fn(call).then(
        (value) => callback(null, value),
        (err: Error) => callback(statusOf(err)),
      );
    };
  const streaming =
    (fn: Streaming): grpc.handleServerStreamingCall<Record<string, unknown>, unknown> =>
    (call) => {
      if (!authorized(call.metadata, opts.token))
        return call.destroy(Object.assign(new Error(UNAUTHENTICATED.details), UNAUTHENTICATED));
      fn(call).then(
        () => call.end(),
        (err: Error) => call.destroy(Object.assign(err, statusOf(err))),
      );
    };
  const name = (call: { request: Record<string, unknown> }) => String(call.request.service ?? '');

  server.addService(v1.Package!.service, {
    list: unary(async () => ({ services: ops.services() })),
    getConfig: unary(async (call) => ops.config(name(call) || undefined)),
    applyConfig: unary(async (call) =>
      ops.applyConfig(String(call.request.yaml ?? ''), Boolean(call.request.dryRun)),
    ),
    recentLogs: unary(async (call) => ({ lines: await ops.logs(name(call), logQuery(call.request)) })),
    streamLogs: streaming(async (call) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      for await (const line of ops.followLogs(name(call), logQuery(call.request), abort.signal))
        call.write(line);
    }),
  });
  const command = (action: 'start' | 'stop' | 'restart' | 'pause' | 'resume') =>
    unary(async (call) => ops.command(name(call), action));
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
      if (!found) throw new Error(`no service ${name(call)} is supervised here`);
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

function logQuery(r: Record<string, unknown>) {
  return {
    keyword: String(r.keyword ?? '') || undefined,
    level: String(r.level ?? '') || undefined,
    since: String(r.since ?? '') || undefined,
    until: String(r.until ?? '') || undefined,
    tail: Number(r.tail) || undefined,
  };
}
