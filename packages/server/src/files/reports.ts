import { z } from 'zod';

/**
 * What agents report about their files (`POST /api/v1/agent/files/events`), and how a batch of
 * reports becomes a file's current state and its timeline. Reports arrive late, twice and out of
 * order: per file the report with the highest `seq` is the file's state, and each (file, seq) is
 * one timeline entry, whatever order they came in.
 */

/** The most reports one call may carry; the agent sends the rest in the next call. */
export const MAX_REPORTS = 500;

export const FILE_STATES = ['detected', 'uploading', 'uploaded', 'failed'] as const;
export type FileState = (typeof FILE_STATES)[number];

const FIRST = Date.parse('0001-01-01T00:00:00Z');
const LAST = Date.parse('9999-01-01T00:00:00Z');
/** RFC 3339 within what the database stores and pages by: the years 1 to 9998 (a file's mtime may be 1960). */
export const Time = z.iso
  .datetime({ offset: true })
  .pipe(
    z.string().refine((v) => Date.parse(v) >= FIRST && Date.parse(v) < LAST, 'a time in the years 1 to 9998'),
  )
  .describe('RFC 3339');
/** An error as kept: its start, which holds the code the statistics count by. */
const MAX_ERROR = 4000;
const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const StoredObjectSchema = z.object({
  bucket: z.string().min(1).max(255),
  key: z.string().min(1).max(2048),
  url: z.string().min(1).max(4096),
  etag: z.string().max(200),
  size: Count,
  checksum: z.string().max(200).optional(),
});

/** The agent's FileReport (packages/agent/src/files/model.ts), as the server validates it. */
export const FileReportSchema = z.object({
  id: z.string().min(1).max(128).describe("the agent's stable id of the file"),
  source: z.string().min(1).max(200).describe('the watched folder (agent.yaml files.sources[].name)'),
  path: z.string().min(1).max(4096).describe("relative to the source's root"),
  size: Count,
  mtime: Time,
  hash: z.string().max(128).optional(),
  labels: z
    .record(z.string().max(100), z.string().max(500))
    .refine((l) => Object.keys(l).length <= 50, 'at most 50 labels')
    .default({}),
  state: z.enum(FILE_STATES),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('bumped on every change of the file'),
  at: Time.describe('when the agent made this report'),
  detectedAt: Time.optional().describe(
    'when the agent took the file; its reports before the upload may never be sent (the agent sends only the newest)',
  ),
  bytesUploaded: Count.optional(),
  // Cut rather than refused: a long message must not make the agent's whole batch unsendable.
  error: z
    .string()
    .max(1024 * 1024)
    .transform((e) => e.slice(0, MAX_ERROR))
    .optional()
    .describe(`kept to its first ${MAX_ERROR} characters`),
  object: StoredObjectSchema.optional(),
});
export type FileReport = z.output<typeof FileReportSchema>;

export const ReportBatchSchema = z.strictObject({
  events: z
    .array(FileReportSchema)
    .max(MAX_REPORTS, `at most ${MAX_REPORTS} events a call: send the rest in another call`),
});

/** A file as its reports so far make it: the newest report, first seen at the earliest time any report gave. */
export interface MergedFile {
  report: FileReport;
  /** The earliest `detectedAt` or `at` of any report of the file: its detected report may be lost or late. */
  detectedAt: string;
}

/** One timeline entry: (file, seq) once. */
export interface TimelineEntry {
  fileId: string;
  seq: number;
  state: FileState;
  at: string;
  bytesUploaded: number;
  error: string | null;
}

export interface MergeState {
  files: Map<string, MergedFile>;
  /** Keyed `fileId \0 seq`. */
  timeline: Map<string, TimelineEntry>;
}

export const emptyMerge = (): MergeState => ({ files: new Map(), timeline: new Map() });

const earlier = (a: string, b: string) => (Date.parse(a) <= Date.parse(b) ? a : b);

/**
 * `state` with one agent's `reports` merged in (a new state; `state` is not changed). A report
 * replaces the file's current one only with a higher `seq`, so a late or repeated report
 * changes nothing, and the first report of a (file, seq) is its timeline entry. The store applies
 * the same rule to the rows already kept (file-store.ts), batch by batch.
 */
export function mergeReports(state: MergeState, reports: readonly FileReport[]): MergeState {
  const files = new Map(state.files);
  const timeline = new Map(state.timeline);
  for (const r of reports) {
    const current = files.get(r.id);
    const detectedAt = r.detectedAt ? earlier(r.detectedAt, r.at) : r.at;
    files.set(r.id, {
      report: current && current.report.seq >= r.seq ? current.report : r,
      detectedAt: current ? earlier(current.detectedAt, detectedAt) : detectedAt,
    });
    const key = `${r.id}\0${r.seq}`;
    if (!timeline.has(key))
      timeline.set(key, {
        fileId: r.id,
        seq: r.seq,
        state: r.state,
        at: r.at,
        bytesUploaded: r.bytesUploaded ?? 0,
        error: r.error ?? null,
      });
  }
  return { files, timeline };
}
