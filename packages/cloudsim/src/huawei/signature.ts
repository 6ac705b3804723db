import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SimRequest } from '../server.ts';

export type SignatureCheck =
  | { ok: true; accessKeyId: string }
  | { ok: false; code: string; message: string; accessKeyId?: string };

const sha256hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const safeEqual = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** RFC 3986 unreserved characters stay, everything else is %XX (upper case), as the SDK signer encodes. */
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function sdkDateMs(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

/**
 * SDK-HMAC-SHA256 (Huawei Cloud API Gateway AK/SK): canonical request over the method, the
 * path with a trailing slash, the sorted query, every signed header and the body hash; signed
 * with the secret key directly, dated by `X-Sdk-Date` (15 minutes of skew allowed).
 */
export function verifySdkHmac(
  req: SimRequest,
  secretOf: (ak: string) => string | undefined,
  now = Date.now(),
): SignatureCheck {
  const m = /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    String(req.headers.authorization ?? ''),
  );
  if (!m)
    return {
      ok: false,
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: Authorization format incorrect',
    };
  const [, ak, signedHeaders, signature] = m as unknown as string[];
  const sk = secretOf(ak!);
  if (sk === undefined)
    return {
      ok: false,
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: ak not found',
      accessKeyId: ak,
    };
  const date = String(req.headers['x-sdk-date'] ?? '');
  const at = sdkDateMs(date);
  if (!Number.isFinite(at) || Math.abs(now - at) > 15 * 60_000)
    return {
      ok: false,
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: X-Sdk-Date is missing or more than 15 minutes off',
      accessKeyId: ak,
    };
  let path = req.url.pathname
    .split('/')
    .map((seg) => encode(decodeURIComponent(seg)))
    .join('/');
  if (!path.endsWith('/')) path += '/';
  const query = [...req.url.searchParams.entries()]
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join('&');
  const names = signedHeaders!.split(';');
  const canonical = [
    req.method,
    path,
    query,
    names.map((h) => `${h}:${String(req.headers[h] ?? '')}\n`).join(''),
    signedHeaders,
    sha256hex(req.body),
  ].join('\n');
  const toSign = ['SDK-HMAC-SHA256', date, sha256hex(canonical)].join('\n');
  const expected = createHmac('sha256', sk).update(toSign).digest('hex');
  if (!names.includes('x-sdk-date') || !safeEqual(expected, signature!))
    return {
      ok: false,
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information: verify aksk signature fail',
      accessKeyId: ak,
    };
  return { ok: true, accessKeyId: ak! };
}

/**
 * OBS header signature, in both forms the OBS SDK sends: `OBS ak:sig` with `x-obs-*` headers
 * (virtual-host endpoints) and the S3-compatible `AWS ak:sig` with `x-amz-*` headers (IP
 * endpoints). HMAC-SHA1 over method, Content-MD5, Content-Type, Date, the canonical prefixed
 * headers and the resource path.
 */
export function verifyObs(
  req: SimRequest,
  secretOf: (ak: string) => string | undefined,
  now = Date.now(),
): SignatureCheck {
  const m = /^(OBS|AWS) ([^:]+):(.+)$/.exec(String(req.headers.authorization ?? ''));
  if (!m)
    return { ok: false, code: 'AccessDenied', message: 'Authorization header is missing or malformed.' };
  const [, scheme, ak, signature] = m as unknown as string[];
  const sk = secretOf(ak!);
  if (sk === undefined)
    return {
      ok: false,
      code: 'InvalidAccessKeyId',
      message: 'The access key Id you provided does not exist in our records.',
      accessKeyId: ak,
    };
  const date = String(req.headers.date ?? '');
  if (Math.abs(now - Date.parse(date)) > 15 * 60_000 || !date)
    return {
      ok: false,
      code: 'RequestTimeTooSkewed',
      message: 'The difference between the request time and the server time is too large.',
      accessKeyId: ak,
    };
  const prefix = scheme === 'OBS' ? 'x-obs-' : 'x-amz-';
  const prefixed = Object.keys(req.headers)
    .filter((h) => h.startsWith(prefix))
    .sort()
    .map((h) => `${h}:${String(req.headers[h])}\n`)
    .join('');
  const toSign = [
    req.method,
    String(req.headers['content-md5'] ?? ''),
    String(req.headers['content-type'] ?? ''),
    date,
    `${prefixed}${req.url.pathname}`,
  ].join('\n');
  const expected = createHmac('sha1', sk).update(toSign).digest('base64');
  if (!safeEqual(expected, signature!))
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
      accessKeyId: ak,
    };
  return { ok: true, accessKeyId: ak! };
}
