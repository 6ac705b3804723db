/**
 * The release manager's API (docs/release.md): projects with their environments, targets and
 * versions, deploy tasks and installations. Bodies use the server's snake_case names, answers
 * are camelCase.
 */
import { api } from './client.ts';
import type { Paged } from './types.ts';

const R = '/api/v1/release';
const id = encodeURIComponent;

export interface Ref {
  id: string;
  name: string;
}

export interface Project {
  id: string;
  name: string;
  description: string;
  containerNaming: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ReleaseWindow {
  timezone: string;
  days: Weekday[];
  start: string;
  end: string;
}

export interface Environment {
  id: string;
  projectId: string;
  name: string;
  releaseWindow: ReleaseWindow | null;
  approvalRequired: boolean;
  approvers: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Target {
  id: string;
  projectId: string;
  environment: Ref;
  agent: Ref;
  labels: Record<string, string>;
  priority: number;
  createdAt: string;
}

export type VersionStatus = 'draft' | 'active' | 'deprecated';

export interface Version {
  id: string;
  projectId: string;
  version: string;
  installScript: string;
  updateScript: string;
  rollbackScript: string;
  uninstallScript: string;
  artifactUrl: string | null;
  artifactSha256: string | null;
  processConfig: Record<string, unknown>;
  status: VersionStatus;
  createdAt: string;
  updatedAt: string;
}

export type InstallationState = 'installed' | 'failed' | 'uninstalled';

export interface Installation {
  targetId: string;
  environment: Ref;
  agent: Ref;
  version: string;
  state: InstallationState;
  taskId: string | null;
  updatedAt: string;
}

export const OPERATIONS = ['deploy', 'install', 'update', 'rollback', 'uninstall'] as const;
export type Operation = (typeof OPERATIONS)[number];
export type FailureStrategy = 'continue' | 'pause' | 'abort';

export type Strategy =
  | { type: 'all-at-once' }
  | { type: 'rolling'; batchSize: number; intervalSeconds: number }
  | { type: 'canary'; targets?: string[]; percent?: number };

export type TaskState =
  | 'awaiting_approval'
  | 'pending'
  | 'running'
  | 'paused'
  | 'awaiting_promotion'
  | 'succeeded'
  | 'failed'
  | 'cancelled';
export type TargetState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface TaskTarget {
  targetId: string;
  agent: Ref;
  batch: number;
  state: TargetState;
  commandId: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Task {
  id: string;
  projectId: string;
  environment: Ref;
  version: { id: string; version: string };
  operation: Operation;
  autoSelectClients: boolean;
  sourceVersion: string | null;
  strategy: Strategy;
  failureStrategy: FailureStrategy;
  state: TaskState;
  /** Why a task that is not over does not move now (window, schedule, approval, promotion). */
  blockedBy: string | null;
  scheduledAt: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  promotedBy: string | null;
  promotedAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  targets?: TaskTarget[];
}

/** The selection part of a task body, which the preview takes alone. */
export interface SelectionBody {
  project: string;
  environment: string;
  client_ids?: string[];
  auto_select_clients: boolean;
  source_version?: string;
  strategy: Strategy;
}

export interface TaskBody extends SelectionBody {
  version: string;
  operation: Operation;
  failure_strategy: FailureStrategy;
  scheduled_at?: string;
}

export interface Preview {
  environment: Ref;
  targets: { targetId: string; agent: Ref; batch: number }[];
}

export interface LogLine {
  seq: number;
  stage: string;
  level: string;
  line: string;
  at: string;
}

export interface LogPage {
  items: LogLine[];
  /** Null while the target has no command yet. */
  nextAfter: number | null;
  /** The command whose output this is: a retry sends a new one, whose lines start again. */
  commandId: string | null;
}

export type TaskStep = 'approve' | 'pause' | 'resume' | 'cancel' | 'retry' | 'promote';

export const listProjects = (cursor?: string, signal?: AbortSignal) =>
  api<Paged<Project>>(`${R}/projects`, { query: { cursor, limit: 50 }, signal });
export const getProject = (projectId: string, signal?: AbortSignal) =>
  api<Project>(`${R}/projects/${id(projectId)}`, { signal });
export const createProject = (body: { name: string; description?: string }) =>
  api<Project>(`${R}/projects`, { body });

export const listEnvironments = (projectId: string, signal?: AbortSignal) =>
  api<{ items: Environment[] }>(`${R}/projects/${id(projectId)}/environments`, { signal });
export interface EnvironmentBody {
  name: string;
  release_window: ReleaseWindow | null;
  approval_required: boolean;
  approvers: string[];
}
export const createEnvironment = (projectId: string, body: EnvironmentBody) =>
  api<Environment>(`${R}/projects/${id(projectId)}/environments`, { body });
export const updateEnvironment = (projectId: string, envId: string, body: EnvironmentBody) =>
  api<Environment>(`${R}/projects/${id(projectId)}/environments/${id(envId)}`, { method: 'PATCH', body });

export const listTargets = (projectId: string, cursor?: string, signal?: AbortSignal) =>
  api<Paged<Target>>(`${R}/projects/${id(projectId)}/targets`, { query: { cursor, limit: 50 }, signal });
export const createTarget = (
  projectId: string,
  body: { environment: string; agent: string; labels: Record<string, string>; priority: number },
) => api<Target>(`${R}/projects/${id(projectId)}/targets`, { body });
export const deleteTarget = (projectId: string, targetId: string) =>
  api<void>(`${R}/projects/${id(projectId)}/targets/${id(targetId)}`, { method: 'DELETE' });

export interface VersionBody {
  version: string;
  install_script: string;
  update_script: string;
  rollback_script: string;
  uninstall_script: string;
  artifact_url: string | null;
  artifact_sha256: string | null;
  status: VersionStatus;
}
export const listVersions = (projectId: string, cursor?: string, signal?: AbortSignal) =>
  api<Paged<Version>>(`${R}/projects/${id(projectId)}/versions`, { query: { cursor, limit: 50 }, signal });
export const createVersion = (projectId: string, body: VersionBody) =>
  api<Version>(`${R}/projects/${id(projectId)}/versions`, { body });
export const updateVersion = (projectId: string, versionId: string, body: Partial<VersionBody>) =>
  api<Version>(`${R}/projects/${id(projectId)}/versions/${id(versionId)}`, { method: 'PATCH', body });

/** Every installation row of the project (the matrix needs them all, so every page is fetched). */
export async function allInstallations(projectId: string, signal?: AbortSignal): Promise<Installation[]> {
  const rows: Installation[] = [];
  let cursor: string | undefined;
  do {
    const page = await api<Paged<Installation>>(`${R}/projects/${id(projectId)}/installations`, {
      query: { cursor, limit: 200 },
      signal,
    });
    rows.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return rows;
}

export const listTasks = (projectId: string, cursor?: string, signal?: AbortSignal) =>
  api<Paged<Task>>(`${R}/projects/${id(projectId)}/tasks`, { query: { cursor, limit: 50 }, signal });
export const getTask = (taskId: string, signal?: AbortSignal) =>
  api<Task>(`${R}/tasks/${id(taskId)}`, { signal });
export const previewTask = (body: SelectionBody, signal?: AbortSignal) =>
  api<Preview>(`${R}/tasks/preview`, { body, signal });
export const createTask = (body: TaskBody) => api<Task>(`${R}/tasks`, { body });
export const stepTask = (taskId: string, step: TaskStep) =>
  api<Task>(`${R}/tasks/${id(taskId)}/${step}`, { method: 'POST' });

export const targetLog = (taskId: string, targetId: string, after: number, signal?: AbortSignal) =>
  api<LogPage>(`${R}/tasks/${id(taskId)}/targets/${id(targetId)}/log`, {
    query: { after, limit: 500 },
    signal,
  });
