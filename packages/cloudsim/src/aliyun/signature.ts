import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SimRequest } from '../server.ts';

/** RFC 3986 encoding as Aliyun's OpenAPI signer applies it. */
export function acsEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const safeEqual = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export type SignatureCheck =
  | { ok: true; accessKeyId: string }
  | { ok: false; code: string; message: string; accessKeyId?: string };

/**
 * Verifies an ACS3-HMAC-SHA256 request (Aliyun OpenAPI V3 signature): the canonical request is
 * method, path, sorted encoded query, the signed headers, and the body hash the client sent,
 * which must match the body.
 */
export function verifyAcs3(req: SimRequest, secretOf: (ak: string) => string | undefined): SignatureCheck {
  const auth = String(req.headers.authorization ?? '');
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(auth);
  if (!m)
    return {
      ok: false,
      code: 'MissingAuthorization',
      message: 'Authorization header is missing or malformed.',
    };
  const [, accessKeyId, signedHeaders, signature] = m as unknown as [string, string, string, string];
  const secret = secretOf(accessKeyId);
  if (secret === undefined) {
    return {
      ok: false,
      code: 'InvalidAccessKeyId.NotFound',
      message: 'Specified access key is not found.',
      accessKeyId,
    };
  }
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  if (req.headers['x-acs-content-sha256'] !== bodyHash) {
    return {
      ok: false,
      code: 'IncompleteSignature',
      message: 'The request body hash does not match x-acs-content-sha256.',
      accessKeyId,
    };
  }
  const query = [...req.url.searchParams.keys()]
    .sort()
    .map((k) => `${k}=${acsEncode(req.url.searchParams.get(k) ?? '')}`)
    .join('&');
  const names = signedHeaders.split(';');
  const headers = names.map((h) => `${h}:${String(req.headers[h] ?? '').trim()}\n`).join('');
  const canonical = [req.method, req.url.pathname, query, headers, signedHeaders, bodyHash].join('\n');
  const toSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`;
  const expected = createHmac('sha256', secret).update(toSign).digest('hex');
  if (!safeEqual(expected, signature)) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'Specified signature is not matched with our calculation.',
      accessKeyId,
    };
  }
  return { ok: true, accessKeyId };
}

/** OSS sub-resources that are part of the signed resource (V1 signature). */
const OSS_SUBRESOURCES = [
  'acl',
  'location',
  'tagging',
  'logging',
  'website',
  'lifecycle',
  'referer',
  'cors',
  'stat',
  'bucketInfo',
];

/**
 * Verifies an OSS V1 signature (`OSS <ak>:<base64 hmac-sha1>`) over method, Content-MD5,
 * Content-Type, date, the x-oss-* headers and the resource (`/bucket/` plus sub-resources).
 */
export function verifyOssV1(req: SimRequest, secretOf: (ak: string) => string | undefined): SignatureCheck {
  const m = /^OSS ([^:]+):(.+)$/.exec(String(req.headers.authorization ?? ''));
  if (!m)
    return { ok: false, code: 'AccessDenied', message: 'Authorization header is missing or malformed.' };
  const [, accessKeyId, signature] = m as unknown as [string, string, string];
  const secret = secretOf(accessKeyId);
  if (secret === undefined)
    return {
      ok: false,
      code: 'InvalidAccessKeyId',
      message: 'The OSS Access Key Id you provided does not exist in our records.',
      accessKeyId,
    };
  const ossHeaders = Object.keys(req.headers)
    .filter((h) => h.startsWith('x-oss-'))
    .sort()
    .map((h) => `${h}:${String(req.headers[h]).trim()}`);
  const sub = OSS_SUBRESOURCES.filter((k) => req.url.searchParams.has(k)).sort();
  const subText = sub
    .map((k) => (req.url.searchParams.get(k) ? `${k}=${req.url.searchParams.get(k)}` : k))
    .join('&');
  const resource = `${decodeURIComponent(req.url.pathname)}${subText ? `?${subText}` : ''}`;
  const toSign = [
    req.method,
    String(req.headers['content-md5'] ?? ''),
    String(req.headers['content-type'] ?? ''),
    String(req.headers['x-oss-date'] ?? req.headers.date ?? ''),
    ...ossHeaders,
    resource,
  ].join('\n');
  const expected = createHmac('sha1', secret).update(toSign, 'utf8').digest('base64');
  if (!safeEqual(expected, signature)) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
      accessKeyId,
    };
  }
  return { ok: true, accessKeyId };
}
