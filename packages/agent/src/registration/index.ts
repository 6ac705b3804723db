import { hostname as osHostname } from 'node:os';
import type { AgentSettings } from '../spec.ts';
import { EtcdRegistration } from './etcd.ts';
import type { RegistrationLog, ServicesSource } from './report.ts';
import { ServerRegistration } from './server.ts';

export * from './etcd.ts';
export * from './report.ts';
export * from './server.ts';

export interface Registrations {
  server?: ServerRegistration;
  etcd?: EtcdRegistration;
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
        url: settings.server.url,
        token: settings.server.token,
        heartbeatMs: settings.server.heartbeat,
      }).start()
    : undefined;
  const etcd = settings.etcd
    ? new EtcdRegistration({
        ...facts,
        endpoints: settings.etcd.endpoints,
        prefix: settings.etcd.prefix,
        ttlMs: settings.etcd.ttl,
        name: settings.name ?? facts.hostname,
      }).start()
    : undefined;
  return {
    server,
    etcd,
    close: async () => {
      await Promise.all([server?.close(), etcd?.close()]);
    },
  };
}
