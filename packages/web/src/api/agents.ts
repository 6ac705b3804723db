/** The agent registry: agents with their status and services; forget one (admins, operators). */
import { api } from './client.ts';

export type AgentStatus = 'online' | 'offline';

export interface AgentService {
  name: string;
  /** stopped, starting, running, backoff, fatal, paused, stopping, waiting */
  state: string;
  /** direct or systemd */
  backend: string;
  pid?: number;
  restarts: number;
  /** passing, warning, critical, unknown */
  health?: string;
  startedAt?: string;
  reason?: string;
}

export interface ServiceCounts {
  total: number;
  byState: Record<string, number>;
  unhealthy: number;
  restarts: number;
}

export interface Agent {
  /** The id of the agent's API key. */
  id: string;
  /** The name it reports (agent.name, default its hostname): the `host` label of its alerts. */
  name: string;
  /** The API key it signs in with (its identity); `name` is what it reports. */
  keyName: string;
  hostname: string;
  version: string;
  labels: Record<string, string>;
  status: AgentStatus;
  statusSince: string;
  lastSeen: string;
  firstSeen: string;
  registeredAt: string;
  startedAt: string | null;
  grpcAddress: string | null;
  remoteAddress: string | null;
  serviceCounts: ServiceCounts;
}

export interface AgentHistoryEntry {
  at: string;
  event: 'registered' | 'online' | 'offline';
  detail: string;
}

export interface AgentDetail extends Agent {
  services: AgentService[];
  history: AgentHistoryEntry[];
}

export interface AgentList {
  items: Agent[];
  nextCursor: string | null;
  counts: { online: number; offline: number };
}

export interface AgentQuery {
  status?: AgentStatus;
  q?: string;
  /** `name=value` each. */
  label?: string[];
  cursor?: string;
  limit?: number;
}

export const listAgents = (query: AgentQuery, signal?: AbortSignal) =>
  api<AgentList>('/api/v1/agents', { query: { ...query }, signal });

export const getAgent = (id: string, signal?: AbortSignal) =>
  api<AgentDetail>(`/api/v1/agents/${encodeURIComponent(id)}`, { signal });

export const forgetAgent = (id: string) =>
  api<void>(`/api/v1/agents/${encodeURIComponent(id)}`, { method: 'DELETE' });
