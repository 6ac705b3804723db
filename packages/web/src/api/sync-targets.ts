/**
 * Config sync targets (docs/rules.md): the Prometheus, vmalert and Alertmanager peers whose
 * configuration opsfleet renders, their versions, diff, dry run and pin, and the sync state the
 * host's ConfigAgent reports. Bodies use the server's snake_case names, answers are camelCase.
 */
import { api } from './client.ts';

const T = '/api/v1/sync-targets';
const id = encodeURIComponent;

export const SYNC_KINDS = ['prometheus', 'vmalert', 'alertmanager'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

export interface SyncTarget {
  id: string;
  name: string;
  kind: SyncKind;
  agentId: string | null;
  datasourceId: string | null;
  baseConfig: string;
  webhookUrl: string;
  passwordFile: string;
  /** Alertmanager: whether the server holds the ingest key its ConfigAgent writes to `passwordFile`. */
  hasIngestKey: boolean;
  latestVersion: number | null;
  pinnedVersion: number | null;
  /** The pinned version, else the newest: what the peer should load. */
  desiredVersion: number | null;
  /** What its ConfigAgent last reported as loaded. */
  appliedVersion: number | null;
  inSync: boolean;
  lastAttemptAt: string | null;
  /** The tool output of the last failed attempt; null after a good one. */
  lastError: string | null;
  /** What its ConfigAgent last saw of the peer; null until it reported. */
  peer: PeerHealth | null;
  createdAt: string;
  updatedAt: string;
}

export interface PeerHealth {
  /** Its /metrics answered. */
  up: boolean;
  /** Its own `*_config_last_reload_successful`; null when it does not say. */
  reloadSuccessful: boolean | null;
  error?: string;
  checkedAt: string;
}

export interface SyncTargetBody {
  name: string;
  kind: SyncKind;
  agent_id: string | null;
  datasource_id: string | null;
  base_config: string;
  webhook_url: string;
  password_file: string;
}

export interface SyncVersion {
  version: number;
  hash: string;
  files: string[];
  createdAt: string;
}

export interface DryRun {
  appliedVersion: number | null;
  changed: boolean;
  diff: string;
}

export const listSyncTargets = (signal?: AbortSignal) => api<{ items: SyncTarget[] }>(T, { signal });
export const getSyncTarget = (targetId: string, signal?: AbortSignal) =>
  api<SyncTarget>(`${T}/${id(targetId)}`, { signal });
export const createSyncTarget = (body: SyncTargetBody) => api<SyncTarget>(T, { body });
export const updateSyncTarget = (targetId: string, body: SyncTargetBody) =>
  api<SyncTarget>(`${T}/${id(targetId)}`, { method: 'PUT', body });
export const deleteSyncTarget = (targetId: string) => api<void>(`${T}/${id(targetId)}`, { method: 'DELETE' });
export const syncVersions = (targetId: string, signal?: AbortSignal) =>
  api<{ items: SyncVersion[] }>(`${T}/${id(targetId)}/versions`, { signal });
export const syncDiff = (targetId: string, from: number, to: number, signal?: AbortSignal) =>
  api<{ from: number; to: number; diff: string }>(`${T}/${id(targetId)}/diff`, {
    query: { from: String(from), to: String(to) },
    signal,
  });
export const syncDryRun = (targetId: string, signal?: AbortSignal) =>
  api<DryRun>(`${T}/${id(targetId)}/dry-run`, { signal });
/** A version to roll back to (the target loads it until unpinned), or null to follow the newest again. */
export const pinSyncVersion = (targetId: string, version: number | null) =>
  api<SyncTarget>(`${T}/${id(targetId)}/pin`, { body: { version } });
