import type { HealthState, ServiceStatus } from '../spec.ts';

/** A supervised service as the agent reports it: its status and, when checked, its health. */
export type ReportedService = ServiceStatus & { health?: HealthState };

/** Where the registrations get the services from: the supervisor, asked at every report. */
export type ServicesSource = () => readonly ReportedService[];

/** The log lines the registrations write (a pino logger fits). */
export interface RegistrationLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const quietLog: RegistrationLog = { debug: () => {}, info: () => {}, warn: () => {} };

/** What the agent says about itself; its identity is its credential, not any of this. */
export interface AgentFacts {
  hostname: string;
  version: string;
  labels: Record<string, string>;
  /** Where the agent's gRPC API listens, for whoever wants to call it. */
  grpcAddress?: string;
}

/** The wire shape of a service: the fields the server keeps, nothing else. */
export function wireService(s: ReportedService) {
  return {
    name: s.name,
    state: s.state,
    backend: s.backend,
    restarts: s.restarts,
    ...(s.pid !== undefined ? { pid: s.pid } : {}),
    ...(s.health !== undefined ? { health: s.health } : {}),
    ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}),
    ...(s.reason !== undefined ? { reason: s.reason } : {}),
  };
}

/** `{total: 4, byState: {running: 3, backoff: 1}}`: the services in a few numbers. */
export function summarize(services: readonly ReportedService[]): {
  total: number;
  byState: Record<string, number>;
  unhealthy: number;
} {
  const byState: Record<string, number> = {};
  let unhealthy = 0;
  for (const s of services) {
    byState[s.state] = (byState[s.state] ?? 0) + 1;
    if (s.health === 'warning' || s.health === 'critical') unhealthy += 1;
  }
  return { total: services.length, byState, unhealthy };
}
