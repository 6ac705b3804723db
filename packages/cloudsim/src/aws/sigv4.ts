import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SimRequest } from '../server.ts';

export type SigV4Check =
  | {
      ok: true;
      accessKeyId: string;
      region: string;
      service: string;
      /** What a streaming payload's chunk signatures chain from (the seed) and are scoped to. */
      signature: string;
      date: string;
      amzDate: string;
      secret: string;
    }
  | { ok: false; code: string; message: string; accessKeyId?: string };

const hmac = (key: string | Buffer, msg: string) => createHmac('sha256', key).update(msg).digest();
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export const signingKey = (secret: string, date: string, region: string, service: string) =>
  hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');

export interface SigV4Input {
  secret: string;
  method: string;
  url: URL;
  headers: SimRequest['headers'];
  signedHeaders: string;
  payload: string;
  amzDate: string;
  date: string;
  region: string;
  service: string;
  /** Query parameters left out of the canonical query (a presigned URL's own signature). */
  skipQuery?: string;
}

/**
 * The hex signature of a request: canonical request (path encoded once for S3 and twice for
 * other services, sorted encoded query, signed headers, payload hash), then the
 * date/region/service/aws4_request key chain.
 */
export function sigV4Signature(i: SigV4Input): string {
  const encode = (segment: string) => (i.service === 's3' ? rfc3986(segment) : rfc3986(rfc3986(segment)));
  const path = i.url.pathname
    .split('/')
    .map((s) => encode(decodeURIComponent(s)))
    .join('/');
  const query = [...i.url.searchParams.entries()]
    .filter(([k]) => k !== i.skipQuery)
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = i.signedHeaders
    .split(';')
    .map(
      (h) =>
        `${h}:${String(i.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [i.method, path, query, headers, i.signedHeaders, i.payload].join('\n');
  const scope = `${i.date}/${i.region}/${i.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', i.amzDate, scope, sha256(canonical)].join('\n');
  return createHmac('sha256', signingKey(i.secret, i.date, i.region, i.service))
    .update(toSign)
    .digest('hex');
}

/** AWS Signature Version 4 in the Authorization header, as the v3 SDK computes it. */
export function verifySigV4(req: SimRequest, secretOf: (ak: string) => string | undefined): SigV4Check {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      String(req.headers.authorization ?? ''),
    );
  if (!m)
    return {
      ok: false,
      code: 'MissingAuthenticationToken',
      message: 'Request is missing Authentication Token',
    };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
  const secret = secretOf(accessKeyId!);
  if (secret === undefined) {
    return {
      ok: false,
      code: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
      accessKeyId,
    };
  }
  const expected = sigV4Signature({
    secret,
    method: req.method,
    url: req.url,
    headers: req.headers,
    signedHeaders: signedHeaders!,
    payload: String(req.headers['x-amz-content-sha256'] ?? sha256(req.body)),
    amzDate: String(req.headers['x-amz-date'] ?? ''),
    date: date!,
    region: region!,
    service: service!,
  });
  if (
    expected.length !== signature!.length ||
    !timingSafeEqual(Buffer.from(expected), Buffer.from(signature!))
  ) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
      accessKeyId,
    };
  }
  return {
    ok: true,
    accessKeyId: accessKeyId!,
    region: region!,
    service: service!,
    signature: signature!,
    date: date!,
    amzDate: String(req.headers['x-amz-date'] ?? ''),
    secret,
  };
}
