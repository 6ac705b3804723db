import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Authenticated } from './auth.ts';
import {
  algorithmOfHeader,
  type ChecksumAlgorithm,
  type Hasher,
  headerOf,
  isWellFormed,
  newHasher,
} from './checksums.ts';
import { ChunkedDecoder } from './chunked.ts';
import { S3Error } from './errors.ts';
import type { Blob, Storage } from './storage.ts';

export interface ReceivedBody {
  blob: Blob;
  md5: string;
  /** The additional checksum computed and verified, when the request asked for one. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/** Thrown when the cut fault destroyed the connection: nothing is stored and nothing answered. */
export class ConnectionCut extends Error {}

const header = (h: IncomingHttpHeaders, name: string) => {
  const v = h[name];
  return typeof v === 'string' ? v : undefined;
};

/** The checksum a request declares: a header, a trailer it announces, or the SDK's algorithm header. */
function declaredAlgorithm(h: IncomingHttpHeaders): ChecksumAlgorithm | undefined {
  const inHeader = Object.keys(h)
    .map(algorithmOfHeader)
    .find((a) => a);
  if (inHeader) return inHeader;
  const trailer = header(h, 'x-amz-trailer');
  if (trailer) {
    const a = algorithmOfHeader(trailer.trim());
    if (!a) throw new S3Error(400, 'InvalidRequest', `Unsupported trailer ${trailer}`);
    return a;
  }
  const sdk = header(h, 'x-amz-sdk-checksum-algorithm')?.toUpperCase();
  if (sdk && !algorithmOfHeader(`x-amz-checksum-${sdk.toLowerCase()}`)) {
    throw new S3Error(400, 'InvalidRequest', `Value for x-amz-sdk-checksum-algorithm header is invalid.`);
  }
  return sdk as ChecksumAlgorithm | undefined;
}

const STREAMING = new Set([
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
]);

/**
 * Streams a PutObject/UploadPart body into storage while checking it as S3 does: the SigV4
 * payload hash or the aws-chunked chunk signatures, the decoded length, Content-MD5 and the
 * additional checksum (header or trailer). On any failure the stored bytes are discarded.
 */
export async function receiveBody(
  req: IncomingMessage,
  auth: Authenticated,
  storage: Storage,
  opts: { required?: ChecksumAlgorithm; maxSize: number; cutAfter?: number },
): Promise<ReceivedBody> {
  const h = req.headers;
  const payload = auth.payload;
  const streaming = payload.startsWith('STREAMING-');
  if (streaming && !STREAMING.has(payload)) {
    throw new S3Error(400, 'InvalidArgument', `Unsupported x-amz-content-sha256 value ${payload}`);
  }
  if (!streaming && payload !== 'UNSIGNED-PAYLOAD' && !/^[0-9a-f]{64}$/.test(payload)) {
    throw new S3Error(
      400,
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 value.',
    );
  }
  const length = Number(
    header(h, streaming ? 'x-amz-decoded-content-length' : 'content-length') ?? Number.NaN,
  );
  if (streaming && !Number.isFinite(length)) {
    throw new S3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
  }
  if (length > opts.maxSize) {
    throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
  }
  const algorithm = declaredAlgorithm(h);
  if (opts.required && algorithm && algorithm !== opts.required) {
    throw new S3Error(
      400,
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${opts.required.toLowerCase()}, actual checksum Type: ${algorithm.toLowerCase()}`,
    );
  }
  const headerValue = algorithm ? header(h, headerOf(algorithm)) : undefined;
  if (algorithm && headerValue !== undefined && !isWellFormed(algorithm, headerValue)) {
    throw new S3Error(400, 'InvalidRequest', `Value for ${headerOf(algorithm)} header is invalid.`);
  }
  const contentMd5 = header(h, 'content-md5');
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').length !== 16) {
    throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.');
  }

  const decoder = streaming
    ? new ChunkedDecoder(payload === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' ? undefined : auth.signing)
    : undefined;
  const md5 = createHash('md5');
  const rawSha = /^[0-9a-f]{64}$/.test(payload) ? createHash('sha256') : undefined;
  const used = algorithm ?? opts.required;
  const checksum: Hasher | undefined = used ? newHasher(used) : undefined;
  const writer = await storage.writer();
  let raw = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      raw += chunk.length;
      if (opts.cutAfter !== undefined && raw >= opts.cutAfter) {
        req.destroy();
        throw new ConnectionCut();
      }
      rawSha?.update(chunk);
      for (const piece of decoder ? decoder.push(chunk) : [chunk]) {
        md5.update(piece);
        checksum?.update(piece);
        await writer.write(piece);
      }
    }
    if (req.readableAborted || !req.complete) throw new ConnectionCut();
    decoder?.end();
    if (decoder && decoder.decodedLength !== length) {
      throw new S3Error(
        400,
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header',
      );
    }
    if (payload === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' && !decoder?.trailerSigned) {
      throw new S3Error(403, 'SignatureDoesNotMatch', 'The trailer signature is missing.');
    }
    if (rawSha && rawSha.digest('hex') !== payload) {
      throw new S3Error(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    const md5Raw = md5.digest();
    if (contentMd5 !== undefined && md5Raw.toString('base64') !== contentMd5) {
      throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    let result: ReceivedBody['checksum'];
    if (used && checksum) {
      const value = (await checksum.digest()).toString('base64');
      const given = headerValue ?? (algorithm ? decoder?.trailers[headerOf(algorithm)] : undefined);
      if (given !== undefined && !isWellFormed(used, given)) {
        throw new S3Error(400, 'InvalidRequest', `Value for ${headerOf(used)} trailing header is invalid.`);
      }
      if (given !== undefined && given !== value) {
        throw new S3Error(
          400,
          'BadDigest',
          `The ${used} you specified did not match the calculated checksum.`,
        );
      }
      if (given === undefined && algorithm && header(h, 'x-amz-trailer')) {
        throw new S3Error(
          400,
          'InvalidRequest',
          `The trailer ${headerOf(algorithm)} was announced but not sent.`,
        );
      }
      result = { algorithm: used, value };
    }
    return { blob: await writer.finish(), md5: md5Raw.toString('hex'), checksum: result };
  } catch (err) {
    await writer.discard();
    throw err;
  }
}
