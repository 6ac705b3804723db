import { randomBytes } from 'node:crypto';
import { algorithmOfHeader, type ChecksumAlgorithm } from './checksums.ts';
import type { S3Error } from './errors.ts';
import type { RequestedPart } from './multipart.ts';

export const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const unesc = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, d) => String.fromCharCode(Number(d)))
    .replace(/&amp;/g, '&');

export const requestId = () => randomBytes(8).toString('hex').toUpperCase();

export const doc = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;

/** Elements from `{ Name: value }`, skipping undefined values; values are escaped. */
export const el = (fields: Record<string, string | number | boolean | undefined>) =>
  Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${esc(String(v))}</${k}>`)
    .join('');

export const errorXml = (e: S3Error, resource: string, id: string) =>
  `<Error>${el({ Code: e.code, Message: e.message, Resource: resource, RequestId: id })}</Error>`;

const tag = (inner: string, name: string) => {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(inner);
  return m ? unesc(m[1]!.trim()) : undefined;
};

/** The `<Part>` list of a CompleteMultipartUpload body, in the order given. */
export function parseCompleteParts(body: string): RequestedPart[] | undefined {
  if (!/<CompleteMultipartUpload[\s>]/.test(body)) return undefined;
  const parts: RequestedPart[] = [];
  for (const m of body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const inner = m[1]!;
    const n = Number(tag(inner, 'PartNumber'));
    const etag = tag(inner, 'ETag');
    if (!Number.isInteger(n) || etag === undefined) return undefined;
    let checksum: string | undefined;
    for (const cm of inner.matchAll(/<Checksum(CRC32C?|SHA1|SHA256)>([^<]*)<\/Checksum\1>/g)) {
      if (algorithmOfHeader(`x-amz-checksum-${cm[1]!.toLowerCase()}`)) checksum = cm[2]!.trim();
    }
    parts.push({ n, etag, checksum });
  }
  return parts;
}

/** `<ChecksumCRC32C>…</ChecksumCRC32C>` for a stored checksum, or nothing. */
export const checksumXml = (alg: ChecksumAlgorithm | undefined, value: string | undefined) =>
  alg && value ? `<Checksum${alg}>${esc(value)}</Checksum${alg}>` : '';
