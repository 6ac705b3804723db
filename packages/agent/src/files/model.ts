/**
 * The file pipeline's records on the agent: what the spool keeps per file (it survives `kill -9`
 * and reboots), and what the agent reports to the server.
 *
 * A file is (source, path relative to the root, size, mtime[, SHA-256]): the same path written
 * again later is a new file; the same file seen again (a rescan, a restart) is not.
 */
export type SpoolState = 'queued' | 'uploading' | 'uploaded' | 'failed';

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  /** Base64 checksum of the part in the destination's algorithm, when it has one. */
  checksum?: string;
}

/** A multipart upload in progress: enough to continue it after a crash without re-sending done parts. */
export interface UploadProgress {
  uploadId: string;
  bucket: string;
  key: string;
  partSize: number;
  checksum: 'CRC32C' | 'CRC32' | 'SHA256' | 'none';
  parts: UploadedPart[];
}

export interface StoredObject {
  bucket: string;
  key: string;
  /** The object's URL at the destination's endpoint (path-style or virtual-host as configured). */
  url: string;
  etag: string;
  size: number;
  /** `CRC32C:<base64>` style, the whole-object (composite for multipart) checksum the server stored. */
  checksum?: string;
}

export interface SpoolEntry {
  /** Stable id: hex SHA-256 of `source \0 relPath \0 size \0 mtimeMs[\0 hash]`, first 32 chars. */
  id: string;
  source: string;
  /** Relative to the source's root, `/`-separated, never starting with `..`. */
  relPath: string;
  size: number;
  mtimeMs: number;
  hash?: string;
  destination: string;
  labels: Record<string, string>;
  state: SpoolState;
  attempts: number;
  lastError?: string;
  progress?: UploadProgress;
  object?: StoredObject;
  /** Bumped on every change; the server keeps the report with the highest. */
  seq: number;
  detectedAt: string;
  updatedAt: string;
}

/**
 * `POST /api/v1/agent/files/events` body: `{ events: FileReport[] }` (at most 500 a call). The
 * agent is known from its key. Reports may arrive late, twice or out of order: the server keeps
 * per file the one with the highest `seq`, and each (file, seq) once in its history.
 */
export interface FileReport {
  id: string;
  source: string;
  path: string;
  size: number;
  mtime: string;
  hash?: string;
  labels: Record<string, string>;
  state: 'detected' | 'uploading' | 'uploaded' | 'failed';
  seq: number;
  at: string;
  /** When the agent took the file: the server dates the file by it, as it may only hear later reports. */
  detectedAt: string;
  bytesUploaded?: number;
  error?: string;
  object?: StoredObject;
}
