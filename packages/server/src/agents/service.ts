import { formatDuration } from '@opsfleet/core';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { decodeCursor, encodeCursor } from '../http/list-query.ts';
import { notFound, Problem } from '../http/problem.ts';
import {
  type AgentReport,
  type AgentRow,
  agentStore,
  type HistoryRow,
  type ListFilter,
  type ReportedService,
} from './store.ts';

export type { AgentReport, ReportedService } from './store.ts';

export interface AgentOptions {
  /** `AGENT_OFFLINE_AFTER`: an agent whose last heartbeat is older than this is offline (default 45 s). */
  offlineAfterMs?: number;
  /** The heartbeat interval agents are told to keep (default a third of `offlineAfterMs`, at most 15 s). */
  heartbeatMs?: number;
}

/** The agent an API key stands for: the key's id and name. */
export interface AgentIdentity {
  id: string;
  name: string;
  /** Where the request came from, for people (not an identity). */
  remoteAddress?: string;
}

export interface ServiceCounts {
  total: number;
  /** Services by state: `{running: 3, backoff: 1}`. */
  byState: Record<string, number>;
  /** Services whose health is warning or critical. */
  unhealthy: number;
  /** Restarts summed over the services. */
  restarts: number;
}

export interface AgentSummary {
  /** The id of the agent's API key. */
  id: string;
  /** The name the agent reports (`agent.name`, default its hostname): the `host` label of its alerts. */
  name: string;
  /** The name of the API key it signs in with, which is what identifies it. */
  keyName: string;
  hostname: string;
  version: string;
  labels: Record<string, string>;
  status: 'online' | 'offline';
  /** Since when the agent has had this status. */
  statusSince: string;
  lastSeen: string;
  firstSeen: string;
  registeredAt: string;
  /** When the agent process started, as it says. */
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

export interface AgentDetail extends AgentSummary {
  services: ReportedService[];
  /** Newest first. */
  history: AgentHistoryEntry[];
}

/** What an agent is told after a registration or heartbeat. */
export interface HeartbeatAnswer {
  serverTime: string;
  /** Send the next heartbeat within this. */
  heartbeatMs: number;
  /** No heartbeat for this long and the agent is listed offline. */
  offlineAfterMs: number;
}

export interface AgentList {
  items: AgentSummary[];
  nextCursor: string | null;
  /** Every agent by status, whatever the filter. */
  counts: { online: number; offline: number };
}

const iso = (v: string | Date) => new Date(v).toISOString();
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export function countServices(services: ReportedService[]): ServiceCounts {
  const byState: Record<string, number> = {};
  let unhealthy = 0;
  let restarts = 0;
  for (const s of services) {
    byState[s.state] = (byState[s.state] ?? 0) + 1;
    if (s.health === 'warning' || s.health === 'critical') unhealthy += 1;
    restarts += s.restarts;
  }
  return { total: services.length, byState, unhealthy, restarts };
}

/**
 * The agent registry. An agent is the API key (role `agent`) it signs in with: it registers at
 * start, heartbeats every `heartbeatMs`, and is offline once its last heartbeat is older than
 * `offlineAfterMs` — computed when read, so every replica agrees without a job. The housekeeping
 * pass only writes the online → offline transition into the history for people to see.
 */
export class AgentService {
  readonly offlineAfterMs: number;
  readonly heartbeatMs: number;

  constructor(
    private readonly db: Db,
    opts: AgentOptions = {},
  ) {
    this.offlineAfterMs = opts.offlineAfterMs ?? 45_000;
    if (!(this.offlineAfterMs > 0)) throw new Error('the agent offline threshold must be positive');
    this.heartbeatMs = opts.heartbeatMs ?? Math.min(15_000, Math.round(this.offlineAfterMs / 3));
    if (!(this.heartbeatMs > 0 && this.heartbeatMs < this.offlineAfterMs))
      throw new Error('the agent heartbeat interval must be positive and shorter than the offline threshold');
  }

  private answer(now: string | Date): HeartbeatAnswer {
    return { serverTime: iso(now), heartbeatMs: this.heartbeatMs, offlineAfterMs: this.offlineAfterMs };
  }

  /** `no heartbeat for 45s`: why an agent went offline. */
  private get silence(): string {
    return `no heartbeat for ${formatDuration(this.offlineAfterMs)}`;
  }

  /**
   * An agent whose heartbeats stopped and started again before the housekeeping pass noticed:
   * its offline period is still recorded, at the time it began.
   */
  private async recordMissedOffline(tx: Pick<Db, 'execute'>, prev: AgentRow): Promise<boolean> {
    if (prev.status !== 'online' || !prev.lapsed) return false;
    await agentStore.addHistory(
      tx,
      prev.id,
      'offline',
      this.silence,
      sql`${iso(prev.last_seen)}::timestamptz + (${this.offlineAfterMs}::double precision * interval '1 millisecond')`,
    );
    return true;
  }

  /**
   * Creates or refreshes the agent of this key with what it reports; it is online from now. A
   * name another agent holds is refused (409), so no agent can be listed as another.
   */
  async register(agent: AgentIdentity, report: AgentReport): Promise<HeartbeatAnswer & { created: boolean }> {
    try {
      return await this.upsert(agent, report);
    } catch (err) {
      if (((err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code) !== '23505')
        throw err;
      const name = report.name ?? agent.name;
      const holder = await agentStore.keyNameOf(this.db, name);
      throw new Problem(
        409,
        'Conflict',
        `the agent name ${name} is taken by the agent signing in with the key ${holder ?? '(removed)'}: set another agent.name in this agent's agent.yaml, or remove the other agent`,
      );
    }
  }

  private async upsert(
    agent: AgentIdentity,
    report: AgentReport,
  ): Promise<HeartbeatAnswer & { created: boolean }> {
    return this.db.transaction(async (tx) => {
      const prev = await agentStore.lock(tx, agent.id, this.offlineAfterMs);
      const wasOffline = prev
        ? prev.status === 'offline' || (await this.recordMissedOffline(tx, prev))
        : true;
      const { now, created } = await agentStore.upsert(tx, agent, report, wasOffline);
      const where = report.grpcAddress ? `, gRPC ${report.grpcAddress}` : '';
      await agentStore.addHistory(
        tx,
        agent.id,
        'registered',
        `version ${report.version} on ${report.hostname}${where}, ${report.services.length} service(s)`,
      );
      return { ...this.answer(now), created };
    });
  }

  /** A heartbeat of a registered agent; an unknown one (never registered, or forgotten) gets 404. */
  async heartbeat(agent: AgentIdentity, services: ReportedService[]): Promise<HeartbeatAnswer> {
    return this.db.transaction(async (tx) => {
      const prev = await agentStore.lock(tx, agent.id, this.offlineAfterMs);
      if (!prev) throw notFound(`agent ${agent.name} is not registered (or was removed): register first`);
      const missed = await this.recordMissedOffline(tx, prev);
      const back = missed || prev.status === 'offline';
      if (back) {
        const gap = new Date(prev.now).getTime() - new Date(prev.last_seen).getTime();
        await agentStore.addHistory(tx, agent.id, 'online', `heartbeat after ${formatDuration(gap)} without`);
      }
      return this.answer(await agentStore.touch(tx, agent.id, services, back));
    });
  }

  /** Records offline transitions (for the housekeeping job); returns the agents that went offline. */
  async housekeep(): Promise<string[]> {
    return agentStore.markOffline(this.db, this.offlineAfterMs, this.silence);
  }

  private summaryOf(r: AgentRow): AgentSummary {
    const status = r.lapsed ? 'offline' : 'online';
    // The pass has not recorded it yet: it went offline when its last heartbeat became too old.
    const since =
      status === r.status
        ? iso(r.status_at)
        : new Date(new Date(r.last_seen).getTime() + this.offlineAfterMs).toISOString();
    return {
      id: r.id,
      name: r.name,
      keyName: r.key_name,
      hostname: r.hostname,
      version: r.version,
      labels: json(r.labels),
      status,
      statusSince: since,
      lastSeen: iso(r.last_seen),
      firstSeen: iso(r.first_seen),
      registeredAt: iso(r.registered_at),
      startedAt: r.started_at ? iso(r.started_at) : null,
      grpcAddress: r.grpc_address,
      remoteAddress: r.remote_address,
      serviceCounts: countServices(json(r.services)),
    };
  }

  async list(filter: Omit<ListFilter, 'after'> & { cursor?: string }): Promise<AgentList> {
    const { cursor, ...rest } = filter;
    const rows = await agentStore.list(
      this.db,
      { ...rest, ...(cursor ? { after: decodeCursor(cursor) } : {}) },
      this.offlineAfterMs,
    );
    const items = rows.slice(0, filter.limit).map((r) => this.summaryOf(r));
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last.name, last.id) : null,
      counts: await agentStore.counts(this.db, this.offlineAfterMs),
    };
  }

  async get(id: string, historyLimit = 50): Promise<AgentDetail> {
    const row = await agentStore.get(this.db, id, this.offlineAfterMs);
    if (!row) throw notFound(`no agent ${id}`);
    const history = await agentStore.history(this.db, id, historyLimit);
    return {
      ...this.summaryOf(row),
      services: json(row.services),
      history: history.map((h: HistoryRow) => ({ at: iso(h.at), event: h.event, detail: h.detail })),
    };
  }

  /**
   * Forgets an agent and its history. A running agent whose key still works registers again at
   * its next heartbeat; revoke the key to keep it out.
   */
  async remove(id: string): Promise<{ name: string; hostname: string }> {
    const removed = await agentStore.remove(this.db, id);
    if (!removed) throw notFound(`no agent ${id}`);
    return removed;
  }
}
