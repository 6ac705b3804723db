import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SimRequest } from '../server.ts';

export type SignatureCheck =
  | { ok: true; secretId: string }
  | { ok: false; code: string; message: string; secretId?: string };

const sha256hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, msg: string) => createHmac('sha256', key).update(msg).digest();
const safeEqual = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * TC3-HMAC-SHA256 (Tencent Cloud API 3.0): canonical request over method, path, query, the
 * signed content-type and host headers and the body hash; key derived from date, service and
 * `tc3_request`. The service is read from the credential scope, since SDKs derive it from the
 * endpoint's first label.
 */
export function verifyTc3(
  req: SimRequest,
  secretOf: (id: string) => string | undefined,
  now = Date.now(),
): SignatureCheck {
  const m =
    /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(req.headers.authorization ?? ''),
    );
  if (!m)
    return {
      ok: false,
      code: 'AuthFailure.SignatureFailure',
      message: 'The Authorization header is malformed.',
    };
  const [, secretId, date, service, signedHeaders, signature] = m as unknown as string[];
  const secretKey = secretOf(secretId!);
  if (secretKey === undefined)
    return {
      ok: false,
      code: 'AuthFailure.SecretIdNotFound',
      message: 'The SecretId is not found.',
      secretId,
    };
  const timestamp = Number(req.headers['x-tc-timestamp']);
  if (!Number.isFinite(timestamp) || Math.abs(now / 1000 - timestamp) > 300) {
    return {
      ok: false,
      code: 'AuthFailure.SignatureExpire',
      message: 'The request timestamp is more than 5 minutes off.',
      secretId,
    };
  }
  if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date) {
    return {
      ok: false,
      code: 'AuthFailure.SignatureFailure',
      message: 'The credential date does not match X-TC-Timestamp.',
      secretId,
    };
  }
  const hostname = String(req.headers.host ?? '').replace(/:\d+$/, '');
  const headerValue: Record<string, string> = {
    'content-type': String(req.headers['content-type'] ?? ''),
    host: hostname,
  };
  const names = signedHeaders!.split(';');
  const canonical = [
    req.method,
    req.url.pathname,
    req.url.search.slice(1),
    names.map((h) => `${h}:${headerValue[h] ?? String(req.headers[h] ?? '')}\n`).join(''),
    signedHeaders,
    sha256hex(req.body),
  ].join('\n');
  const toSign = [
    'TC3-HMAC-SHA256',
    String(timestamp),
    `${date}/${service}/tc3_request`,
    sha256hex(canonical),
  ].join('\n');
  const key = hmac(hmac(hmac(`TC3${secretKey}`, date!), service!), 'tc3_request');
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  if (!safeEqual(expected, signature!)) {
    return {
      ok: false,
      code: 'AuthFailure.SignatureFailure',
      message: 'The provided credentials could not be validated.',
      secretId,
    };
  }
  return { ok: true, secretId: secretId! };
}

const camEncode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * COS XML API signature (`q-sign-algorithm=sha1&…`). The SDK signs the virtual-host name
 * `<bucket>.cos.<region>.myqcloud.com` when it has one, the request's host otherwise; both are
 * accepted, the HMAC chain is checked either way.
 */
export function verifyCos(
  req: SimRequest,
  secretOf: (id: string) => string | undefined,
  hostCandidates: string[],
  pathCandidates: string[],
): SignatureCheck {
  const auth = new URLSearchParams(String(req.headers.authorization ?? ''));
  const secretId = auth.get('q-ak') ?? '';
  const keyTime = auth.get('q-key-time') ?? '';
  const signTime = auth.get('q-sign-time') ?? '';
  const signature = auth.get('q-signature') ?? '';
  if (auth.get('q-sign-algorithm') !== 'sha1' || !secretId || !signature) {
    return { ok: false, code: 'AccessDenied', message: 'Authorization is missing or malformed.' };
  }
  const secretKey = secretOf(secretId);
  if (secretKey === undefined)
    return {
      ok: false,
      code: 'InvalidAccessKeyId',
      message: 'The access key Id format you provided is invalid.',
      secretId,
    };
  const [, end] = signTime.split(';').map(Number);
  if (!end || end * 1000 < Date.now())
    return { ok: false, code: 'AccessDenied', message: 'Request has expired', secretId };
  const headerList = (auth.get('q-header-list') ?? '').split(';').filter(Boolean);
  const paramList = (auth.get('q-url-param-list') ?? '').split(';').filter(Boolean);
  const params = paramList
    .map((k) => `${camEncode(k).toLowerCase()}=${camEncode(req.url.searchParams.get(k) ?? '')}`)
    .join('&');
  const signKey = createHmac('sha1', secretKey).update(keyTime).digest('hex');
  for (const host of hostCandidates) {
    for (const path of pathCandidates) {
      const headers = headerList
        .map(
          (h) =>
            `${camEncode(h).toLowerCase()}=${camEncode(h === 'host' ? host : String(req.headers[h] ?? ''))}`,
        )
        .join('&');
      const format = [req.method.toLowerCase(), path, params, headers, ''].join('\n');
      const toSign = ['sha1', signTime, createHash('sha1').update(format).digest('hex'), ''].join('\n');
      if (createHmac('sha1', signKey).update(toSign).digest('hex') === signature)
        return { ok: true, secretId };
    }
  }
  return {
    ok: false,
    code: 'SignatureDoesNotMatch',
    message: 'The Signature you specified is invalid.',
    secretId,
  };
}
