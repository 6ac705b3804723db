import type { PercentileRow, SourceCountRow } from './file-store.ts';

/**
 * The file pipeline's statistics from the store's grouped rows: the database counts per source,
 * this adds the sources up into the global figures (percentiles, which do not add up, come
 * computed for both).
 */

export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

export interface Cause {
  cause: string;
  count: number;
}

export interface FileStats {
  /** Files first seen, uploaded and failed in the window. */
  files: { detected: number; uploaded: number; failed: number };
  /** The same per minute, averaged over the window. */
  perMinute: { detected: number; uploaded: number; failed: number };
  /** Now: files not yet uploaded and tasks not yet finished. */
  queue: {
    files: { detected: number; uploading: number };
    tasks: { pending: number; retrying: number; processing: number };
  };
  /** Seconds from a file's first report to its upload, for files uploaded in the window. */
  uploadSeconds: Percentiles;
  tasksFinished: number;
  /** Run time of the tasks finished in the window. */
  taskSeconds: Percentiles;
  failures: { files: Cause[]; tasks: Cause[] };
}

export interface SourceStats extends FileStats {
  agentId: string;
  agentName: string | null;
  source: string;
}

export interface StatsRows {
  detected: SourceCountRow[];
  failed: SourceCountRow[];
  queuedFiles: SourceCountRow[];
  queuedTasks: SourceCountRow[];
  taskFailures: SourceCountRow[];
  uploads: PercentileRow[];
  taskRuns: PercentileRow[];
}

const empty = (): FileStats => ({
  files: { detected: 0, uploaded: 0, failed: 0 },
  perMinute: { detected: 0, uploaded: 0, failed: 0 },
  queue: { files: { detected: 0, uploading: 0 }, tasks: { pending: 0, retrying: 0, processing: 0 } },
  uploadSeconds: { p50: null, p95: null },
  tasksFinished: 0,
  taskSeconds: { p50: null, p95: null },
  failures: { files: [], tasks: [] },
});

const round = (n: number, places = 3) => Math.round(n * 10 ** places) / 10 ** places;
const seconds = (v: number | string | null) => (v === null ? null : round(Number(v)));

function addCause(list: Cause[], cause: string, n: number): void {
  const known = list.find((c) => c.cause === cause);
  if (known) known.count += n;
  else list.push({ cause, count: n });
}

/** Global and per-source statistics over a window of `windowMs`. */
export function fileStats(
  rows: StatsRows,
  windowMs: number,
  agentName: (id: string) => string | null,
): { global: FileStats; sources: SourceStats[] } {
  const global = empty();
  const bySource = new Map<string, SourceStats>();
  const of = (agentId: string, source: string): SourceStats => {
    const key = `${agentId}\0${source}`;
    let s = bySource.get(key);
    if (!s) {
      s = { agentId, agentName: agentName(agentId), source, ...empty() };
      bySource.set(key, s);
    }
    return s;
  };
  const each = (list: SourceCountRow[], add: (s: FileStats, key: string, n: number) => void) => {
    for (const r of list) {
      const n = Number(r.n);
      add(global, r.key, n);
      add(of(r.agent_id, r.source), r.key, n);
    }
  };
  each(rows.detected, (s, _k, n) => {
    s.files.detected += n;
  });
  each(rows.failed, (s, cause, n) => {
    s.files.failed += n;
    addCause(s.failures.files, cause, n);
  });
  each(rows.queuedFiles, (s, state, n) => {
    s.queue.files[state as 'detected' | 'uploading'] += n;
  });
  each(rows.queuedTasks, (s, state, n) => {
    s.queue.tasks[state as 'pending' | 'retrying' | 'processing'] += n;
  });
  each(rows.taskFailures, (s, cause, n) => addCause(s.failures.tasks, cause, n));
  const percentiles = (list: PercentileRow[], set: (s: FileStats, r: PercentileRow) => void) => {
    for (const r of list) set(r.agent_id === null ? global : of(r.agent_id, r.source!), r);
  };
  percentiles(rows.uploads, (s, r) => {
    s.files.uploaded = Number(r.n);
    s.uploadSeconds = { p50: seconds(r.p50), p95: seconds(r.p95) };
  });
  percentiles(rows.taskRuns, (s, r) => {
    s.tasksFinished = Number(r.n);
    s.taskSeconds = { p50: seconds(r.p50), p95: seconds(r.p95) };
  });
  const minutes = windowMs / 60_000;
  const sources = [...bySource.values()].sort(
    (a, b) =>
      (a.agentName ?? '\uffff').localeCompare(b.agentName ?? '\uffff') ||
      a.agentId.localeCompare(b.agentId) ||
      a.source.localeCompare(b.source),
  );
  for (const s of [global, ...sources]) {
    s.perMinute = {
      detected: round(s.files.detected / minutes),
      uploaded: round(s.files.uploaded / minutes),
      failed: round(s.files.failed / minutes),
    };
    for (const list of [s.failures.files, s.failures.tasks])
      list.sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));
  }
  return { global, sources };
}

/** A window spans at most this many steps of a series (one more bucket when it starts inside one): a chart's width, not the data's. */
export const MAX_POINTS = 60;

/** A series' step: a whole number of minutes, at least one, so that the window has at most MAX_POINTS of them. */
export const seriesStep = (windowMs: number) =>
  Math.max(1, Math.ceil(windowMs / MAX_POINTS / 60_000)) * 60_000;

export interface BucketRow {
  /** Seconds since the epoch: the bucket's start. */
  bucket: string | number;
  key: string;
  n: string | number;
}

export interface SeriesPoint {
  at: string;
  detected: number;
  uploaded: number;
  failed: number;
}

/** Every bucket from the one holding `from` to the one holding the last instant before `to`, empty ones as zeros. */
export function fileSeries(rows: BucketRow[], from: Date, to: Date, stepMs: number): SeriesPoint[] {
  const counted = new Map<number, SeriesPoint>();
  const points: SeriesPoint[] = [];
  for (let t = Math.floor(from.getTime() / stepMs) * stepMs; t < to.getTime(); t += stepMs) {
    const point = { at: new Date(t).toISOString(), detected: 0, uploaded: 0, failed: 0 };
    counted.set(t, point);
    points.push(point);
  }
  for (const r of rows) {
    const point = counted.get(Number(r.bucket) * 1000);
    if (point && (r.key === 'detected' || r.key === 'uploaded' || r.key === 'failed'))
      point[r.key] += Number(r.n);
  }
  return points;
}
