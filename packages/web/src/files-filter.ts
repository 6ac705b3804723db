/**
 * The files and tasks lists' filters: kept in the page's address (a filtered list can be
 * reloaded, shared and reached back to) and turned into the API's query.
 */
import type { Query } from './api/client.ts';
import { FILE_STATES, type FileState, TASK_STATES, type TaskState } from './api/files.ts';

export interface FileFilter {
  states: FileState[];
  agent?: string;
  source?: string;
  /** Text anywhere in the path; the server searches 3 characters or more. */
  path?: string;
  since?: string;
  until?: string;
}

/** The shortest path text the server searches by (its index works on 3-character pieces). */
export const MIN_PATH_TEXT = 3;

const text = (v: string | null) => (v?.trim() ? v.trim() : undefined);
const time = (v: string | null) =>
  v && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : undefined;

/** The filter a page address holds; what it does not understand is left out. */
export function parseFileFilter(search: string): FileFilter {
  const q = new URLSearchParams(search);
  const states = (q.get('state') ?? '')
    .split(',')
    .filter((s): s is FileState => (FILE_STATES as readonly string[]).includes(s));
  return {
    states: [...new Set(states)],
    agent: text(q.get('agent')),
    source: text(q.get('source')),
    path: text(q.get('path')),
    since: time(q.get('since')),
    until: time(q.get('until')),
  };
}

/** The page address's query for a filter (`''` without one), in a stable order. */
export function fileFilterSearch(f: FileFilter): string {
  const q = new URLSearchParams();
  if (f.states.length) q.set('state', f.states.join(','));
  for (const key of ['agent', 'source', 'path', 'since', 'until'] as const) {
    const v = f[key];
    if (v) q.set(key, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Path text too short to search by: shown as a hint, not sent. */
export const pathTooShort = (f: FileFilter) => f.path !== undefined && f.path.length < MIN_PATH_TEXT;

/** The query of GET /api/v1/files for a filter and a page. */
export function fileListQuery(f: FileFilter, cursor: string | undefined, limit: number): Query {
  return {
    state: f.states.length ? f.states.join(',') : undefined,
    agent: f.agent,
    source: f.source,
    path: pathTooShort(f) ? undefined : f.path,
    since: f.since,
    until: f.until,
    cursor,
    limit,
  };
}

export interface TaskFilter {
  state?: TaskState;
  action?: string;
  file?: string;
}

export function parseTaskFilter(search: string): TaskFilter {
  const q = new URLSearchParams(search);
  const state = q.get('state');
  return {
    state: (TASK_STATES as readonly string[]).includes(state ?? '') ? (state as TaskState) : undefined,
    action: text(q.get('action')),
    file: text(q.get('file')),
  };
}

export function taskFilterSearch(f: TaskFilter): string {
  const q = new URLSearchParams();
  for (const key of ['state', 'action', 'file'] as const) {
    const v = f[key];
    if (v) q.set(key, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const taskListQuery = (f: TaskFilter, cursor: string | undefined, limit: number): Query => ({
  ...f,
  cursor,
  limit,
});

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO time as a `datetime-local` input shows it, in the browser's zone (`''` for none). */
export function localInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** What a `datetime-local` input holds (the browser's zone) as an ISO time; undefined when empty. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}
