import { parseDuration } from '@opsfleet/core';
import { z } from 'zod';
import type { App } from '../http/app.ts';
import { pageCursor, pageLimit } from '../http/list-query.ts';
import { agentOf } from '../identity/auth.ts';
import type { FileService } from './file-service.ts';
import { FILE_STATES, ReportBatchSchema, Time } from './reports.ts';

const AGENT_KEY = 'an agent reports its files with its own API key (role agent), one key per agent';
const DAY = 86_400_000;

/** `?window=1h`: a duration between a minute and `max`. */
const windowOf = (fallback: string, max: number, maxText: string) =>
  z
    .string()
    .max(20)
    .default(fallback)
    .transform((v, ctx) => {
      let ms: number;
      try {
        ms = parseDuration(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration: write 15m, 1h or 1d` });
        return z.NEVER;
      }
      if (ms < 60_000 || ms > max) {
        ctx.addIssue({ code: 'custom', message: `between 1m and ${maxText}` });
        return z.NEVER;
      }
      return ms;
    });

const states = z
  .string()
  .transform((s) => s.split(',').filter(Boolean))
  .pipe(z.array(z.enum(FILE_STATES)));

const ListQuery = z.object({
  state: states.optional().describe(`comma-separated: ${FILE_STATES.join(', ')}`),
  agent: z.uuid().optional().describe("the agent's id"),
  source: z.string().min(1).max(200).optional(),
  path: z
    .string()
    .min(3, 'at least 3 characters (the path index works on 3-character pieces)')
    .max(200)
    .optional()
    .describe('text anywhere in the path, case-insensitive'),
  since: Time.optional().describe('last reported at or after (RFC 3339)'),
  until: Time.optional().describe('last reported before (RFC 3339)'),
  cursor: pageCursor,
  limit: pageLimit(500),
});

const time = z.string().describe('RFC 3339, UTC');
const FileView = z.object({
  id: z.string().describe("the server's id of the file"),
  agentId: z.string(),
  agentName: z.string().nullable().describe('null until the agent registered'),
  fileId: z.string().describe("the agent's id of the file"),
  source: z.string(),
  path: z.string(),
  size: z.number(),
  mtime: time,
  hash: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  state: z.enum(FILE_STATES),
  seq: z.number().describe('of the report the state comes from'),
  bytesUploaded: z.number(),
  error: z.string().nullable(),
  object: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('where it was uploaded: bucket, key, url, etag, size, checksum'),
  detectedAt: time.describe('the earliest report of the file'),
  reportedAt: time.describe('when the agent made the report the state comes from'),
  receivedAt: time,
  routedAt: time.nullable().describe('when routing rules gave the file its tasks'),
});
const TimelineEntry = z.object({
  seq: z.number(),
  state: z.enum(FILE_STATES),
  at: time,
  bytesUploaded: z.number(),
  error: z.string().nullable(),
  receivedAt: time,
});
const Task = z.object({
  id: z.string(),
  actionId: z.string(),
  actionName: z.string(),
  state: z.string(),
  trigger: z.string(),
  attempts: z.number(),
  maxAttempts: z.number(),
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
  errorCause: z.string().nullable(),
  createdAt: time,
  startedAt: time.nullable(),
  finishedAt: time.nullable(),
});
const FileDetail = FileView.extend({
  timeline: z
    .object({ items: z.array(TimelineEntry), nextCursor: z.string().nullable() })
    .describe('every distinct report, in seq order'),
  tasks: z.array(Task).describe('oldest first'),
});
const Source = z.object({
  agentId: z.string(),
  agentName: z.string().nullable(),
  source: z.string(),
  firstSeen: time,
  lastSeen: time,
  files: z
    .object({ detected: z.number(), uploading: z.number(), uploaded: z.number(), failed: z.number() })
    .describe('files reported in the window, by state'),
});
const n = z.number();
const Percentiles = z.object({ p50: n.nullable(), p95: n.nullable() }).describe('seconds; null without data');
const Causes = z.array(z.object({ cause: z.string(), count: n })).describe('most frequent first');
const Stats = z.object({
  files: z.object({ detected: n, uploaded: n, failed: n }).describe('in the window'),
  perMinute: z.object({ detected: n, uploaded: n, failed: n }).describe('averaged over the window'),
  queue: z
    .object({
      files: z.object({ detected: n, uploading: n }),
      tasks: z.object({ pending: n, retrying: n, processing: n }),
    })
    .describe('now'),
  uploadSeconds: Percentiles.describe('first report → uploaded, of files uploaded in the window'),
  tasksFinished: n,
  taskSeconds: Percentiles.describe('run time of tasks finished in the window'),
  failures: z.object({
    files: Causes.describe("failed files by the error's first word (its code)"),
    tasks: Causes.describe("failed and retrying tasks by the action's cause"),
  }),
});

/**
 * The file domain's reports and queries: agents report their files under /api/v1/agent/files,
 * people read them under /api/v1/files.
 */
export function fileRoutes(app: App, files: FileService): void {
  const tags = ['files'];
  const read = { permission: 'files:read' as const };

  app.post(
    '/api/v1/agent/files/events',
    {
      config: { permission: 'files:report' },
      schema: {
        tags,
        summary:
          'An agent reports its files (at most 500 a call); per file the highest seq wins, so late and repeated reports are harmless. A batch with a bad event is refused whole (400, every bad field named)',
        body: ReportBatchSchema,
        response: { 200: z.object({ accepted: z.number().describe('events taken from this call') }) },
      },
    },
    async (req) => files.report(agentOf(req, AGENT_KEY).id, req.body.events),
  );

  app.get(
    '/api/v1/files',
    {
      config: read,
      schema: {
        tags,
        summary: 'Files, most recently reported first',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(FileView), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query;
      return files.list({
        states: q.state,
        agentId: q.agent,
        source: q.source,
        path: q.path,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
        cursor: q.cursor,
        limit: q.limit,
      });
    },
  );

  app.get(
    '/api/v1/files/sources',
    {
      config: read,
      schema: {
        tags,
        summary: 'Watched folders per agent, with the states of their files reported in the window',
        querystring: z.object({ window: windowOf('24h', 30 * DAY, '30d') }),
        response: { 200: z.object({ items: z.array(Source), truncated: z.boolean() }) },
      },
    },
    async (req) => files.sources(req.query.window),
  );

  app.get(
    '/api/v1/files/stats',
    {
      config: read,
      schema: {
        tags,
        summary:
          'Rates, queue depth, durations and failures by cause, global and per source, and a series for charts',
        querystring: z.object({ window: windowOf('1h', 7 * DAY, '7d') }),
        response: {
          200: z.object({
            from: time,
            to: time,
            global: Stats,
            sources: z.array(
              Stats.extend({ agentId: z.string(), agentName: z.string().nullable(), source: z.string() }),
            ),
            series: z
              .object({
                stepSeconds: n.describe('a whole number of minutes; at most 60 steps in the window'),
                points: z.array(z.object({ at: time, detected: n, uploaded: n, failed: n })),
              })
              .describe(
                'global files detected, uploaded and failed per step, for charts; empty steps as zeros',
              ),
          }),
        },
      },
    },
    async (req) => files.stats(req.query.window),
  );

  app.get(
    '/api/v1/files/:id',
    {
      config: read,
      schema: {
        tags,
        summary: 'A file with its timeline (paged with cursor/limit) and its tasks',
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ cursor: pageCursor, limit: pageLimit(500) }),
        response: { 200: FileDetail },
      },
    },
    async (req) => files.get(req.params.id, req.query),
  );
}
