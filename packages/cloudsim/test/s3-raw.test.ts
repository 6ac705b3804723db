import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumOf } from '../src/s3/checksums.ts';
import { DEFAULT_CREDENTIALS, type S3Sim, startS3Sim } from '../src/s3/server.ts';
import { sdkSigner } from './s3-signer.ts';

const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0]!;
const MiB = 1024 * 1024;
const digest = (b: Uint8Array | undefined) => (b ? createHash('sha256').update(b).digest('hex') : 'missing');

/** A request signed by the SDK's own SigV4 signer (not the simulator's code), sent as is. */
async function signedFetch(sim: S3Sim, path: string, headers: Record<string, string>, body: Buffer | string) {
  const signer = sdkSigner(accessKeyId, secretAccessKey);
  const signed = await signer.sign({
    method: 'PUT',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: sim.port,
    path,
    query: {},
    headers: { host: `127.0.0.1:${sim.port}`, ...headers },
    body,
  });
  const res = await fetch(`${sim.endpoint}${path}`, {
    method: 'PUT',
    headers: signed.headers,
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: res.status, text: await res.text() };
}

describe('S3 simulator: raw payload modes and disk storage', () => {
  let sim: S3Sim;
  let dir: string;
  let s3: S3Client;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3sim-'));
    sim = await startS3Sim({ dir });
    s3 = new S3Client({
      endpoint: sim.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'disk' }));
  });
  afterAll(async () => {
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a path that does not percent-decode with 400 InvalidURI, and an unsigned request with 403', async () => {
    const bad = await fetch(`${sim.endpoint}/disk/%E0%A4%A`);
    expect([bad.status, (await bad.text()).includes('<Code>InvalidURI</Code>')]).toEqual([400, true]);
    const anonymous = await fetch(`${sim.endpoint}/disk/signed.txt`);
    expect([anonymous.status, (await anonymous.text()).includes('<Code>AccessDenied</Code>')]).toEqual([
      403,
      true,
    ]);
  });

  it('checks a signed payload hash against the body', async () => {
    const body = 'signed body';
    const sha = createHash('sha256').update(body).digest('hex');
    const ok = await signedFetch(sim, '/disk/signed.txt', { 'x-amz-content-sha256': sha }, body);
    expect(ok.status).toBe(200);
    const other = createHash('sha256').update('another body').digest('hex');
    const bad = await signedFetch(sim, '/disk/signed.txt', { 'x-amz-content-sha256': other }, body);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect((await sim.objectBytes('disk', 'signed.txt'))?.toString()).toBe(body);
  });

  it('decodes STREAMING-UNSIGNED-PAYLOAD-TRAILER and verifies its trailing checksum', async () => {
    const data = Buffer.from('hello trailer');
    const chunked = (crc: string) =>
      `7\r\n${data.subarray(0, 7)}\r\n${(data.length - 7).toString(16)}\r\n${data.subarray(7)}\r\n0\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`;
    const headers = {
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-decoded-content-length': String(data.length),
      'x-amz-trailer': 'x-amz-checksum-crc32',
    };
    const ok = await signedFetch(sim, '/disk/trailer.txt', headers, chunked(await checksumOf('CRC32', data)));
    expect(ok.status).toBe(200);
    expect((await sim.objectBytes('disk', 'trailer.txt'))?.toString()).toBe('hello trailer');
    const bad = await signedFetch(
      sim,
      '/disk/trailer.txt',
      headers,
      chunked(await checksumOf('CRC32', Buffer.from('x'))),
    );
    expect([bad.status, bad.text.includes('<Code>BadDigest</Code>')]).toEqual([400, true]);
    const short = await signedFetch(
      sim,
      '/disk/trailer.txt',
      { ...headers, 'x-amz-decoded-content-length': '99' },
      chunked(await checksumOf('CRC32', data)),
    );
    expect([short.status, short.text.includes('<Code>IncompleteBody</Code>')]).toEqual([400, true]);
  });

  it('decodes STREAMING-AWS4-HMAC-SHA256-PAYLOAD and refuses a chunk signed out of chain', async () => {
    // Seed and chunk signatures come from the SDK's signer (its key derivation, not ours).
    const signer = sdkSigner(accessKeyId, secretAccessKey);
    const signingDate = new Date();
    const chunks = [Buffer.alloc(70_000, 'x'), Buffer.from('tail'), Buffer.alloc(0)];
    const decoded = Buffer.concat(chunks);
    const encodedLength = chunks.reduce(
      (n, c) => n + `${c.length.toString(16)};chunk-signature=`.length + 64 + 4 + c.length,
      0,
    );
    const signed = await signer.sign(
      {
        method: 'PUT',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: sim.port,
        path: '/disk/chained.bin',
        query: {},
        headers: {
          host: `127.0.0.1:${sim.port}`,
          'content-encoding': 'aws-chunked',
          'content-length': String(encodedLength),
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          'x-amz-decoded-content-length': String(decoded.length),
        },
      },
      { signingDate },
    );
    const seed = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization!)![1]!;
    const amzDate = signed.headers['x-amz-date']!;
    const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const body = async (order: number[]) => {
      let prev = seed;
      const out: Buffer[] = [];
      for (const i of order) {
        const c = chunks[i]!;
        const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, prev, sha(Buffer.alloc(0)), sha(c)].join(
          '\n',
        );
        prev = await signer.sign(toSign, { signingDate });
        out.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${prev}\r\n`), c, Buffer.from('\r\n'));
      }
      return Buffer.concat(out);
    };
    const send = async (b: Buffer) => {
      const res = await fetch(`${sim.endpoint}/disk/chained.bin`, {
        method: 'PUT',
        headers: signed.headers,
        body: new Uint8Array(b),
      });
      return { status: res.status, text: await res.text() };
    };
    expect((await send(await body([0, 1, 2]))).status).toBe(200);
    expect(digest(await sim.objectBytes('disk', 'chained.bin'))).toBe(digest(decoded));
    // The second chunk signed from the seed instead of the first chunk's signature: the chain breaks.
    const wrong = Buffer.concat([await body([0]), await body([1, 2])]);
    const bad = await send(wrong);
    expect([bad.status, bad.text.includes('<Code>SignatureDoesNotMatch</Code>')]).toEqual([403, true]);
  });

  it('keeps multipart objects in files, byte-exact, and removes them with the object', async () => {
    const Key = 'disk/big.bin';
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'disk', Key, ChecksumAlgorithm: 'SHA256' }),
    );
    const parts = [Buffer.alloc(5 * MiB, 1), Buffer.alloc(3 * MiB, 2)];
    const done = [];
    for (const [i, Body] of parts.entries()) {
      const r = await s3.send(
        new UploadPartCommand({
          Bucket: 'disk',
          Key,
          UploadId,
          PartNumber: i + 1,
          Body,
          ChecksumAlgorithm: 'SHA256',
        }),
      );
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumSHA256: r.ChecksumSHA256 });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'disk', Key, UploadId, MultipartUpload: { Parts: done } }),
    );
    const files = (await readdir(dir)).length;
    expect(files).toBeGreaterThanOrEqual(2);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'disk', Key }));
    expect(digest(await got.Body!.transformToByteArray())).toBe(digest(Buffer.concat(parts)));
    await s3.send(new DeleteObjectCommand({ Bucket: 'disk', Key }));
    expect((await readdir(dir)).length).toBe(files - 2);
  });
});
