import type { Database } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { type PageKey, pageOf } from '../http/list-query.ts';
import { notFound } from '../http/problem.ts';
import {
  type FileFilter,
  type FileRow,
  fileStore,
  type PercentileRow,
  type SourceCountRow,
  type SourceRow,
  type TaskRow,
  type TimelineRow,
  timelineCursor,
} from './file-store.ts';
import { emptyMerge, type FileReport, mergeReports } from './reports.ts';
import { type BucketRow, fileSeries, fileStats, seriesStep } from './stats.ts';

/** Told after each batch that changed files, so routing looks at new uploads at once (on every replica). */
export const FILES_CHANNEL = 'opsfleet_files';

/** Tasks shown with a file: routing gives a file a handful. */
const TASKS_SHOWN = 200;
/** Sources answered at most; past it the answer says `truncated`. */
const SOURCES_SHOWN = 2000;

const iso = (v: string | Date) => new Date(v).toISOString();
const isoOrNull = (v: string | Date | null) => (v === null ? null : iso(v));
const parsed = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

const fileView = (r: FileRow) => ({
  id: r.id,
  agentId: r.agent_id,
  agentName: r.agent_name,
  fileId: r.file_id,
  source: r.source,
  path: r.path,
  size: Number(r.size),
  mtime: iso(r.mtime),
  hash: r.hash,
  labels: parsed(r.labels) as Record<string, string>,
  state: r.state,
  seq: Number(r.seq),
  bytesUploaded: Number(r.bytes_uploaded),
  error: r.error,
  object: parsed(r.object) as Record<string, unknown> | null,
  detectedAt: iso(r.detected_at),
  reportedAt: iso(r.reported_at),
  receivedAt: iso(r.received_at),
  routedAt: isoOrNull(r.routed_at),
});

const timelineView = (r: TimelineRow) => ({
  seq: Number(r.seq),
  state: r.state,
  at: iso(r.at),
  bytesUploaded: Number(r.bytes_uploaded),
  error: r.error,
  receivedAt: iso(r.received_at),
});

const taskView = (r: TaskRow) => ({
  id: r.id,
  actionId: r.action_id,
  actionName: r.action_name,
  state: r.state,
  trigger: r.trigger,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  durationMs: r.duration_ms,
  error: r.error,
  errorCause: r.error_cause,
  createdAt: iso(r.created_at),
  startedAt: isoOrNull(r.started_at),
  finishedAt: isoOrNull(r.finished_at),
});

const sourceView = (r: SourceRow) => ({
  agentId: r.agent_id,
  agentName: r.agent_name,
  source: r.source,
  firstSeen: iso(r.first_seen),
  lastSeen: iso(r.last_seen),
  files: {
    detected: Number(r.detected),
    uploading: Number(r.uploading),
    uploaded: Number(r.uploaded),
    failed: Number(r.failed),
  },
});

/** The file domain's reports and queries: what agents said about their files, and what became of them. */
export class FileService {
  constructor(private readonly database: Database) {}

  private get db() {
    return this.database.db;
  }

  /**
   * One agent's batch, in one transaction: files whose report is newer than the kept one change,
   * every (file, seq) joins its timeline once, its sources are seen now. After the commit, the
   * routing on every replica is told (`opsfleet_files`) when a file changed.
   */
  async report(agentId: string, reports: FileReport[]): Promise<{ accepted: number }> {
    const merged = mergeReports(emptyMerge(), reports);
    const changed = await this.db.transaction((tx) => fileStore.apply(tx, agentId, merged));
    if (changed.length)
      await this.database.notify(
        FILES_CHANNEL,
        JSON.stringify({
          agentId,
          changed: changed.length,
          uploaded: changed.filter((c) => c.state === 'uploaded').length,
        }),
      );
    return { accepted: reports.length };
  }

  async list(filter: FileFilter) {
    return pageOf(
      rowsOf<FileRow & PageKey>(await this.db.execute(fileStore.list(filter))),
      filter.limit,
      fileView,
    );
  }

  /** A file with a page of its timeline (in seq order) and its tasks. */
  async get(id: string, page: { limit: number; cursor?: string }) {
    const [file] = rowsOf<FileRow>(await this.db.execute(fileStore.file(id)));
    if (!file) throw notFound(`no file ${id}: it may have been removed by retention`);
    const rows = rowsOf<TimelineRow>(await this.db.execute(fileStore.timeline(id, page.limit, page.cursor)));
    const shown = rows.slice(0, page.limit);
    const tasks = rowsOf<TaskRow>(await this.db.execute(fileStore.tasks(id, TASKS_SHOWN)));
    return {
      ...fileView(file),
      timeline: {
        items: shown.map(timelineView),
        nextCursor: rows.length > page.limit ? timelineCursor(id, shown.at(-1)!.seq) : null,
      },
      tasks: tasks.map(taskView),
    };
  }

  /** Watched folders as agents reported them, with the states of their files reported in the window. */
  async sources(windowMs: number, now = new Date()) {
    const rows = rowsOf<SourceRow>(
      await this.db.execute(fileStore.sources(new Date(now.getTime() - windowMs), SOURCES_SHOWN)),
    );
    return { items: rows.slice(0, SOURCES_SHOWN).map(sourceView), truncated: rows.length > SOURCES_SHOWN };
  }

  /** Rates, queue depth, durations and failures over the window ending `now`, global and per source. */
  async stats(windowMs: number, now = new Date()) {
    const from = new Date(now.getTime() - windowMs);
    const counts = async (q: ReturnType<typeof fileStore.detected>) =>
      rowsOf<SourceCountRow>(await this.db.execute(q));
    const rows = {
      detected: await counts(fileStore.detected(from, now)),
      failed: await counts(fileStore.failed(from, now)),
      queuedFiles: await counts(fileStore.queuedFiles()),
      queuedTasks: await counts(fileStore.queuedTasks()),
      taskFailures: await counts(fileStore.taskFailures(from, now)),
      uploads: rowsOf<PercentileRow>(await this.db.execute(fileStore.uploads(from, now))),
      taskRuns: rowsOf<PercentileRow>(await this.db.execute(fileStore.taskRuns(from, now))),
    };
    const agents = [
      ...new Set(
        Object.values(rows)
          .flat()
          .map((r) => r.agent_id)
          .filter((id): id is string => id !== null),
      ),
    ];
    const names = new Map(
      agents.length
        ? rowsOf<{ id: string; name: string }>(await this.db.execute(fileStore.agentNames(agents))).map(
            (r) => [r.id, r.name],
          )
        : [],
    );
    const step = seriesStep(windowMs);
    const buckets = rowsOf<BucketRow>(await this.db.execute(fileStore.buckets(from, now, step / 1000)));
    return {
      from: from.toISOString(),
      to: now.toISOString(),
      ...fileStats(rows, windowMs, (id) => names.get(id) ?? null),
      series: { stepSeconds: step / 1000, points: fileSeries(buckets, from, now, step) },
    };
  }
}
