import { createHash } from 'node:crypto';
import { lookup } from 'node:dns';
import { Agent } from 'node:http';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checksumOf } from '../src/s3/checksums.ts';
import { DEFAULT_CREDENTIALS, type S3Sim, startS3Sim } from '../src/s3/server.ts';
import { sdkSigner } from './s3-signer.ts';

const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0]!;
const MiB = 1024 * 1024;
/** Buffers compared by digest: vitest's deep equality walks megabytes byte by byte. */
const digest = (b: Uint8Array | undefined) => (b ? createHash('sha256').update(b).digest('hex') : 'missing');
const bytes = (n: number, seed = 1) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
};

describe('S3 simulator with the AWS SDK v3', () => {
  let sim: S3Sim;
  const client = (extra: Partial<S3ClientConfig> = {}) =>
    new S3Client({
      endpoint: sim.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
      ...extra,
    });
  let s3: S3Client;

  beforeAll(async () => {
    sim = await startS3Sim();
    s3 = client();
    await s3.send(new CreateBucketCommand({ Bucket: 'files' }));
  });
  afterAll(async () => sim?.close());
  beforeEach(() => sim.faults.clear());

  it('refuses a request signed with a wrong secret, like S3', async () => {
    const bad = client({ credentials: { accessKeyId, secretAccessKey: 'wrong' } });
    const err = await bad
      .send(new PutObjectCommand({ Bucket: 'files', Key: 'x', Body: 'hi' }))
      .catch((e) => e);
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.$metadata.httpStatusCode).toBe(403);
    const unknown = client({ credentials: { accessKeyId: 'AKIDNOBODY', secretAccessKey } });
    expect(
      (await unknown.send(new HeadObjectCommand({ Bucket: 'files', Key: 'x' })).catch((e) => e)).$metadata
        .httpStatusCode,
    ).toBe(403);
  });

  it('stores byte-exact objects sent with the SDK defaults (Buffer and aws-chunked stream)', async () => {
    const data = bytes(300_000);
    const put = await s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'a/buffer.bin', Body: data }));
    expect(put.ChecksumCRC32).toBe(await checksumOf('CRC32', data));
    await s3.send(
      new PutObjectCommand({
        Bucket: 'files',
        Key: 'a/stream.bin',
        Body: Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
        ContentLength: data.length,
      }),
    );
    expect(digest(await sim.objectBytes('files', 'a/stream.bin'))).toBe(digest(data));
    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'files', Key: 'a/buffer.bin', ChecksumMode: 'ENABLED' }),
    );
    expect(digest(Buffer.from(await got.Body!.transformToByteArray()))).toBe(digest(data));
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    const range = await s3.send(
      new GetObjectCommand({ Bucket: 'files', Key: 'a/stream.bin', Range: 'bytes=10-19' }),
    );
    expect(range.ContentRange).toBe(`bytes 10-19/${data.length}`);
    expect(digest(Buffer.from(await range.Body!.transformToByteArray()))).toBe(digest(data.subarray(10, 20)));
  });

  it('refuses a corrupted checksum or Content-MD5 and keeps the old object', async () => {
    const data = bytes(1000);
    const wrong = await checksumOf('SHA256', Buffer.from('something else'));
    const err = await s3
      .send(new PutObjectCommand({ Bucket: 'files', Key: 'a/buffer.bin', Body: data, ChecksumSHA256: wrong }))
      .catch((e) => e);
    expect(err.name).toBe('BadDigest');
    expect(err.$metadata.httpStatusCode).toBe(400);
    const md5 = await s3
      .send(
        new PutObjectCommand({
          Bucket: 'files',
          Key: 'a/buffer.bin',
          Body: data,
          ContentMD5: createHash('md5').update('x').digest('base64'),
        }),
      )
      .catch((e) => e);
    expect(md5.name).toBe('BadDigest');
    const malformed = await s3
      .send(
        new PutObjectCommand({ Bucket: 'files', Key: 'a/buffer.bin', Body: data, ChecksumCRC32C: 'nope' }),
      )
      .catch((e) => e);
    expect(malformed.name).toBe('InvalidRequest');
    expect((await sim.objectBytes('files', 'a/buffer.bin'))?.length).toBe(300_000);
  });

  it('runs a multipart upload with per-part CRC32C checksums and the S3 ETag and composite checksum', async () => {
    const parts = [bytes(5 * MiB, 1), bytes(5 * MiB, 2), bytes(1234, 3)];
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'files', Key: 'big/one.bin', ChecksumAlgorithm: 'CRC32C' }),
    );
    const done = [];
    for (const [i, body] of parts.entries()) {
      const r = await s3.send(
        new UploadPartCommand({
          Bucket: 'files',
          Key: 'big/one.bin',
          UploadId,
          PartNumber: i + 1,
          Body: body,
          ChecksumAlgorithm: 'CRC32C',
        }),
      );
      expect(r.ChecksumCRC32C).toBe(await checksumOf('CRC32C', body));
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32C: r.ChecksumCRC32C });
    }
    // Not visible before Complete.
    expect(
      (await s3.send(new HeadObjectCommand({ Bucket: 'files', Key: 'big/one.bin' })).catch((e) => e)).name,
    ).toBe('NotFound');
    const listed = await s3.send(
      new ListPartsCommand({ Bucket: 'files', Key: 'big/one.bin', UploadId, MaxParts: 2 }),
    );
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB],
    ]);
    expect(listed.IsTruncated).toBe(true);
    const rest = await s3.send(
      new ListPartsCommand({
        Bucket: 'files',
        Key: 'big/one.bin',
        UploadId,
        PartNumberMarker: listed.NextPartNumberMarker,
      }),
    );
    expect(rest.Parts?.map((p) => p.PartNumber)).toEqual([3]);
    expect(rest.IsTruncated).toBe(false);

    const out = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'files',
        Key: 'big/one.bin',
        UploadId,
        MultipartUpload: { Parts: done },
      }),
    );
    const md5s = parts.map((p) => createHash('md5').update(p).digest());
    expect(out.ETag).toBe(`"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-3"`);
    const raw = Buffer.concat(
      await Promise.all(parts.map(async (p) => Buffer.from(await checksumOf('CRC32C', p), 'base64'))),
    );
    expect(out.ChecksumCRC32C).toBe(`${await checksumOf('CRC32C', raw)}-3`);
    expect(digest(await sim.objectBytes('files', 'big/one.bin'))).toBe(digest(Buffer.concat(parts)));
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: 'files', Key: 'big/one.bin', ChecksumMode: 'ENABLED' }),
    );
    expect([head.ContentLength, head.ChecksumCRC32C, head.ChecksumType]).toEqual([
      10 * MiB + 1234,
      out.ChecksumCRC32C,
      'COMPOSITE',
    ]);
    const attrs = await s3.send(
      new GetObjectAttributesCommand({
        Bucket: 'files',
        Key: 'big/one.bin',
        ObjectAttributes: ['ObjectSize', 'ObjectParts', 'Checksum'],
      }),
    );
    expect([attrs.ObjectSize, attrs.ObjectParts?.TotalPartsCount]).toEqual([10 * MiB + 1234, 3]);
    const tail = await s3.send(
      new GetObjectCommand({
        Bucket: 'files',
        Key: 'big/one.bin',
        Range: `bytes=${5 * MiB - 2}-${5 * MiB + 1}`,
      }),
    );
    expect(digest(Buffer.from(await tail.Body!.transformToByteArray()))).toBe(
      digest(Buffer.concat(parts).subarray(5 * MiB - 2, 5 * MiB + 2)),
    );
  });

  it('completes a FULL_OBJECT CRC32C upload with the whole object’s CRC, and refuses a wrong one', async () => {
    const parts = [bytes(5 * MiB, 4), bytes(777, 5)];
    const whole = Buffer.concat(parts);
    const start = async (Key: string) => {
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: 'files',
          Key,
          ChecksumAlgorithm: 'CRC32C',
          ChecksumType: 'FULL_OBJECT',
        }),
      );
      const Parts = [];
      for (const [i, Body] of parts.entries()) {
        const r = await s3.send(
          new UploadPartCommand({
            Bucket: 'files',
            Key,
            UploadId,
            PartNumber: i + 1,
            Body,
            ChecksumAlgorithm: 'CRC32C',
          }),
        );
        Parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32C: r.ChecksumCRC32C });
      }
      return { UploadId, Parts };
    };
    const a = await start('full/ok.bin');
    const out = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'files',
        Key: 'full/ok.bin',
        UploadId: a.UploadId,
        MultipartUpload: { Parts: a.Parts },
        ChecksumCRC32C: await checksumOf('CRC32C', whole),
        ChecksumType: 'FULL_OBJECT',
        MpuObjectSize: whole.length,
      }),
    );
    expect([out.ChecksumCRC32C, out.ChecksumType]).toEqual([
      await checksumOf('CRC32C', whole),
      'FULL_OBJECT',
    ]);
    // The SDK validates a FULL_OBJECT checksum against the bytes it reads.
    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'files', Key: 'full/ok.bin', ChecksumMode: 'ENABLED' }),
    );
    expect(digest(await got.Body!.transformToByteArray())).toBe(digest(whole));
    expect(got.ChecksumType).toBe('FULL_OBJECT');
    const b = await start('full/bad.bin');
    const err = await s3
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: 'files',
          Key: 'full/bad.bin',
          UploadId: b.UploadId,
          MultipartUpload: { Parts: b.Parts },
          ChecksumCRC32C: await checksumOf('CRC32C', parts[0]!),
          ChecksumType: 'FULL_OBJECT',
        }),
      )
      .catch((e) => e);
    expect(err.name).toBe('BadDigest');
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: 'files', Key: 'full/bad.bin', UploadId: b.UploadId }),
    );
  });

  it('refuses small parts, bad ETags, part order and part numbers like S3', async () => {
    const Key = 'big/refused.bin';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'files', Key }));
    const etags: string[] = [];
    for (const n of [1, 2]) {
      etags.push(
        (
          await s3.send(
            new UploadPartCommand({ Bucket: 'files', Key, UploadId, PartNumber: n, Body: bytes(1000, n) }),
          )
        ).ETag!,
      );
    }
    const complete = (Parts: { PartNumber: number; ETag: string }[]) =>
      s3
        .send(
          new CompleteMultipartUploadCommand({ Bucket: 'files', Key, UploadId, MultipartUpload: { Parts } }),
        )
        .catch((e) => e);
    expect(
      (
        await complete([
          { PartNumber: 1, ETag: etags[0]! },
          { PartNumber: 2, ETag: etags[1]! },
        ])
      ).name,
    ).toBe('EntityTooSmall');
    expect((await complete([{ PartNumber: 1, ETag: etags[1]! }])).name).toBe('InvalidPart');
    expect(
      (
        await complete([
          { PartNumber: 2, ETag: etags[1]! },
          { PartNumber: 1, ETag: etags[0]! },
        ])
      ).name,
    ).toBe('InvalidPartOrder');
    const tooFar = await s3
      .send(new UploadPartCommand({ Bucket: 'files', Key, UploadId, PartNumber: 10_001, Body: 'x' }))
      .catch((e) => e);
    expect(tooFar.name).toBe('InvalidArgument');
    // The last part alone may be small.
    const one = await complete([{ PartNumber: 1, ETag: etags[0]! }]);
    expect(one.ETag).toMatch(/-1"$/);
    expect(digest(await sim.objectBytes('files', Key))).toBe(digest(bytes(1000, 1)));
  });

  it('lists and aborts multipart uploads; an aborted upload is gone', async () => {
    const ids: string[] = [];
    for (const Key of ['up/a', 'up/b', 'other/c']) {
      ids.push((await s3.send(new CreateMultipartUploadCommand({ Bucket: 'files', Key }))).UploadId!);
    }
    const page1 = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: 'files', Prefix: 'up/', MaxUploads: 1 }),
    );
    expect(page1.Uploads?.map((u) => u.Key)).toEqual(['up/a']);
    expect(page1.IsTruncated).toBe(true);
    const page2 = await s3.send(
      new ListMultipartUploadsCommand({
        Bucket: 'files',
        Prefix: 'up/',
        KeyMarker: page1.NextKeyMarker,
        UploadIdMarker: page1.NextUploadIdMarker,
      }),
    );
    expect(page2.Uploads?.map((u) => u.Key)).toEqual(['up/b']);
    await s3.send(
      new UploadPartCommand({ Bucket: 'files', Key: 'up/a', UploadId: ids[0], PartNumber: 1, Body: 'part' }),
    );
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'files', Key: 'up/a', UploadId: ids[0] }));
    expect(
      (
        await s3
          .send(new ListPartsCommand({ Bucket: 'files', Key: 'up/a', UploadId: ids[0] }))
          .catch((e) => e)
      ).name,
    ).toBe('NoSuchUpload');
    expect(
      (
        await s3
          .send(new AbortMultipartUploadCommand({ Bucket: 'files', Key: 'up/a', UploadId: ids[0] }))
          .catch((e) => e)
      ).name,
    ).toBe('NoSuchUpload');
    const left = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'files', Prefix: 'up/' }));
    expect(left.Uploads?.map((u) => u.Key)).toEqual(['up/b']);
    for (const [i, Key] of ['up/b', 'other/c'].entries()) {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: 'files', Key, UploadId: ids[i + 1] }));
    }
  });

  it('fails an UploadPart whose connection is cut mid-body; a retry of the part succeeds', async () => {
    const Key = 'big/cut.bin';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'files', Key }));
    const body = bytes(5 * MiB, 9);
    sim.faults.cut({ afterBytes: MiB });
    const once = client({ maxAttempts: 1 });
    const err = await once
      .send(new UploadPartCommand({ Bucket: 'files', Key, UploadId, PartNumber: 1, Body: body }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    expect((await s3.send(new ListPartsCommand({ Bucket: 'files', Key, UploadId }))).Parts ?? []).toEqual([]);
    const part = await once.send(
      new UploadPartCommand({ Bucket: 'files', Key, UploadId, PartNumber: 1, Body: body }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'files',
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    expect(digest(await sim.objectBytes('files', Key))).toBe(digest(body));
  });

  it('stores nothing of a part whose client goes away mid-body (an uploader killed mid-part)', async () => {
    const Key = 'big/killed.bin';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'files', Key }));
    const abort = new AbortController();
    async function* slowBody() {
      yield bytes(MiB, 1);
      abort.abort();
      await new Promise((r) => setTimeout(r, 200));
      yield bytes(MiB, 2);
    }
    const err = await s3
      .send(
        new UploadPartCommand({
          Bucket: 'files',
          Key,
          UploadId,
          PartNumber: 1,
          Body: Readable.from(slowBody()),
          ContentLength: 2 * MiB,
        }),
        { abortSignal: abort.signal },
      )
      .catch((e) => e);
    expect(err.name).toBe('AbortError');
    await new Promise((r) => setTimeout(r, 100));
    expect((await s3.send(new ListPartsCommand({ Bucket: 'files', Key, UploadId }))).Parts ?? []).toEqual([]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'files', Key, UploadId }));
  });

  it('answers 503 SlowDown and 500 InternalError when told; the SDK retries them', async () => {
    sim.faults.fail({ status: 503, times: 2 });
    const before = sim.calls.length;
    await s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'retry.txt', Body: 'ok' }));
    expect(sim.calls.slice(before).map((c) => c.status)).toEqual([503, 503, 200]);
    sim.faults.fail({ status: 500, times: 5, operations: ['GetObject'] });
    const err = await client({ maxAttempts: 2 })
      .send(new GetObjectCommand({ Bucket: 'files', Key: 'retry.txt' }))
      .catch((e) => e);
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InternalError', 500]);
    sim.faults.clear();
    sim.faults.fail({ status: 503, ratio: 0.5 });
    const from = sim.calls.length;
    const once = client({ maxAttempts: 1 });
    for (let i = 0; i < 4; i++)
      await once.send(new HeadObjectCommand({ Bucket: 'files', Key: 'retry.txt' })).catch(() => undefined);
    expect(sim.calls.slice(from).map((c) => c.status)).toEqual([200, 503, 200, 503]);
    sim.faults.clear();
    sim.faults.delay({ ms: 300, times: 1 });
    const t0 = performance.now();
    await s3.send(new HeadObjectCommand({ Bucket: 'files', Key: 'retry.txt' }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('honours conditional writes and reads (If-None-Match: *, If-Match, If-None-Match)', async () => {
    const put = () =>
      s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'once.txt', Body: 'first', IfNoneMatch: '*' }));
    const { ETag } = await put();
    const again = await put().catch((e) => e);
    expect([again.name, again.$metadata.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'files', Key: 'once.txt' }),
    );
    const part = await s3.send(
      new UploadPartCommand({ Bucket: 'files', Key: 'once.txt', UploadId, PartNumber: 1, Body: 'second' }),
    );
    const complete = await s3
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: 'files',
          Key: 'once.txt',
          UploadId,
          IfNoneMatch: '*',
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
        }),
      )
      .catch((e) => e);
    expect(complete.$metadata.httpStatusCode).toBe(412);
    expect((await sim.objectBytes('files', 'once.txt'))?.toString()).toBe('first');
    const wrong = await s3
      .send(new GetObjectCommand({ Bucket: 'files', Key: 'once.txt', IfMatch: '"0000"' }))
      .catch((e) => e);
    expect(wrong.$metadata.httpStatusCode).toBe(412);
    const same = await s3
      .send(new HeadObjectCommand({ Bucket: 'files', Key: 'once.txt', IfNoneMatch: ETag }))
      .catch((e) => e);
    expect(same.$metadata.httpStatusCode).toBe(304);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'files', Key: 'once.txt', UploadId }));
  });

  it('pages ListObjectsV2 with prefix, delimiter, max-keys and continuation tokens', async () => {
    for (const Key of ['list/a.txt', 'list/b/1.txt', 'list/b/2.txt', 'list/c.txt', 'list/d/1.txt']) {
      await s3.send(new PutObjectCommand({ Bucket: 'files', Key, Body: Key }));
    }
    const seen: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: 'files',
          Prefix: 'list/',
          Delimiter: '/',
          MaxKeys: 2,
          ContinuationToken,
        }),
      );
      seen.push(
        ...(page.Contents ?? []).map((c) => c.Key!),
        ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!),
      );
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    expect(seen.sort()).toEqual(['list/a.txt', 'list/b/', 'list/c.txt', 'list/d/']);
    const flat = await s3.send(new ListObjectsV2Command({ Bucket: 'files', Prefix: 'list/b/' }));
    expect(flat.Contents?.map((c) => [c.Key, c.Size])).toEqual([
      ['list/b/1.txt', 12],
      ['list/b/2.txt', 12],
    ]);
    await s3.send(new DeleteObjectCommand({ Bucket: 'files', Key: 'list/a.txt' }));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'files', Prefix: 'list/a' }))).KeyCount).toBe(0);
  });

  it('addresses buckets virtual-host style (bucket.localhost) as well as path style', async () => {
    const toLoopback = ((_host: string, o: object, cb: (...a: unknown[]) => void) =>
      lookup('127.0.0.1', o, cb)) as unknown as typeof lookup;
    const vhost = client({
      endpoint: `http://localhost:${sim.port}`,
      forcePathStyle: false,
      requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ lookup: toLoopback }) }),
    });
    const before = sim.calls.length;
    await vhost.send(new PutObjectCommand({ Bucket: 'files', Key: 'vhost/x.txt', Body: 'virtual' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'vhost/x.txt' }));
    expect(await got.Body!.transformToString()).toBe('virtual');
    expect(sim.calls[before]).toMatchObject({
      operation: 'PutObject',
      bucket: 'files',
      key: 'vhost/x.txt',
      status: 200,
    });
  });

  it('serves a presigned GetObject URL and refuses a tampered or expired one', async () => {
    const signer = sdkSigner(accessKeyId, secretAccessKey);
    const presign = (expiresIn: number, signingDate = new Date()) =>
      signer.presign(
        {
          method: 'GET',
          protocol: 'http:',
          hostname: '127.0.0.1',
          port: sim.port,
          path: '/files/presigned.txt',
          query: {},
          headers: { host: `127.0.0.1:${sim.port}`, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        },
        { expiresIn, signingDate, unsignableHeaders: new Set(['x-amz-content-sha256']) },
      );
    const url = (r: Awaited<ReturnType<typeof presign>>) =>
      `http://127.0.0.1:${sim.port}${r.path}?${new URLSearchParams(r.query as Record<string, string>)}`;
    await s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'presigned.txt', Body: 'ok' }));
    const ok = await fetch(url(await presign(60)));
    expect([ok.status, await ok.text()]).toEqual([200, 'ok']);
    const tampered = await fetch(url(await presign(60)).replace('presigned.txt', 'retry.txt'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const expired = await fetch(url(await presign(60, new Date(Date.now() - 120_000))));
    expect([expired.status, (await expired.text()).includes('Request has expired')]).toEqual([403, true]);
  });

  it('takes lib-storage Upload (the SDK default multipart path) byte-exact, from a Buffer and a stream', async () => {
    const data = bytes(12 * MiB, 5);
    const up = new Upload({
      client: s3,
      params: { Bucket: 'files', Key: 'lib/buffer.bin', Body: data },
      partSize: 5 * MiB,
    });
    const out = await up.done();
    expect(out.ETag).toMatch(/-3"$/);
    expect(digest(await sim.objectBytes('files', 'lib/buffer.bin'))).toBe(digest(data));
    const streamed = new Upload({
      client: s3,
      params: {
        Bucket: 'files',
        Key: 'lib/stream.bin',
        Body: Readable.from(
          (function* () {
            for (let i = 0; i < 12; i++) yield data.subarray(i * MiB, (i + 1) * MiB);
          })(),
        ),
      },
      partSize: 5 * MiB,
    });
    await streamed.done();
    expect(digest(await sim.objectBytes('files', 'lib/stream.bin'))).toBe(digest(data));
    expect(sim.openUploads()).toEqual([]);
  });
});
