import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { signingKey, sigV4Signature, verifySigV4 } from '../aws/sigv4.ts';
import type { ChunkSigning } from './chunked.ts';
import { S3Error, signatureMismatch } from './errors.ts';

export interface Authenticated {
  accessKeyId: string;
  /** `x-amz-content-sha256`: a hex digest, UNSIGNED-PAYLOAD or a STREAMING-… mode. */
  payload: string;
  signing: ChunkSigning;
}

const MAX_SKEW_MS = 15 * 60 * 1000;

const amzTime = (v: string) => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
};

/**
 * SigV4 as S3 checks it: the Authorization header (the payload hash comes from
 * `x-amz-content-sha256`, required by S3) or a presigned URL's query parameters.
 */
export function authenticate(
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  secretOf: (accessKeyId: string) => string | undefined,
  now = Date.now(),
): Authenticated {
  if (url.searchParams.has('X-Amz-Signature')) return presigned(method, url, headers, secretOf, now);
  if (!headers.authorization) throw new S3Error(403, 'AccessDenied', 'Access Denied');
  const payload = headers['x-amz-content-sha256'];
  if (typeof payload !== 'string') {
    throw new S3Error(
      400,
      'InvalidRequest',
      'Missing required header for this request: x-amz-content-sha256',
    );
  }
  const check = verifySigV4({ method, url, headers, body: Buffer.alloc(0) }, secretOf);
  if (!check.ok) {
    if (check.code === 'SignatureDoesNotMatch') throw signatureMismatch();
    if (check.code === 'InvalidClientTokenId') {
      throw new S3Error(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
    }
    throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
  }
  if (!(Math.abs(amzTime(check.amzDate) - now) <= MAX_SKEW_MS)) {
    throw new S3Error(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
  return {
    accessKeyId: check.accessKeyId,
    payload,
    signing: {
      key: signingKey(check.secret, check.date, check.region, check.service),
      amzDate: check.amzDate,
      scope: `${check.date}/${check.region}/${check.service}/aws4_request`,
      seed: check.signature,
    },
  };
}

function presigned(
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  secretOf: (accessKeyId: string) => string | undefined,
  now: number,
): Authenticated {
  const q = url.searchParams;
  const cred = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(q.get('X-Amz-Credential') ?? '');
  const amzDate = q.get('X-Amz-Date') ?? '';
  const expires = Number(q.get('X-Amz-Expires'));
  const signedHeaders = q.get('X-Amz-SignedHeaders');
  if (
    q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' ||
    !cred ||
    !signedHeaders ||
    !Number.isFinite(expires)
  ) {
    throw new S3Error(
      400,
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const [, accessKeyId, date, region, service] = cred as unknown as string[];
  const secret = secretOf(accessKeyId!);
  if (secret === undefined) {
    throw new S3Error(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  }
  const payload = q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  const expected = sigV4Signature({
    secret,
    method,
    url,
    headers,
    signedHeaders,
    payload,
    amzDate,
    date: date!,
    region: region!,
    service: service!,
    skipQuery: 'X-Amz-Signature',
  });
  const given = q.get('X-Amz-Signature') ?? '';
  if (expected.length !== given.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(given))) {
    throw signatureMismatch();
  }
  if (now > amzTime(amzDate) + expires * 1000) throw new S3Error(403, 'AccessDenied', 'Request has expired');
  return {
    accessKeyId: accessKeyId!,
    payload,
    signing: {
      key: signingKey(secret, date!, region!, service!),
      amzDate,
      scope: `${date}/${region}/${service}/aws4_request`,
      seed: given,
    },
  };
}
