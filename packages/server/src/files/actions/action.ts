import type { Outbound } from '../../http/outbound.ts';

/**
 * One kind of file action (Jenkins, webhook, queue, script). Like a notification channel, a kind
 * checks its configuration by field and runs one attempt, and its answer says whether a failure
 * is worth another attempt, so the retry policy lives in the answer.
 */
export interface UploadedFile {
  /** The server's id of the file (file_events.id). */
  id: string;
  agent: string;
  source: string;
  path: string;
  size: number;
  mtime: string;
  hash?: string;
  labels: Record<string, string>;
  object: { bucket: string; key: string; url: string; etag: string; size: number; checksum?: string };
}

export interface ActionRun {
  file: UploadedFile;
  /** The same for every attempt of one task: receivers drop duplicates with it. */
  idempotencyKey: string;
  attempt: number;
  /** Aborts on the task's timeout and on cancel; an attempt stops its work and answers. */
  signal: AbortSignal;
  /** Appends to the task's output (console tail, answers); the runner keeps the last 64 KiB. */
  output(text: string): void;
  /** Every HTTP connection goes through it: it enforces the server's outbound address policy. */
  net: Outbound;
}

export type ActionOutcome =
  | { ok: true; result?: Record<string, unknown> }
  /** `result`: what is known although it failed (the Jenkins build that ended FAILURE). */
  | { ok: false; retryable: boolean; error: string; cause: string; result?: Record<string, unknown> };

export interface FileAction<Config> {
  readonly kind: string;
  /** Config keys whose values are secrets: sealed at rest, write-only in the API. */
  readonly secrets: readonly (keyof Config & string)[];
  /** Problems by field (`url: must be an http(s) URL`); empty when usable. */
  check(config: Config): { path: string; message: string }[];
  run(run: ActionRun, config: Config): Promise<ActionOutcome>;
}
