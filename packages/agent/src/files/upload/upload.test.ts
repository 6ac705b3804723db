import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, CreateMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { type S3Sim, startS3Sim } from '@opsfleet/cloudsim';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SpoolEntry, UploadProgress } from '../model.ts';
import { S3DestinationSpec } from '../spec.ts';
import { checksumOf } from './checksum.ts';
import { S3Clients } from './client.ts';
import { UploadError } from './errors.ts';
import { ByteLimiter } from './limiter.ts';
import { abortStale, uploadFile } from './multipart.ts';

const MiB = 1024 * 1024;
const KEY_ID = 'AKIDUPLOADTEST';
const SECRET = 'upload-test-secret-0123456789abcdef';
const ROTATED_ID = 'AKIDROTATED';
const ROTATED_SECRET = 'rotated-secret-fedcba9876543210';
const BUCKET = 'files';
const dir = mkdtempSync(join(tmpdir(), 'opsfleet-upload-'));
const credFile = join(dir, 'credentials');
const sha = (b: Uint8Array | undefined) => (b ? createHash('sha256').update(b).digest('hex') : 'missing');
const fastBackoff = { baseMs: 20, maxMs: 100 };

let sim: S3Sim;
let fileNo = 0;

function writeCredentials(id = KEY_ID, secret = SECRET) {
  writeFileSync(
    credFile,
    `# test\n[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\n`,
  );
}

function destination(extra: Record<string, unknown> = {}) {
  return S3DestinationSpec.parse({
    endpoint: sim.endpoint,
    bucket: BUCKET,
    pathStyle: true,
    credentials: { from: 'file', file: credFile },
    partSize: '5MiB',
    attempts: 4,
    key: 'test/{source}/{path}',
    ...extra,
  });
}

/** A file on disk and the spool entry the watcher would have made for it. */
function takeFile(size: number): { absPath: string; entry: SpoolEntry; data: Buffer } {
  const relPath = `f${++fileNo}.bin`;
  const absPath = join(dir, relPath);
  const data = randomBytes(size);
  writeFileSync(absPath, data);
  const st = statSync(absPath);
  const now = new Date().toISOString();
  return {
    absPath,
    data,
    entry: {
      id: `id${fileNo}`,
      source: 'dumps',
      relPath,
      size,
      mtimeMs: st.mtimeMs,
      destination: 'main',
      labels: {},
      state: 'uploading',
      attempts: 0,
      seq: 1,
      detectedAt: now,
      updatedAt: now,
    },
  };
}

const uploadParts = (from: number) => sim.calls.slice(from).filter((c) => c.operation === 'UploadPart');

async function upload(
  file: ReturnType<typeof takeFile>,
  extra: Partial<Parameters<typeof uploadFile>[0]> = {},
) {
  const saved: { progress: UploadProgress; bytes: number }[] = [];
  const object = await uploadFile({
    absPath: file.absPath,
    entry: file.entry,
    dest: destination(),
    host: 'web-1',
    backoff: fastBackoff,
    onProgress: async (progress, bytes) => {
      saved.push({ progress, bytes });
    },
    ...extra,
  });
  return { object, saved };
}

describe('S3 uploader against the S3 simulator', () => {
  beforeAll(async () => {
    sim = await startS3Sim({ credentials: { [KEY_ID]: SECRET, [ROTATED_ID]: ROTATED_SECRET } });
    writeCredentials();
    const admin = new S3Client({
      endpoint: sim.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    });
    await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
    admin.destroy();
  });
  afterEach(() => {
    sim.faults.clear();
    writeCredentials();
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['CRC32C', 'CRC32', 'SHA256', 'none'] as const)(
    'a file smaller than a part is one PutObject with its %s checksum',
    async (checksum) => {
      const file = takeFile(300_000);
      const from = sim.calls.length;
      const { object, saved } = await upload(file, { dest: destination({ checksum }) });
      expect(sim.calls.slice(from).map((c) => `${c.operation} ${c.status}`)).toEqual(['PutObject 200']);
      expect(sha(await sim.objectBytes(BUCKET, object.key))).toBe(sha(file.data));
      expect(object).toMatchObject({
        bucket: BUCKET,
        key: `test/dumps/${file.entry.relPath}`,
        url: `${sim.endpoint}/${BUCKET}/test/dumps/${file.entry.relPath}`,
        size: 300_000,
      });
      expect(object.checksum).toBe(
        checksum === 'none' ? undefined : `${checksum}:${checksumOf(checksum, file.data)}`,
      );
      expect(saved).toEqual([]);
    },
  );

  it('an empty file is an empty object', async () => {
    const file = takeFile(0);
    const { object } = await upload(file);
    expect((await sim.objectBytes(BUCKET, object.key))?.length).toBe(0);
    expect(object).toMatchObject({ size: 0, checksum: 'CRC32C:AAAAAA==' });
  });

  it.each(['CRC32C', 'CRC32', 'SHA256', 'none'] as const)(
    'a 12 MiB file goes in 3 parts with %s checksums, recorded after each part, and is verified whole',
    async (checksum) => {
      const file = takeFile(12 * MiB);
      const from = sim.calls.length;
      const { object, saved } = await upload(file, { dest: destination({ checksum }) });
      expect(sim.calls.slice(from).map((c) => c.operation)).toEqual([
        'CreateMultipartUpload',
        'UploadPart',
        'UploadPart',
        'UploadPart',
        'CompleteMultipartUpload',
        'HeadObject',
      ]);
      expect(sha(await sim.objectBytes(BUCKET, object.key))).toBe(sha(file.data));
      expect(saved.map((s) => [s.progress.parts.length, s.bytes])).toEqual([
        [0, 0],
        [1, 5 * MiB],
        [2, 10 * MiB],
        [3, 12 * MiB],
      ]);
      if (checksum === 'none') expect(object.checksum).toBeUndefined();
      else expect(object.checksum).toMatch(new RegExp(`^${checksum}:[A-Za-z0-9+/=]+-3$`));
      expect(object.etag).toMatch(/^[0-9a-f]{32}-3$/);
      expect(sim.openUploads()).toEqual([]);
    },
  );

  it('addresses the bucket virtual-host style when pathStyle is off', async () => {
    const toLoopback = ((_host: string, o: object, cb: (...a: unknown[]) => void) =>
      lookup('127.0.0.1', o, cb)) as unknown as typeof lookup;
    const clients = new S3Clients({ lookup: toLoopback });
    const file = takeFile(6 * MiB);
    const from = sim.calls.length;
    try {
      const { object } = await upload(file, {
        clients,
        dest: destination({ endpoint: `http://localhost:${sim.port}`, pathStyle: false }),
      });
      expect(object.url).toBe(`http://${BUCKET}.localhost:${sim.port}/test/dumps/${file.entry.relPath}`);
      expect(sha(await sim.objectBytes(BUCKET, object.key))).toBe(sha(file.data));
      expect(sim.calls.slice(from).every((c) => c.bucket === BUCKET && c.status === 200)).toBe(true);
    } finally {
      clients.close();
    }
  });

  it('a wrong secret fails at once, not retryable, saying what to fix and never showing the secret', async () => {
    writeCredentials(KEY_ID, 'not-the-right-secret-42');
    const file = takeFile(1000);
    const from = sim.calls.length;
    const printed: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    const spies = (['log', 'warn', 'error', 'info', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(a.join(' '))),
    );
    process.stderr.write = ((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0) as typeof write;
    const err = await upload(file)
      .catch((e) => e)
      .finally(() => {
        process.stderr.write = write;
        for (const s of spies) s.mockRestore();
      });
    // Nothing printed at all: the SDK's own warnings are silenced, the error carries the story.
    expect(printed).toEqual([]);
    expect(err).toBeInstanceOf(UploadError);
    expect(err).toMatchObject({ code: 'SignatureDoesNotMatch', retryable: false, status: 403 });
    expect(err.message).toContain('secret access key does not match');
    expect(err.message).toContain(credFile);
    expect(`${err.message} ${err.stack} ${JSON.stringify(err)}`).not.toContain('not-the-right-secret-42');
    expect(sim.calls.length - from).toBe(1);
  });

  it('a missing bucket fails at once and names what to check', async () => {
    const err = await upload(takeFile(1000), { dest: destination({ bucket: 'nobody-made-this' }) }).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'NoSuchBucket', retryable: false });
    expect(err.message).toContain('pathStyle');
  });

  it('reads the credentials file at each upload, so a rotated key is used without a restart', async () => {
    const clients = new S3Clients();
    try {
      await upload(takeFile(1000), { clients });
      writeCredentials(ROTATED_ID, ROTATED_SECRET);
      await upload(takeFile(1000), { clients });
      writeCredentials(ROTATED_ID, 'revoked-secret-xyz');
      const err = await upload(takeFile(1000), { clients }).catch((e) => e);
      expect(err).toMatchObject({ code: 'SignatureDoesNotMatch', retryable: false });
    } finally {
      clients.close();
    }
  });

  it('retries 503 SlowDown, 500 and a connection cut mid-part, and completes the object', async () => {
    const file = takeFile(12 * MiB);
    const from = sim.calls.length;
    sim.faults.fail({ status: 503, times: 2, operations: ['UploadPart'] });
    sim.faults.cut({ afterBytes: 2 * MiB });
    sim.faults.fail({ status: 500, times: 1, operations: ['CompleteMultipartUpload'] });
    const { object } = await upload(file);
    expect(sha(await sim.objectBytes(BUCKET, object.key))).toBe(sha(file.data));
    const statuses = sim.calls.slice(from).map((c) => c.status);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    expect(statuses.filter((s) => s === 500)).toHaveLength(1);
    expect(statuses).toContain(-1);
    expect(sim.openUploads()).toEqual([]);
  });

  it('retries a PutObject answered 503, then stores it', async () => {
    const file = takeFile(2000);
    sim.faults.fail({ status: 503, times: 1, operations: ['PutObject'] });
    const { object } = await upload(file);
    expect(sha(await sim.objectBytes(BUCKET, object.key))).toBe(sha(file.data));
  });

  it('gives up after its attempts with a retryable error, and leaves no upload open', async () => {
    const file = takeFile(6 * MiB);
    sim.faults.fail({ status: 500, operations: ['UploadPart'] });
    const from = sim.calls.length;
    const err = await upload(file, { dest: destination({ attempts: 3 }) }).catch((e) => e);
    expect(err).toMatchObject({ code: 'InternalError', retryable: true, status: 500 });
    expect(err.message).toMatch(/^UploadPart 1: /);
    expect(uploadParts(from)).toHaveLength(3);
    expect(sim.openUploads()).toEqual([]);
    expect(await sim.objectBytes(BUCKET, `test/dumps/${file.entry.relPath}`)).toBeUndefined();
  });

  it('stopped by its signal, it leaves the upload open for a resume', async () => {
    const file = takeFile(12 * MiB);
    const ac = new AbortController();
    const err = await upload(file, {
      signal: ac.signal,
      onProgress: async (p) => {
        if (p.parts.length === 1) ac.abort(new Error('agent stopping'));
      },
    }).catch((e) => e);
    expect(err.message).toBe('agent stopping');
    expect(sim.openUploads().map((u) => u.key)).toEqual([`test/dumps/${file.entry.relPath}`]);
    await abortStale(destination(), 'test/', 0);
    expect(sim.openUploads()).toEqual([]);
  });

  it('an upload aborted by someone else mid-way fails retryable, so the file can start over', async () => {
    const file = takeFile(12 * MiB);
    const err = await upload(file, {
      onProgress: async (p) => {
        if (p.parts.length === 1) await abortStale(destination(), p.key, 0);
      },
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'NoSuchUpload', retryable: true, status: 404 });
    expect(err.message).toMatch(/^UploadPart 2: /);
    expect(sim.openUploads()).toEqual([]);
  });

  it('a file written to during its upload is refused, not retryable, and its upload aborted', async () => {
    const file = takeFile(12 * MiB);
    const err = await upload(file, {
      onProgress: async (p) => {
        if (p.parts.length === 1) appendFileSync(file.absPath, 'more');
      },
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'FileChanged', retryable: false });
    expect(sim.openUploads()).toEqual([]);
    expect(await sim.objectBytes(BUCKET, `test/dumps/${file.entry.relPath}`)).toBeUndefined();
  });

  it('keeps to bytesPerSecond', async () => {
    const file = takeFile(3 * MiB);
    const limiter = new ByteLimiter(2 * MiB);
    const started = performance.now();
    await upload(file, { limiter });
    // One second of burst, then 1 MiB of debt paid back at 2 MiB/s.
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
  });

  describe('resume', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      child?.kill('SIGKILL');
    });

    /** Runs the uploader in a child until `stallAfter` parts are in its spool file, then kill -9. */
    async function crashAfter(file: ReturnType<typeof takeFile>, stallAfter: number) {
      const spoolFile = join(dir, `${file.entry.id}.spool.json`);
      const script = new URL('./resume-child.ts', import.meta.url).pathname;
      const dest = { ...destination(), partSize: 5 * MiB };
      child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          script,
          JSON.stringify({
            absPath: file.absPath,
            entry: file.entry,
            dest,
            host: 'web-1',
            spoolFile,
            stallAfter,
          }),
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const exited = new Promise((r) => child!.once('exit', r));
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (existsSync(spoolFile)) {
          const saved = JSON.parse(readFileSync(spoolFile, 'utf8')) as { progress: UploadProgress };
          if (saved.progress.parts.length >= stallAfter) break;
        }
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error('the child never recorded its parts');
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      await exited;
      return (JSON.parse(readFileSync(spoolFile, 'utf8')) as { progress: UploadProgress }).progress;
    }

    it('after kill -9 past part 2 of 8, sends only the 6 missing parts and stores the file exactly', async () => {
      const file = takeFile(40 * MiB);
      const progress = await crashAfter(file, 2);
      expect(progress.parts.map((p) => p.partNumber)).toEqual([1, 2]);
      expect(sim.openUploads().map((u) => u.uploadId)).toContain(progress.uploadId);
      const from = sim.calls.length;
      const { object } = await upload({ ...file, entry: { ...file.entry, progress } });
      expect(sim.calls[from]?.operation).toBe('ListParts');
      expect(uploadParts(from)).toHaveLength(6);
      expect(sim.calls.slice(from).some((c) => c.operation === 'CreateMultipartUpload')).toBe(false);
      expect(sha(await sim.objectBytes(BUCKET, object.key))).toBe(sha(file.data));
      expect(object.checksum).toMatch(/^CRC32C:.+-8$/);
      expect(sim.openUploads()).toEqual([]);
    });

    it('a spool part the server does not hold as recorded is sent again', async () => {
      const file = takeFile(12 * MiB);
      const progress = await crashAfter(file, 2);
      const tampered = {
        ...progress,
        parts: progress.parts.map((p, i) => (i === 1 ? { ...p, etag: '"0000"' } : p)),
      };
      const from = sim.calls.length;
      const { object } = await upload({ ...file, entry: { ...file.entry, progress: tampered } });
      expect(uploadParts(from)).toHaveLength(2);
      expect(sha(await sim.objectBytes(BUCKET, object.key))).toBe(sha(file.data));
    });

    it('an upload the server no longer has starts over', async () => {
      const file = takeFile(12 * MiB);
      const progress = await crashAfter(file, 2);
      await abortStale(destination(), `test/dumps/${file.entry.relPath}`, 0);
      const from = sim.calls.length;
      const { object } = await upload({ ...file, entry: { ...file.entry, progress } });
      expect(sim.calls.slice(from).map((c) => `${c.operation} ${c.status}`)).toContain('ListParts 404');
      expect(uploadParts(from)).toHaveLength(3);
      expect(sha(await sim.objectBytes(BUCKET, object.key))).toBe(sha(file.data));
    });

    it('a file that changed between runs is refused, not retryable, and its upload aborted', async () => {
      const file = takeFile(12 * MiB);
      const progress = await crashAfter(file, 2);
      utimesSync(file.absPath, new Date(), new Date(Date.now() + 5000));
      const err = await upload({ ...file, entry: { ...file.entry, progress } }).catch((e) => e);
      expect(err).toMatchObject({ code: 'FileChanged', retryable: false });
      expect(sim.openUploads()).toEqual([]);
      expect(await sim.objectBytes(BUCKET, `test/dumps/${file.entry.relPath}`)).toBeUndefined();
    });
  });

  it('abortStale aborts old uploads the spool does not know, and keeps the ones it does', async () => {
    const s3 = new S3Client({
      endpoint: sim.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    });
    const ids: string[] = [];
    for (const key of ['stale/a', 'stale/b', 'stale/c', 'elsewhere/d']) {
      ids.push((await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))).UploadId!);
    }
    s3.destroy();
    expect(await abortStale(destination(), 'stale/', 60_000)).toEqual([]);
    const aborted = await abortStale(destination(), 'stale/', 0, new Set([ids[1]!]));
    expect(aborted.map((a) => a.key)).toEqual(['stale/a', 'stale/c']);
    expect(
      sim
        .openUploads()
        .map((u) => u.key)
        .sort(),
    ).toEqual(['elsewhere/d', 'stale/b']);
    await abortStale(destination(), '', 0);
    expect(sim.openUploads()).toEqual([]);
  });
});
