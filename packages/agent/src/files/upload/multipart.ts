import { type FileHandle, open, stat } from 'node:fs/promises';
import { retry } from '@opsfleet/core';
import type { SpoolEntry, StoredObject, UploadedPart, UploadProgress } from '../model.ts';
import type { S3Destination } from '../spec.ts';
import { type ChecksumKind, checksumMember, compositeChecksum, newChecksummer } from './checksum.ts';
import { S3Clients, type S3Connection } from './client.ts';
import { toUploadError, UploadError } from './errors.ts';
import { KeyError, objectKey } from './key.ts';
import { type ByteLimiter, pacedBody } from './limiter.ts';

export interface UploadOptions {
  absPath: string;
  entry: SpoolEntry;
  dest: S3Destination;
  host: string;
  /** Aborted (the agent stops): the upload is left as it is, to be resumed from the spool. */
  signal?: AbortSignal;
  /**
   * Called after the upload was created and after every part, with the progress to keep in the
   * spool. It must have persisted it when its promise resolves: a resume trusts only parts
   * recorded there.
   */
  onProgress(progress: UploadProgress, bytesUploaded: number): Promise<void>;
  limiter?: ByteLimiter;
  /** Clients shared across uploads; without it a private one is opened and closed. */
  clients?: S3Clients;
  /** Back-off between attempts; doubles up to `maxMs`, with full jitter. */
  backoff?: { baseMs: number; maxMs: number };
}

const MAX_PARTS = 10_000;
const MiB = 1024 * 1024;
const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 30_000 };

const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

/** Part size for a file: the configured one, grown (to whole MiB) when the file needs more than 10,000 parts. */
export function partSizeFor(size: number, configured: number): number {
  const needed = Math.ceil(size / MAX_PARTS);
  return needed <= configured ? configured : Math.ceil(needed / MiB) * MiB;
}

/** Byte ranges of the parts, numbered from 1. */
export function partRanges(
  size: number,
  partSize: number,
): { partNumber: number; offset: number; length: number }[] {
  const count = Math.max(1, Math.ceil(size / partSize));
  return Array.from({ length: count }, (_, i) => ({
    partNumber: i + 1,
    offset: i * partSize,
    length: Math.min(partSize, size - i * partSize),
  }));
}

/**
 * Parts recorded in the spool that the server still holds as recorded (same ETag and size, and
 * checksum where both have one). Anything else is sent again: a part the server lost, one it
 * holds from an attempt the spool never recorded, or one that differs.
 */
export function reconcileParts(
  spool: readonly UploadedPart[],
  server: ReadonlyMap<number, { etag: string; size: number; checksum?: string }>,
): UploadedPart[] {
  return spool.filter((p) => {
    const s = server.get(p.partNumber);
    if (!s || unquote(s.etag) !== unquote(p.etag) || s.size !== p.size) return false;
    return p.checksum === undefined || s.checksum === undefined || s.checksum === p.checksum;
  });
}

class FileChanged extends UploadError {
  constructor(what: string) {
    super(
      'FileChanged',
      `the file changed since it was taken (${what}); it will be taken again as a new file`,
      false,
    );
  }
}

async function assertUnchanged(absPath: string, entry: SpoolEntry): Promise<void> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(absPath);
  } catch (err) {
    throw new UploadError(
      'FileGone',
      `cannot read ${absPath}: ${(err as NodeJS.ErrnoException).code}`,
      false,
    );
  }
  if (st.size !== entry.size) throw new FileChanged(`size ${entry.size} → ${st.size}`);
  if (Math.trunc(st.mtimeMs) !== Math.trunc(entry.mtimeMs))
    throw new FileChanged(`mtime ${new Date(entry.mtimeMs).toISOString()} → ${st.mtime.toISOString()}`);
}

/** Reads `length` bytes at `offset`, checksumming as it reads; a short read means the file shrank. */
async function readPart(fh: FileHandle, offset: number, length: number, kind: ChecksumKind) {
  const body = Buffer.allocUnsafe(length);
  const sum = newChecksummer(kind);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(body, got, Math.min(length - got, 4 * MiB), offset + got);
    if (bytesRead === 0) throw new FileChanged(`ended at ${offset + got} bytes while reading`);
    sum?.update(body.subarray(got, got + bytesRead));
    got += bytesRead;
  }
  return { body, checksum: sum?.digest() };
}

/** Told to stop (the agent shuts down): not a failure, and the multipart upload stays open. */
const stopped = (signal: AbortSignal | undefined) => signal?.aborted === true;

/** One upload's calls: each retried with back-off, failures as UploadError without secrets. */
class Calls {
  constructor(
    readonly conn: S3Connection,
    private readonly attempts: number,
    private readonly signal: AbortSignal | undefined,
    private readonly backoff = DEFAULT_BACKOFF,
  ) {}

  async send<T>(what: string, make: () => object): Promise<T> {
    const { signal, conn } = this;
    try {
      return await retry(() => conn.client.send(make() as never, { abortSignal: signal }) as Promise<T>, {
        attempts: this.attempts,
        ...this.backoff,
        jitter: 1,
        signal,
        // core's retry speaks error classes: any retryable class will do, any other stops it.
        classify: (err) =>
          !stopped(signal) && toUploadError(err).retryable ? 'network_error' : 'auth_error',
      });
    } catch (err) {
      if (stopped(signal)) throw signal!.reason ?? err;
      const e = toUploadError(err, conn.secrets, conn.origin);
      throw new UploadError(e.code, `${what}: ${e.message}`, e.retryable, e.status);
    }
  }
}

/**
 * Uploads one file to its destination, resuming `entry.progress` when it has one, and returns
 * the stored object once the server has it whole and verified. A file smaller than a part is
 * one PutObject whose checksum header makes the server refuse a damaged body; a larger one is a
 * multipart upload, persisted part by part through `onProgress`. On an UploadError the
 * multipart upload has been aborted and the spool's progress is void.
 */
export async function uploadFile(o: UploadOptions): Promise<StoredObject> {
  const clients = o.clients ?? new S3Clients();
  try {
    const conn = await clients.get(o.dest);
    const calls = new Calls(conn, o.dest.attempts, o.signal, o.backoff);
    let key: string;
    try {
      key = objectKey(o.dest.key, {
        host: o.host,
        source: o.entry.source,
        relPath: o.entry.relPath,
        labels: o.entry.labels,
        time: new Date(o.entry.detectedAt),
      });
    } catch (err) {
      if (err instanceof KeyError) throw new UploadError('InvalidKey', err.message, false);
      throw err;
    }
    try {
      await assertUnchanged(o.absPath, o.entry);
    } catch (err) {
      if (o.entry.progress) await abortQuietly(calls, o.entry.progress);
      throw err;
    }
    if (!o.entry.progress && o.entry.size < o.dest.partSize) return await putObject(calls, o, key);
    return await multipart(calls, o, key);
  } finally {
    if (!o.clients) clients.close();
  }
}

async function putObject(calls: Calls, o: UploadOptions, key: string): Promise<StoredObject> {
  const { dest, entry } = o;
  const fh = await openFile(o.absPath);
  let part: Awaited<ReturnType<typeof readPart>>;
  try {
    part = await readPart(fh, 0, entry.size, dest.checksum);
    // Written to while being read, the bytes read may be torn: they must still be all of the file.
    await assertUnchanged(o.absPath, entry);
  } finally {
    await fh.close();
  }
  const { sdk } = calls.conn;
  const checksum = dest.checksum === 'none' ? {} : { [checksumMember(dest.checksum)]: part.checksum };
  const out = await calls.send<{ ETag?: string } & Record<string, unknown>>(
    'PutObject',
    () =>
      new sdk.PutObjectCommand({
        Bucket: dest.bucket,
        Key: key,
        Body: pacedBody(part.body, o.limiter, o.signal),
        ContentLength: entry.size,
        ...checksum,
      }),
  );
  if (dest.checksum !== 'none') {
    const echoed = out[checksumMember(dest.checksum)];
    if (echoed !== undefined && echoed !== part.checksum)
      throw new UploadError(
        'ChecksumMismatch',
        `PutObject: the server stored ${echoed}, the file is ${part.checksum}`,
        false,
      );
  }
  return stored(calls, dest, key, unquote(out.ETag), entry.size, dest.checksum, part.checksum);
}

function stored(
  calls: Calls,
  dest: S3Destination,
  key: string,
  etag: string,
  size: number,
  kind: ChecksumKind,
  checksum: string | undefined,
): StoredObject {
  return {
    bucket: dest.bucket,
    key,
    url: calls.conn.url(dest.bucket, key),
    etag,
    size,
    ...(kind !== 'none' && checksum ? { checksum: `${kind}:${checksum}` } : {}),
  };
}

async function openFile(absPath: string): Promise<FileHandle> {
  try {
    return await open(absPath, 'r');
  } catch (err) {
    throw new UploadError(
      'FileGone',
      `cannot read ${absPath}: ${(err as NodeJS.ErrnoException).code}`,
      false,
    );
  }
}

async function abortQuietly(calls: Calls, p: UploadProgress): Promise<void> {
  const { sdk, client } = calls.conn;
  // Best effort: an upload this misses is found by abortStale later.
  await client
    .send(new sdk.AbortMultipartUploadCommand({ Bucket: p.bucket, Key: p.key, UploadId: p.uploadId }))
    .catch(() => undefined);
}

/** What the server holds of an upload (ListParts, every page), or undefined when it is gone. */
async function serverParts(calls: Calls, p: UploadProgress) {
  const { sdk } = calls.conn;
  const parts = new Map<number, { etag: string; size: number; checksum?: string }>();
  let marker: string | undefined;
  try {
    for (;;) {
      const page = await calls.send<{
        Parts?: ({ PartNumber?: number; ETag?: string; Size?: number } & Record<string, unknown>)[];
        IsTruncated?: boolean;
        NextPartNumberMarker?: string;
      }>(
        'ListParts',
        () =>
          new sdk.ListPartsCommand({
            Bucket: p.bucket,
            Key: p.key,
            UploadId: p.uploadId,
            PartNumberMarker: marker,
          }),
      );
      for (const part of page.Parts ?? []) {
        const checksum =
          p.checksum === 'none' ? undefined : (part[checksumMember(p.checksum)] as string | undefined);
        parts.set(part.PartNumber!, {
          etag: part.ETag ?? '',
          size: part.Size ?? -1,
          ...(checksum ? { checksum } : {}),
        });
      }
      if (!page.IsTruncated || !page.NextPartNumberMarker) return parts;
      marker = page.NextPartNumberMarker;
    }
  } catch (err) {
    if (err instanceof UploadError && err.code === 'NoSuchUpload') return undefined;
    throw err;
  }
}

async function multipart(calls: Calls, o: UploadOptions, key: string): Promise<StoredObject> {
  const { dest, entry } = o;
  const { sdk } = calls.conn;
  let progress = o.entry.progress;
  let done: UploadedPart[] = [];
  if (
    progress &&
    (progress.bucket !== dest.bucket || progress.key !== key || progress.checksum !== dest.checksum)
  ) {
    // Reconfigured since the upload began: the object belongs elsewhere now.
    await abortQuietly(calls, progress);
    progress = undefined;
  }
  if (progress) {
    const held = await serverParts(calls, progress);
    if (held) done = reconcileParts(progress.parts, held);
    else progress = undefined; // NoSuchUpload: expired or aborted by a lifecycle rule; start over
  }
  if (!progress) {
    const partSize = partSizeFor(entry.size, dest.partSize);
    const created = await calls.send<{ UploadId?: string }>(
      'CreateMultipartUpload',
      () =>
        new sdk.CreateMultipartUploadCommand({
          Bucket: dest.bucket,
          Key: key,
          ...(dest.checksum === 'none' ? {} : { ChecksumAlgorithm: dest.checksum }),
        }),
    );
    progress = {
      uploadId: created.UploadId!,
      bucket: dest.bucket,
      key,
      partSize,
      checksum: dest.checksum,
      parts: [],
    };
    // Recorded before any part, so a crash now leaves an upload the spool can resume or abort.
    await o.onProgress(progress, 0);
  }
  const upload = progress;
  try {
    const parts = await sendParts(calls, o, upload, done);
    return await complete(calls, o, upload, parts);
  } catch (err) {
    if (stopped(o.signal)) throw err;
    await abortQuietly(calls, upload);
    // Aborted under us (a lifecycle rule, another host's sweep): the file can start over later.
    if (err instanceof UploadError && err.code === 'NoSuchUpload' && !err.retryable)
      throw new UploadError(
        err.code,
        `${err.message}; the upload was aborted by someone else`,
        true,
        err.status,
      );
    throw err;
  }
}

async function sendParts(
  calls: Calls,
  o: UploadOptions,
  upload: UploadProgress,
  done: UploadedPart[],
): Promise<UploadedPart[]> {
  const { sdk } = calls.conn;
  const byNumber = new Map(done.map((p) => [p.partNumber, p]));
  const todo = partRanges(o.entry.size, upload.partSize).filter((r) => !byNumber.has(r.partNumber));
  const fh = await openFile(o.absPath);
  const read = (r: { offset: number; length: number }) => {
    const reading = assertUnchanged(o.absPath, o.entry).then(() =>
      readPart(fh, r.offset, r.length, upload.checksum),
    );
    reading.catch(() => undefined); // awaited in turn; a send failing first must not leave it unhandled
    return reading;
  };
  // The next part is read (and checksummed) while this one is sent: two parts in memory at most.
  let next = todo[0] && read(todo[0]);
  try {
    for (const [i, range] of todo.entries()) {
      const part = await next!;
      next = todo[i + 1] && read(todo[i + 1]!);
      const checksum = upload.checksum === 'none' ? {} : { [checksumMember(upload.checksum)]: part.checksum };
      const out = await calls.send<{ ETag?: string }>(
        `UploadPart ${range.partNumber}`,
        () =>
          new sdk.UploadPartCommand({
            Bucket: upload.bucket,
            Key: upload.key,
            UploadId: upload.uploadId,
            PartNumber: range.partNumber,
            Body: pacedBody(part.body, o.limiter, o.signal),
            ContentLength: range.length,
            ...checksum,
          }),
      );
      byNumber.set(range.partNumber, {
        partNumber: range.partNumber,
        etag: out.ETag ?? '',
        size: range.length,
        ...(part.checksum ? { checksum: part.checksum } : {}),
      });
      const parts = [...byNumber.values()].sort((a, b) => a.partNumber - b.partNumber);
      await o.onProgress(
        { ...upload, parts },
        parts.reduce((n, p) => n + p.size, 0),
      );
    }
  } finally {
    await next?.catch(() => undefined);
    await fh.close();
  }
  // The file may have changed after the last part was read.
  await assertUnchanged(o.absPath, o.entry);
  return [...byNumber.values()].sort((a, b) => a.partNumber - b.partNumber);
}

async function complete(
  calls: Calls,
  o: UploadOptions,
  upload: UploadProgress,
  parts: UploadedPart[],
): Promise<StoredObject> {
  const { sdk } = calls.conn;
  const kind = upload.checksum;
  const expected =
    kind === 'none'
      ? undefined
      : compositeChecksum(
          kind,
          parts.map((p) => p.checksum ?? ''),
        );
  let etag: string | undefined;
  try {
    const out = await calls.send<{ ETag?: string }>(
      'CompleteMultipartUpload',
      () =>
        new sdk.CompleteMultipartUploadCommand({
          Bucket: upload.bucket,
          Key: upload.key,
          UploadId: upload.uploadId,
          MultipartUpload: {
            Parts: parts.map((p) => ({
              PartNumber: p.partNumber,
              ETag: p.etag,
              ...(kind === 'none' ? {} : { [checksumMember(kind)]: p.checksum }),
            })),
          },
        }),
    );
    etag = unquote(out.ETag);
  } catch (err) {
    // An earlier attempt may have completed it before its answer was lost: the object decides.
    if (!(err instanceof UploadError && err.code === 'NoSuchUpload')) throw err;
  }
  const head = await calls
    .send<{ ContentLength?: number; ETag?: string } & Record<string, unknown>>(
      'HeadObject',
      () => new sdk.HeadObjectCommand({ Bucket: upload.bucket, Key: upload.key, ChecksumMode: 'ENABLED' }),
    )
    .catch((err) => {
      if (etag === undefined && err instanceof UploadError && err.status === 404)
        throw new UploadError(
          'NoSuchUpload',
          'the multipart upload is gone (aborted or expired) and no object was made',
          true,
        );
      throw err;
    });
  if (head.ContentLength !== o.entry.size)
    throw new UploadError(
      'SizeMismatch',
      `the stored object has ${head.ContentLength} bytes, the file ${o.entry.size}`,
      false,
    );
  const got = kind === 'none' ? undefined : (head[checksumMember(kind)] as string | undefined);
  // A server that stores no checksum (some S3-compatible ones) leaves the size as the check.
  if (got !== undefined && got !== expected)
    throw new UploadError(
      'ChecksumMismatch',
      `the stored object's ${kind} is ${got}, the parts give ${expected}`,
      false,
    );
  return stored(calls, o.dest, upload.key, etag ?? unquote(head.ETag), o.entry.size, kind, got);
}

/**
 * Aborts multipart uploads under `prefix` started more than `olderThanMs` ago that are not in
 * `keep` (the upload ids the spool still knows): those left by a crash before the spool recorded
 * them, or by an abort that failed. Returns the aborted keys and upload ids.
 */
export async function abortStale(
  dest: S3Destination,
  prefix: string,
  olderThanMs: number,
  keep: ReadonlySet<string> = new Set(),
  clients?: S3Clients,
): Promise<{ key: string; uploadId: string }[]> {
  const own = clients ?? new S3Clients();
  try {
    const conn = await own.get(dest);
    const calls = new Calls(conn, dest.attempts, undefined);
    const { sdk } = conn;
    const cutoff = Date.now() - olderThanMs;
    const aborted: { key: string; uploadId: string }[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const page = await calls.send<{
        Uploads?: { Key?: string; UploadId?: string; Initiated?: Date }[];
        IsTruncated?: boolean;
        NextKeyMarker?: string;
        NextUploadIdMarker?: string;
      }>(
        'ListMultipartUploads',
        () =>
          new sdk.ListMultipartUploadsCommand({
            Bucket: dest.bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: idMarker,
          }),
      );
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId || keep.has(u.UploadId)) continue;
        if (u.Initiated && u.Initiated.getTime() > cutoff) continue;
        try {
          await calls.send(
            'AbortMultipartUpload',
            () =>
              new sdk.AbortMultipartUploadCommand({ Bucket: dest.bucket, Key: u.Key, UploadId: u.UploadId }),
          );
          aborted.push({ key: u.Key, uploadId: u.UploadId });
        } catch (err) {
          // Completed or aborted by someone else since the listing.
          if (!(err instanceof UploadError && err.code === 'NoSuchUpload')) throw err;
        }
      }
      if (!page.IsTruncated) return aborted;
      keyMarker = page.NextKeyMarker;
      idMarker = page.NextUploadIdMarker;
    }
  } finally {
    if (!clients) own.close();
  }
}
