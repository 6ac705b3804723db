/**
 * The file pipeline (docs/files.md): files the agents report with their timeline, the tasks
 * routing rules give them, the actions those tasks run and the rules themselves. Answers are
 * camelCase as the server sends them.
 */
import { api, type Query } from './client.ts';

const F = '/api/v1/files';
const id = encodeURIComponent;

export const FILE_STATES = ['detected', 'uploading', 'uploaded', 'failed'] as const;
export type FileState = (typeof FILE_STATES)[number];

export const TASK_STATES = ['pending', 'processing', 'done', 'failed', 'retrying', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface StoredObject {
  bucket?: string;
  key?: string;
  url?: string;
  etag?: string;
  size?: number;
  checksum?: string;
}

export interface FileView {
  id: string;
  agentId: string;
  agentName: string | null;
  fileId: string;
  source: string;
  path: string;
  size: number;
  mtime: string;
  hash: string | null;
  labels: Record<string, string>;
  state: FileState;
  seq: number;
  bytesUploaded: number;
  error: string | null;
  object: StoredObject | null;
  detectedAt: string;
  reportedAt: string;
  receivedAt: string;
  routedAt: string | null;
}

export interface TimelineEntry {
  seq: number;
  state: FileState;
  at: string;
  bytesUploaded: number;
  error: string | null;
  receivedAt: string;
}

/** A task as the file's page lists it. */
export interface FileTaskSummary {
  id: string;
  actionId: string;
  actionName: string;
  state: TaskState;
  trigger: string;
  attempts: number;
  maxAttempts: number;
  durationMs: number | null;
  error: string | null;
  errorCause: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface FileDetail extends FileView {
  timeline: { items: TimelineEntry[]; nextCursor: string | null };
  tasks: FileTaskSummary[];
}

export interface FileSource {
  agentId: string;
  agentName: string | null;
  source: string;
  firstSeen: string;
  lastSeen: string;
  files: { detected: number; uploading: number; uploaded: number; failed: number };
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

export interface Cause {
  cause: string;
  count: number;
}

export interface FileStats {
  files: { detected: number; uploaded: number; failed: number };
  perMinute: { detected: number; uploaded: number; failed: number };
  queue: {
    files: { detected: number; uploading: number };
    tasks: { pending: number; retrying: number; processing: number };
  };
  uploadSeconds: Percentiles;
  tasksFinished: number;
  taskSeconds: Percentiles;
  failures: { files: Cause[]; tasks: Cause[] };
}

export interface FileStatsAnswer {
  from: string;
  to: string;
  global: FileStats;
  sources: (FileStats & { agentId: string; agentName: string | null; source: string })[];
}

export interface FileTask {
  id: string;
  fileId: string;
  action: { id: string; name: string; kind: string };
  routeId: string | null;
  afterTaskId: string | null;
  fallbackOf: string | null;
  trigger: 'route' | 'manual' | 'retry' | 'fallback';
  idempotencyKey: string;
  state: TaskState;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string;
  cancelRequested: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  errorCause: string | null;
  result: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface FileTaskDetail extends FileTask {
  output: string;
  history: { from: string | null; to: string; reason: string | null; actor: string | null; at: string }[];
}

export interface FileAction {
  id: string;
  name: string;
  kind: string;
  /** Secret fields come back as MASK. */
  config: Record<string, unknown>;
  timeoutMs: number;
  maxAttempts: number;
  maxConcurrency: number;
  fallbackActionId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface FileActionBody {
  name: string;
  kind?: string;
  config: Record<string, unknown>;
  timeoutMs?: number;
  maxAttempts?: number;
  maxConcurrency?: number;
  fallbackActionId?: string | null;
}

export interface FileRoute {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  match: Record<string, unknown>;
  actionIds: string[];
  mode: 'sequence' | 'parallel';
  createdAt: string;
  updatedAt: string;
}

export type FileRouteBody = Omit<FileRoute, 'id' | 'createdAt' | 'updatedAt'>;

/** How the server shows a stored secret; sent back unchanged, it keeps the stored value. */
export const MASK = '••••••';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const listFiles = (query: Query, signal?: AbortSignal) => api<Page<FileView>>(F, { query, signal });
export const getFile = (fileId: string, cursor: string | undefined, signal?: AbortSignal) =>
  api<FileDetail>(`${F}/${id(fileId)}`, { query: { cursor }, signal });
export const listFileSources = (window: string, signal?: AbortSignal) =>
  api<{ items: FileSource[]; truncated: boolean }>(`${F}/sources`, { query: { window }, signal });
export const fileStats = (window: string, signal?: AbortSignal) =>
  api<FileStatsAnswer>(`${F}/stats`, { query: { window }, signal });

export const listFileTasks = (query: Query, signal?: AbortSignal) =>
  api<Page<FileTask>>(`${F}/tasks`, { query, signal });
export const getFileTask = (taskId: string, signal?: AbortSignal) =>
  api<FileTaskDetail>(`${F}/tasks/${id(taskId)}`, { signal });
export const retryFileTask = (taskId: string) =>
  api<FileTaskDetail>(`${F}/tasks/${id(taskId)}/retry`, { method: 'POST' });
export const cancelFileTask = (taskId: string) =>
  api<FileTaskDetail>(`${F}/tasks/${id(taskId)}/cancel`, { method: 'POST' });
export const triggerFileAction = (fileId: string, actionId: string) =>
  api<FileTaskDetail>(`${F}/${id(fileId)}/trigger`, { body: { actionId } });

export const listFileActions = (signal?: AbortSignal) => api<FileAction[]>(`${F}/actions`, { signal });
export const createFileAction = (body: FileActionBody) => api<FileAction>(`${F}/actions`, { body });
export const updateFileAction = (actionId: string, body: FileActionBody) =>
  api<FileAction>(`${F}/actions/${id(actionId)}`, { method: 'PATCH', body });
export const deleteFileAction = (actionId: string) =>
  api<void>(`${F}/actions/${id(actionId)}`, { method: 'DELETE' });

export const listFileRoutes = (signal?: AbortSignal) => api<FileRoute[]>(`${F}/routes`, { signal });
export const createFileRoute = (body: FileRouteBody) => api<FileRoute>(`${F}/routes`, { body });
export const updateFileRoute = (routeId: string, body: FileRouteBody) =>
  api<FileRoute>(`${F}/routes/${id(routeId)}`, { method: 'PATCH', body });
export const deleteFileRoute = (routeId: string) =>
  api<void>(`${F}/routes/${id(routeId)}`, { method: 'DELETE' });
