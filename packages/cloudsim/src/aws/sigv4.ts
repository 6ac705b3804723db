import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SimRequest } from '../server.ts';

export type SigV4Check =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | { ok: false; code: string; message: string; accessKeyId?: string };

const hmac = (key: string | Buffer, msg: string) => createHmac('sha256', key).update(msg).digest();
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * AWS Signature Version 4 as the v3 SDK computes it: canonical request (path encoded once for
 * S3 and twice for other services, sorted encoded query, signed headers, payload hash), then
 * the date/region/service/aws4_request key chain.
 */
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
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const encode = (segment: string) => (service === 's3' ? rfc3986(segment) : rfc3986(rfc3986(segment)));
  const path = req.url.pathname
    .split('/')
    .map((s) => encode(decodeURIComponent(s)))
    .join('/');
  const query = [...req.url.searchParams.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders!.split(';');
  const headers = names
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payload = String(req.headers['x-amz-content-sha256'] ?? sha256(req.body));
  const canonical = [req.method, path, query, headers, signedHeaders, payload].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
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
  return { ok: true, accessKeyId: accessKeyId!, region: region!, service: service! };
}
