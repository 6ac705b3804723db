import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The file pipeline's series on the agent's /metrics. The shipped alert rules
 * (deploy/prometheus/opsfleet-files.rules.yml) are written against these names.
 */
export function fileMetrics(registry: Registry) {
  const registers = [registry];
  return {
    taken: new Counter({
      name: 'opsfleet_files_taken_total',
      help: 'Files that passed the quiet window and entered the spool, by source.',
      labelNames: ['source'] as const,
      registers,
    }),
    queued: new Gauge({
      name: 'opsfleet_files_queue_length',
      help: 'Files in the spool not yet uploaded (queued or uploading).',
      registers,
    }),
    capacity: new Gauge({
      name: 'opsfleet_files_queue_capacity',
      help: 'files.queueSize: past it new files wait on disk until the queue drains.',
      registers,
    }),
    saturated: new Counter({
      name: 'opsfleet_files_queue_full_total',
      help: 'Times a complete file was left on disk because the queue was full (taken by a later rescan).',
      labelNames: ['source'] as const,
      registers,
    }),
    watchLimited: new Gauge({
      name: 'opsfleet_files_watch_limited',
      help: '1 when a source could not be watched (inotify limit, unreadable folder) and only its rescans find files.',
      labelNames: ['source'] as const,
      registers,
    }),
    uploads: new Counter({
      name: 'opsfleet_files_uploads_total',
      help: 'Upload rounds by destination and result: ok; retried (failed, queued again after a back-off); failed (refused, or still failing 24 h after the file was taken).',
      labelNames: ['destination', 'result'] as const,
      registers,
    }),
    uploadErrors: new Counter({
      name: 'opsfleet_files_upload_errors_total',
      help: 'Failed upload calls (each attempt), by destination and error code (SlowDown, AccessDenied, ECONNRESET, ...).',
      labelNames: ['destination', 'code'] as const,
      registers,
    }),
    uploadBytes: new Counter({
      name: 'opsfleet_files_upload_bytes_total',
      help: 'Bytes sent to S3, parts sent again included.',
      labelNames: ['destination'] as const,
      registers,
    }),
    uploadSeconds: new Histogram({
      name: 'opsfleet_files_upload_duration_seconds',
      help: 'From the first byte sent to the verified object, per file.',
      labelNames: ['destination'] as const,
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    }),
    reportBacklog: new Gauge({
      name: 'opsfleet_files_report_backlog',
      help: 'File reports the server has not taken yet.',
      registers,
    }),
  };
}

export type FileMetrics = ReturnType<typeof fileMetrics>;
