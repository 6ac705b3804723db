import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sleep } from '@opsfleet/core';
import { type Authenticated, authenticate } from './auth.ts';
import { ConnectionCut, receiveBody } from './body.ts';
import {
  type ChecksumAlgorithm,
  combinedCrc,
  compositeChecksum,
  headerOf,
  multipartEtag,
} from './checksums.ts';
import { S3Error } from './errors.ts';
import { S3Faults } from './faults.ts';
import { decodeToken, encodeToken, listKeys, pageAfter } from './listing.ts';
import type { Bucket, ObjectChecksum, S3Object, Upload } from './model.ts';
import {
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  parsePartNumber,
  partsToComplete,
  type StoredPart,
} from './multipart.ts';
import { type Blob, diskStorage, memoryStorage, readRange, type Storage } from './storage.ts';
import { checksumXml, doc, el, errorXml, NS, parseCompleteParts, requestId } from './xml.ts';

export interface S3SimOptions {
  /** Access key id → secret; every request must be signed with one of them. */
  credentials?: Record<string, string>;
  /** Keep object bytes in files under this folder instead of memory (multi-GB objects). */
  dir?: string;
  host?: string;
  port?: number;
  /**
   * Host names under which `<bucket>.<name>` addresses a bucket virtual-host style; any other
   * Host header means path style (`/<bucket>/<key>`).
   */
  virtualHostSuffixes?: string[];
  /** S3's 5 MiB; lower it only for tests that cannot afford real part sizes. */
  minPartSize?: number;
  /** Serve HTTPS with this key and certificate (an uploader's TLS and CA settings are tested so). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface S3Call {
  operation: string;
  status: number;
  bucket?: string;
  key?: string;
}

export interface S3Sim {
  /** `http(s)://127.0.0.1:<port>` (path style). */
  endpoint: string;
  port: number;
  faults: S3Faults;
  /** Every request answered or cut, in order. */
  calls: S3Call[];
  /** The stored bytes of an object, or undefined (tests compare them with what was sent). */
  objectBytes(bucket: string, key: string): Promise<Buffer | undefined>;
  /** Open multipart uploads across buckets (an upload left behind is visible here). */
  openUploads(): { bucket: string; key: string; uploadId: string }[];
  close(): Promise<void>;
}

export const DEFAULT_CREDENTIALS = { AKIDS3SIMEXAMPLE: 's3sim-secret-key-example' };
const MAX_OBJECT = 5 * 1024 ** 4;
const STORAGE_CLASS = 'STANDARD';

interface Target {
  bucket?: string;
  key?: string;
  /** A path whose percent-encoding does not decode. */
  badUri?: boolean;
}

interface Answer {
  status: number;
  headers?: Record<string, string | number>;
  body?: string | AsyncIterable<Buffer>;
}

const xmlAnswer = (status: number, body: string, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/xml', ...headers },
  body: doc(body),
});

const iso = (d: Date) => d.toISOString();

/** Whether an If-Match / If-None-Match list (`"a", "b"` or `*`) names this quoted ETag. */
const etagListHas = (list: string, etag: string) =>
  list
    .split(',')
    .map((e) => e.trim().replace(/^W\//, ''))
    .some((e) => e === '*' || e === etag || `"${e}"` === etag);

function target(req: IncomingMessage, url: URL, suffixes: string[]): Target {
  const hostname = String(req.headers.host ?? '')
    .replace(/:\d+$/, '')
    .toLowerCase();
  const path = url.pathname;
  try {
    const suffix = suffixes.find((s) => hostname.endsWith(`.${s}`));
    if (suffix) {
      const key = decodeURIComponent(path.slice(1));
      return { bucket: hostname.slice(0, -suffix.length - 1), key: key || undefined };
    }
    const slash = path.indexOf('/', 1);
    if (path === '/') return {};
    if (slash === -1) return { bucket: decodeURIComponent(path.slice(1)) };
    const key = decodeURIComponent(path.slice(slash + 1));
    return { bucket: decodeURIComponent(path.slice(1, slash)), key: key || undefined };
  } catch {
    return { badUri: true };
  }
}

/** The S3 operation a request is, from its method, target and sub-resources. */
export function operationOf(method: string, t: Target, q: URLSearchParams): string {
  if (!t.bucket) return method === 'GET' ? 'ListBuckets' : 'Unknown';
  if (t.key === undefined) {
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'POST' && q.has('delete')) return 'DeleteObjects';
    if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads';
    if (method === 'GET' && q.has('location')) return 'GetBucketLocation';
    if (method === 'GET') return q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    return 'Unknown';
  }
  if (method === 'PUT') return q.has('uploadId') ? 'UploadPart' : 'PutObject';
  if (method === 'POST')
    return q.has('uploads')
      ? 'CreateMultipartUpload'
      : q.has('uploadId')
        ? 'CompleteMultipartUpload'
        : 'Unknown';
  if (method === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  if (method === 'GET')
    return q.has('uploadId') ? 'ListParts' : q.has('attributes') ? 'GetObjectAttributes' : 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  return 'Unknown';
}

async function readSmall(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new S3Error(400, 'MaxMessageLengthExceeded', 'Your request was too big.');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function metadataOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith('x-amz-meta-') && typeof v === 'string') out[k] = v;
  }
  return out;
}

function requestedAlgorithm(req: IncomingMessage): ChecksumAlgorithm | undefined {
  const v = req.headers['x-amz-checksum-algorithm'];
  if (v === undefined) return undefined;
  const a = String(v).toUpperCase();
  if (!['CRC32', 'CRC32C', 'SHA1', 'SHA256'].includes(a)) {
    throw new S3Error(400, 'InvalidRequest', 'Checksum algorithm provided is unsupported.');
  }
  return a as ChecksumAlgorithm;
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` → inclusive range; undefined serves the whole object. */
function parseRange(raw: string | undefined, size: number): [number, number] | undefined {
  const m = raw ? /^bytes=(\d*)-(\d*)$/.exec(raw.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) {
    throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable');
  }
  return [start, end];
}

export async function startS3Sim(opts: S3SimOptions = {}): Promise<S3Sim> {
  const credentials = opts.credentials ?? DEFAULT_CREDENTIALS;
  const storage: Storage = opts.dir ? diskStorage(opts.dir) : memoryStorage();
  const suffixes = opts.virtualHostSuffixes ?? ['localhost'];
  const minPartSize = opts.minPartSize ?? MIN_PART_SIZE;
  const buckets = new Map<string, Bucket>();
  const faults = new S3Faults();
  const calls: S3Call[] = [];
  let host = '';

  const bucketOf = (name: string) => {
    const b = buckets.get(name);
    if (!b) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    return b;
  };
  const uploadOf = (b: Bucket, key: string, id: string | null) => {
    const u = id ? b.uploads.get(id) : undefined;
    if (!u || u.key !== key) {
      throw new S3Error(
        404,
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      );
    }
    return u;
  };
  const replaceObject = async (b: Bucket, obj: S3Object) => {
    const old = b.objects.get(obj.key);
    b.objects.set(obj.key, obj);
    if (old) await storage.free(old.blob);
  };
  const objectHeaders = (req: IncomingMessage, o: S3Object, whole: boolean) => {
    const h: Record<string, string | number> = {
      etag: o.etag,
      'last-modified': o.lastModified.toUTCString(),
      'content-type': o.contentType,
      'accept-ranges': 'bytes',
      ...o.metadata,
    };
    if (o.parts) h['x-amz-mp-parts-count'] = o.parts.length;
    if (whole && o.checksum && String(req.headers['x-amz-checksum-mode']).toUpperCase() === 'ENABLED') {
      h[headerOf(o.checksum.algorithm)] = o.checksum.value;
      h['x-amz-checksum-type'] = o.checksum.type;
    }
    return h;
  };

  async function handle(
    req: IncomingMessage,
    url: URL,
    t: Target,
    op: string,
    auth: Authenticated,
  ): Promise<Answer> {
    const q = url.searchParams;
    switch (op) {
      case 'ListBuckets': {
        const items = [...buckets.values()]
          .sort((a, b) => (a.name < b.name ? -1 : 1))
          .map((b) => `<Bucket>${el({ Name: b.name, CreationDate: iso(b.created) })}</Bucket>`)
          .join('');
        return xmlAnswer(
          200,
          `<ListAllMyBucketsResult xmlns="${NS}"><Owner>${el({ ID: auth.accessKeyId })}</Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`,
        );
      }
      case 'CreateBucket': {
        await readSmall(req);
        const name = t.bucket!;
        if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
          throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.');
        }
        if (buckets.has(name)) {
          throw new S3Error(
            409,
            'BucketAlreadyOwnedByYou',
            'Your previous request to create the named bucket succeeded and you already own it.',
          );
        }
        buckets.set(name, { name, created: new Date(), objects: new Map(), uploads: new Map() });
        return { status: 200, headers: { location: `/${name}` } };
      }
      case 'HeadBucket':
        bucketOf(t.bucket!);
        return { status: 200 };
      case 'GetBucketLocation':
        bucketOf(t.bucket!);
        return xmlAnswer(200, `<LocationConstraint xmlns="${NS}"></LocationConstraint>`);
      case 'DeleteBucket': {
        const b = bucketOf(t.bucket!);
        if (b.objects.size || b.uploads.size) {
          throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty');
        }
        buckets.delete(b.name);
        return { status: 204 };
      }
      case 'ListObjectsV2':
      case 'ListObjects':
        return list(bucketOf(t.bucket!), q, op === 'ListObjectsV2');
      case 'PutObject':
        return putObject(req, bucketOf(t.bucket!), t.key!, auth);
      case 'GetObject':
      case 'HeadObject': {
        const o = bucketOf(t.bucket!).objects.get(t.key!);
        if (!o) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
        const ifMatch = req.headers['if-match'];
        if (ifMatch !== undefined && !etagListHas(ifMatch, o.etag)) {
          throw new S3Error(
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
          );
        }
        const ifNoneMatch = req.headers['if-none-match'];
        if (ifNoneMatch !== undefined && etagListHas(ifNoneMatch, o.etag)) {
          return { status: 304, headers: { etag: o.etag, 'last-modified': o.lastModified.toUTCString() } };
        }
        const range = parseRange(req.headers.range, o.size);
        const [start, end] = range ?? [0, o.size - 1];
        const headers = objectHeaders(req, o, !range);
        headers['content-length'] = o.size === 0 ? 0 : end - start + 1;
        if (range) headers['content-range'] = `bytes ${start}-${end}/${o.size}`;
        return {
          status: range ? 206 : 200,
          headers,
          body: op === 'GetObject' && o.size > 0 ? readRange(o.blob, start, end) : undefined,
        };
      }
      case 'GetObjectAttributes':
        return attributes(req, bucketOf(t.bucket!), t.key!);
      case 'DeleteObject': {
        const b = bucketOf(t.bucket!);
        const o = b.objects.get(t.key!);
        if (o) {
          b.objects.delete(t.key!);
          await storage.free(o.blob);
        }
        return { status: 204 };
      }
      case 'DeleteObjects': {
        const b = bucketOf(t.bucket!);
        const body = await readSmall(req);
        const keys = [...body.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) =>
          m[1]!
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>')
            .replace(/&quot;/g, '"')
            .replace(/&amp;/g, '&'),
        );
        for (const k of keys) {
          const o = b.objects.get(k);
          b.objects.delete(k);
          if (o) await storage.free(o.blob);
        }
        const quiet = /<Quiet>true<\/Quiet>/.test(body);
        return xmlAnswer(
          200,
          `<DeleteResult xmlns="${NS}">${quiet ? '' : keys.map((k) => `<Deleted>${el({ Key: k })}</Deleted>`).join('')}</DeleteResult>`,
        );
      }
      case 'CreateMultipartUpload': {
        const b = bucketOf(t.bucket!);
        await readSmall(req);
        const algorithm = requestedAlgorithm(req);
        const checksumType = String(req.headers['x-amz-checksum-type'] ?? 'COMPOSITE').toUpperCase();
        if (checksumType !== 'COMPOSITE' && checksumType !== 'FULL_OBJECT') {
          throw new S3Error(400, 'InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
        }
        if (checksumType === 'FULL_OBJECT' && algorithm !== 'CRC32' && algorithm !== 'CRC32C') {
          throw new S3Error(
            400,
            'InvalidRequest',
            `The FULL_OBJECT checksum type cannot be used with the ${algorithm ?? 'absent'} checksum algorithm.`,
          );
        }
        const id = randomBytes(24).toString('base64url');
        b.uploads.set(id, {
          id,
          key: t.key!,
          initiated: new Date(),
          contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
          metadata: metadataOf(req),
          algorithm,
          checksumType: checksumType as Upload['checksumType'],
          parts: new Map(),
        });
        return xmlAnswer(
          200,
          `<InitiateMultipartUploadResult xmlns="${NS}">${el({ Bucket: b.name, Key: t.key!, UploadId: id })}</InitiateMultipartUploadResult>`,
          algorithm ? { 'x-amz-checksum-algorithm': algorithm, 'x-amz-checksum-type': checksumType } : {},
        );
      }
      case 'UploadPart':
        return uploadPart(req, bucketOf(t.bucket!), t.key!, q, auth);
      case 'CompleteMultipartUpload':
        return complete(req, bucketOf(t.bucket!), t.key!, q.get('uploadId'));
      case 'AbortMultipartUpload': {
        const b = bucketOf(t.bucket!);
        const u = uploadOf(b, t.key!, q.get('uploadId'));
        b.uploads.delete(u.id);
        for (const p of u.parts.values()) await storage.free(p.blob);
        return { status: 204 };
      }
      case 'ListParts':
        return listParts(bucketOf(t.bucket!), t.key!, q);
      case 'ListMultipartUploads':
        return listUploads(bucketOf(t.bucket!), q);
      default:
        throw new S3Error(
          501,
          'NotImplemented',
          'A header or operation you provided implies functionality that is not implemented.',
        );
    }
  }

  function list(b: Bucket, q: URLSearchParams, v2: boolean): Answer {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeys = Math.min(1000, Math.max(0, Number(q.get('max-keys') ?? 1000) || 0));
    const token = q.get('continuation-token');
    const startAfter = q.get('start-after') ?? '';
    const marker = v2 ? (token !== null ? decodeToken(token) : startAfter) : (q.get('marker') ?? '');
    const page = listKeys([...b.objects.keys()].sort(), { prefix, delimiter, maxKeys, after: marker });
    const url = q.get('encoding-type') === 'url';
    const enc = (s: string) => (url ? encodeURIComponent(s) : s);
    const contents = page.keys
      .map((k) => {
        const o = b.objects.get(k)!;
        return `<Contents>${el({
          Key: enc(k),
          LastModified: iso(o.lastModified),
          ETag: o.etag,
          Size: o.size,
          StorageClass: STORAGE_CLASS,
        })}${o.checksum ? `<ChecksumAlgorithm>${o.checksum.algorithm}</ChecksumAlgorithm>` : ''}</Contents>`;
      })
      .join('');
    const prefixes = page.commonPrefixes
      .map((p) => `<CommonPrefixes>${el({ Prefix: enc(p) })}</CommonPrefixes>`)
      .join('');
    const head = v2
      ? el({
          Name: b.name,
          Prefix: enc(prefix),
          Delimiter: delimiter ? enc(delimiter) : undefined,
          MaxKeys: maxKeys,
          KeyCount: page.keys.length + page.commonPrefixes.length,
          IsTruncated: page.truncated,
          ContinuationToken: token ?? undefined,
          NextContinuationToken: page.truncated ? encodeToken(page.next!) : undefined,
          StartAfter: startAfter ? enc(startAfter) : undefined,
          EncodingType: url ? 'url' : undefined,
        })
      : el({
          Name: b.name,
          Prefix: enc(prefix),
          Marker: enc(marker),
          Delimiter: delimiter ? enc(delimiter) : undefined,
          MaxKeys: maxKeys,
          IsTruncated: page.truncated,
          NextMarker: page.truncated && delimiter ? enc(page.next!) : undefined,
          EncodingType: url ? 'url' : undefined,
        });
    return xmlAnswer(200, `<ListBucketResult xmlns="${NS}">${head}${contents}${prefixes}</ListBucketResult>`);
  }

  /** `If-None-Match: *` on a write: only when no object has the key (S3's conditional writes). */
  function refuseIfExists(req: IncomingMessage, b: Bucket, key: string) {
    if (req.headers['if-none-match'] === '*' && b.objects.has(key)) {
      throw new S3Error(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
      );
    }
  }

  async function putObject(
    req: IncomingMessage,
    b: Bucket,
    key: string,
    auth: Authenticated,
  ): Promise<Answer> {
    if (req.headers['x-amz-copy-source']) {
      throw new S3Error(501, 'NotImplemented', 'CopyObject is not implemented by the simulator.');
    }
    refuseIfExists(req, b, key);
    const body = await receiveBody(req, auth, storage, {
      maxSize: MAX_PART_SIZE,
      cutAfter: faults.cutFor('PutObject'),
    });
    const obj: S3Object = {
      key,
      blob: body.blob,
      size: body.blob.size,
      etag: `"${body.md5}"`,
      lastModified: new Date(),
      contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
      metadata: metadataOf(req),
      checksum: body.checksum && { ...body.checksum, type: 'FULL_OBJECT' },
    };
    if (!buckets.has(b.name)) {
      await storage.free(body.blob);
      bucketOf(b.name);
    }
    try {
      refuseIfExists(req, b, key);
    } catch (err) {
      await storage.free(body.blob);
      throw err;
    }
    await replaceObject(b, obj);
    const headers: Record<string, string> = { etag: obj.etag };
    if (body.checksum) {
      headers[headerOf(body.checksum.algorithm)] = body.checksum.value;
      headers['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    return { status: 200, headers };
  }

  async function uploadPart(
    req: IncomingMessage,
    b: Bucket,
    key: string,
    q: URLSearchParams,
    auth: Authenticated,
  ): Promise<Answer> {
    const n = parsePartNumber(q.get('partNumber'));
    const u = uploadOf(b, key, q.get('uploadId'));
    const body = await receiveBody(req, auth, storage, {
      maxSize: MAX_PART_SIZE,
      required: u.algorithm,
      cutAfter: faults.cutFor('UploadPart'),
    });
    // Aborted or completed while the body was arriving: the part has nowhere to go.
    if (b.uploads.get(u.id) !== u) {
      await storage.free(body.blob);
      uploadOf(b, key, null);
    }
    const old = u.parts.get(n);
    u.parts.set(n, {
      n,
      etag: `"${body.md5}"`,
      size: body.blob.size,
      checksum: body.checksum?.value,
      blob: body.blob,
      lastModified: new Date(),
    });
    if (old) await storage.free(old.blob);
    const headers: Record<string, string> = { etag: `"${body.md5}"` };
    if (body.checksum) headers[headerOf(body.checksum.algorithm)] = body.checksum.value;
    return { status: 200, headers };
  }

  async function complete(req: IncomingMessage, b: Bucket, key: string, id: string | null): Promise<Answer> {
    const u = uploadOf(b, key, id);
    refuseIfExists(req, b, key);
    const requested = parseCompleteParts(await readSmall(req));
    if (!requested) {
      throw new S3Error(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    const chosen = partsToComplete(requested, u.parts, u.algorithm, minPartSize);
    const checksum = await objectChecksum(req, u, chosen);
    const declaredSize = req.headers['x-amz-mp-object-size'];
    const blobs = chosen.map((p) => u.parts.get(p.n)!.blob);
    const blob: Blob = {
      segments: blobs.flatMap((x) => x.segments),
      size: blobs.reduce((s, x) => s + x.size, 0),
    };
    if (declaredSize !== undefined && Number(declaredSize) !== blob.size) {
      throw new S3Error(
        400,
        'InvalidRequest',
        `The provided x-amz-mp-object-size header value ${declaredSize} does not match the object size ${blob.size}.`,
      );
    }
    if (blob.size > MAX_OBJECT) {
      throw new S3Error(
        400,
        'EntityTooLarge',
        'Your proposed upload exceeds the maximum allowed object size.',
      );
    }
    b.uploads.delete(u.id);
    const kept = new Set(chosen.map((p) => p.n));
    for (const p of u.parts.values()) if (!kept.has(p.n)) await storage.free(p.blob);
    const etag = `"${multipartEtag(chosen.map((p) => p.etag.replace(/"/g, '')))}"`;
    await replaceObject(b, {
      key,
      blob,
      size: blob.size,
      etag,
      lastModified: new Date(),
      contentType: u.contentType,
      metadata: u.metadata,
      checksum,
      parts: chosen.map((p) => ({ n: p.n, size: p.size, checksum: p.checksum })),
    });
    const location = `${opts.tls ? 'https' : 'http'}://${host}/${encodeURIComponent(b.name)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    return xmlAnswer(
      200,
      `<CompleteMultipartUploadResult xmlns="${NS}">${el({ Location: location, Bucket: b.name, Key: key, ETag: etag })}${checksumXml(
        checksum?.algorithm,
        checksum?.value,
      )}${checksum ? el({ ChecksumType: checksum.type }) : ''}</CompleteMultipartUploadResult>`,
    );
  }

  /**
   * The object checksum of a completed upload: COMPOSITE (checksum of the part checksums, `-N`)
   * or FULL_OBJECT (the CRC of the whole object, combined from the part CRCs), checked against
   * the one the Complete request sends, if any.
   */
  async function objectChecksum(
    req: IncomingMessage,
    u: Upload,
    chosen: StoredPart[],
  ): Promise<ObjectChecksum | undefined> {
    const alg = u.algorithm;
    if (!alg || chosen.some((p) => p.checksum === undefined)) return undefined;
    const parts = chosen as (StoredPart & { checksum: string })[];
    const value =
      u.checksumType === 'FULL_OBJECT'
        ? combinedCrc(alg as 'CRC32' | 'CRC32C', parts)
        : await compositeChecksum(
            alg,
            parts.map((p) => p.checksum),
          );
    const given = req.headers[headerOf(alg)];
    if (typeof given === 'string' && given.replace(/-\d+$/, '') !== value.replace(/-\d+$/, '')) {
      throw new S3Error(
        400,
        'BadDigest',
        `The ${alg.toLowerCase()} you specified did not match the calculated checksum.`,
      );
    }
    return { algorithm: alg, value, type: u.checksumType };
  }

  function listParts(b: Bucket, key: string, q: URLSearchParams): Answer {
    const u = uploadOf(b, key, q.get('uploadId'));
    const max = Math.min(1000, Math.max(0, Number(q.get('max-parts') ?? 1000) || 0));
    const marker = Number(q.get('part-number-marker') ?? 0) || 0;
    const sorted = [...u.parts.values()].sort((x, y) => x.n - y.n);
    const page = pageAfter(sorted, marker, max);
    const parts = page.items
      .map(
        (p) =>
          `<Part>${el({ PartNumber: p.n, LastModified: iso(p.lastModified), ETag: p.etag, Size: p.size })}${checksumXml(u.algorithm, p.checksum)}</Part>`,
      )
      .join('');
    return xmlAnswer(
      200,
      `<ListPartsResult xmlns="${NS}">${el({
        Bucket: b.name,
        Key: key,
        UploadId: u.id,
        PartNumberMarker: marker,
        NextPartNumberMarker: page.next,
        MaxParts: max,
        IsTruncated: page.truncated,
        StorageClass: STORAGE_CLASS,
        ChecksumAlgorithm: u.algorithm,
        ChecksumType: u.algorithm ? u.checksumType : undefined,
      })}${parts}</ListPartsResult>`,
    );
  }

  function listUploads(b: Bucket, q: URLSearchParams): Answer {
    const prefix = q.get('prefix') ?? '';
    const keyMarker = q.get('key-marker') ?? '';
    const idMarker = q.get('upload-id-marker') ?? '';
    const max = Math.min(1000, Math.max(0, Number(q.get('max-uploads') ?? 1000) || 0));
    const all = [...b.uploads.values()]
      .filter((u) => u.key.startsWith(prefix))
      .filter((u) => u.key > keyMarker || (idMarker !== '' && u.key === keyMarker && u.id > idMarker))
      .sort((x, y) => (x.key === y.key ? (x.id < y.id ? -1 : 1) : x.key < y.key ? -1 : 1));
    const items = all.slice(0, max);
    const truncated = all.length > items.length;
    const last = items[items.length - 1];
    const uploads = items
      .map(
        (u) =>
          `<Upload>${el({ Key: u.key, UploadId: u.id, StorageClass: STORAGE_CLASS, Initiated: iso(u.initiated), ChecksumAlgorithm: u.algorithm })}</Upload>`,
      )
      .join('');
    return xmlAnswer(
      200,
      `<ListMultipartUploadsResult xmlns="${NS}">${el({
        Bucket: b.name,
        KeyMarker: keyMarker,
        UploadIdMarker: idMarker,
        NextKeyMarker: truncated ? last?.key : undefined,
        NextUploadIdMarker: truncated ? last?.id : undefined,
        Prefix: prefix,
        MaxUploads: max,
        IsTruncated: truncated,
      })}${uploads}</ListMultipartUploadsResult>`,
    );
  }

  function attributes(req: IncomingMessage, b: Bucket, key: string): Answer {
    const o = b.objects.get(key);
    if (!o) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    const wanted = new Set(
      String(req.headers['x-amz-object-attributes'] ?? '')
        .split(',')
        .map((s) => s.trim()),
    );
    let out = '';
    if (wanted.has('ETag')) out += el({ ETag: o.etag.replace(/"/g, '') });
    if (wanted.has('Checksum') && o.checksum) {
      out += `<Checksum>${checksumXml(o.checksum.algorithm, o.checksum.value.replace(/-\d+$/, ''))}${el({ ChecksumType: o.checksum.type })}</Checksum>`;
    }
    if (wanted.has('ObjectParts') && o.parts) {
      out += `<ObjectParts>${el({ TotalPartsCount: o.parts.length, PartsCount: o.parts.length })}</ObjectParts>`;
    }
    if (wanted.has('StorageClass')) out += el({ StorageClass: STORAGE_CLASS });
    if (wanted.has('ObjectSize')) out += el({ ObjectSize: o.size });
    return xmlAnswer(200, `<GetObjectAttributesResponse xmlns="${NS}">${out}</GetObjectAttributesResponse>`, {
      'last-modified': o.lastModified.toUTCString(),
    });
  }

  const secretOf = (ak: string) => (credentials as Record<string, string>)[ak];

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const id = requestId();
    const url = new URL(req.url ?? '/', 'http://s3sim');
    const t = target(req, url, suffixes);
    const op = operationOf(req.method ?? 'GET', t, url.searchParams);
    const call: S3Call = { operation: op, status: 0, bucket: t.bucket, key: t.key };
    calls.push(call);
    const send = async (a: Answer) => {
      call.status = a.status;
      const headers: Record<string, string | number> = {
        'x-amz-request-id': id,
        'x-amz-id-2': id,
        server: 'AmazonS3',
        ...a.headers,
      };
      if (typeof a.body === 'string') headers['content-length'] = Buffer.byteLength(a.body);
      else if (a.body === undefined && headers['content-length'] === undefined) headers['content-length'] = 0;
      res.writeHead(a.status, headers);
      if (req.method === 'HEAD' || a.body === undefined) res.end();
      else if (typeof a.body === 'string') res.end(a.body);
      else await pipeline(Readable.from(a.body), res);
    };
    const fail = async (e: S3Error) => {
      if (!req.complete) req.resume();
      const a = xmlAnswer(e.status, errorXml(e, url.pathname, id));
      // HEAD answers carry no body; the SDK reads the status alone (e.g. NotFound).
      await send(req.method === 'HEAD' ? { status: e.status, headers: { 'x-amz-error-code': e.code } } : a);
    };
    try {
      if (t.badUri) throw new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.");
      const delay = faults.delayFor(op);
      if (delay) await sleep(delay);
      const injected = faults.errorFor(op);
      if (injected === 500)
        throw new S3Error(500, 'InternalError', 'We encountered an internal error. Please try again.');
      if (injected === 503) throw new S3Error(503, 'SlowDown', 'Please reduce your request rate.');
      const auth = authenticate(req.method ?? 'GET', url, req.headers, secretOf);
      await send(await handle(req, url, t, op, auth));
    } catch (err) {
      if (err instanceof S3Error) return fail(err);
      if (err instanceof ConnectionCut || req.destroyed || res.destroyed) {
        call.status = -1;
        res.destroy();
        return;
      }
      await fail(
        new S3Error(500, 'InternalError', `We encountered an internal error: ${(err as Error).message}`),
      );
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch(() => res.destroy());
  };
  const server = opts.tls ? createHttpsServer(opts.tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  host = `${opts.host ?? '127.0.0.1'}:${port}`;

  return {
    endpoint: `${opts.tls ? 'https' : 'http'}://${host}`,
    port,
    faults,
    calls,
    async objectBytes(bucket, key) {
      const o = buckets.get(bucket)?.objects.get(key);
      if (!o) return undefined;
      const out: Buffer[] = [];
      if (o.size > 0) for await (const c of readRange(o.blob, 0, o.size - 1)) out.push(c);
      return Buffer.concat(out);
    },
    openUploads() {
      return [...buckets.values()].flatMap((b) =>
        [...b.uploads.values()].map((u) => ({ bucket: b.name, key: u.key, uploadId: u.id })),
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
