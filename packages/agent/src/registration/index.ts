import { hostname as osHostname } from 'node:os';
import type { AgentSettings } from '../spec.ts';
import type { EtcdRegistration } from './etcd.ts';
import type { RegistrationLog, ServicesSource } from './report.ts';
import { ServerRegistration } from './server.ts';

export * from './report.ts';
export * from './server.ts';

export interface Registrations {
  server?: ServerRegistration;
  /** Resolves once the etcd client is loaded (it is loaded only when `agent.etcd` is set). */
  etcd?: Promise<EtcdRegistration>;
  /** Stops heartbeating and revokes the etcd lease. */
  close(): Promise<void>;
}

/**
 * Starts what `agent.server` and `agent.etcd` ask for (either, both or neither), with the
 * services from `services` (the supervisor's list).
 */
export function startRegistrations(
  settings: AgentSettings,
  deps: {
    version: string;
    services: ServicesSource;
    hostname?: string;
    /** The address others reach the gRPC API at, when it is not `agent.grpc.listen`. */
    grpcAddress?: string;
    startedAt?: Date;
    log?: RegistrationLog;
  },
): Registrations {
  const facts = {
    hostname: deps.hostname ?? osHostname(),
    version: deps.version,
    labels: settings.labels,
    grpcAddress: deps.grpcAddress ?? settings.grpc.listen,
    services: deps.services,
    startedAt: deps.startedAt ?? new Date(),
    log: deps.log,
  };
  const server = settings.server
    ? new ServerRegistration({
        ...facts,
        name: settings.name ?? facts.hostname,
        url: settings.server.url,
        token: settings.server.token,
        heartbeatMs: settings.server.heartbeat,
      }).start()
    : undefined;
  const e = settings.etcd;
  // The etcd client costs ~14 MiB of memory: an agent without etcd never loads it.
  const etcd = e
    ? import('./etcd.ts').then(({ EtcdRegistration }) =>
        new EtcdRegistration({
          ...facts,
          endpoints: e.endpoints,
          prefix: e.prefix,
          ttlMs: e.ttl,
          name: settings.name ?? facts.hostname,
        }).start(),
      )
    : undefined;
  return {
    server,
    etcd,
    close: async () => {
      await Promise.all([server?.close(), etcd?.then((r) => r.close())]);
    },
  };
}
