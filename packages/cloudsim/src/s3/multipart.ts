import type { ChecksumAlgorithm } from './checksums.ts';
import { S3Error } from './errors.ts';

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;

export interface StoredPart {
  n: number;
  etag: string;
  size: number;
  checksum?: string;
}

/** One `<Part>` of a CompleteMultipartUpload body. */
export interface RequestedPart {
  n: number;
  etag: string;
  checksum?: string;
}

const unquote = (etag: string) =>
  etag
    .trim()
    .replace(/^"|"$/g, '')
    .replace(/^&quot;|&quot;$/g, '');

/** `partNumber` as S3 accepts it: an integer 1..10000, else InvalidArgument. */
export function parsePartNumber(raw: string | null): number {
  const n = Number(raw);
  if (!raw || !Number.isInteger(n) || n < 1 || n > MAX_PART_NUMBER) {
    throw new S3Error(
      400,
      'InvalidArgument',
      'Part number must be an integer between 1 and 10000, inclusive',
    );
  }
  return n;
}

/**
 * The parts a CompleteMultipartUpload names, checked as S3 checks them: ascending part numbers
 * (InvalidPartOrder), every part uploaded with the same ETag and checksum (InvalidPart), every
 * part but the last at least the minimum size (EntityTooSmall).
 */
export function partsToComplete(
  requested: RequestedPart[],
  stored: Map<number, StoredPart>,
  algorithm: ChecksumAlgorithm | undefined,
  minPartSize = MIN_PART_SIZE,
): StoredPart[] {
  if (requested.length === 0) {
    throw new S3Error(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  }
  if (requested.length > MAX_PART_NUMBER) {
    throw new S3Error(400, 'InvalidArgument', `Part count must be at most ${MAX_PART_NUMBER}`);
  }
  const out: StoredPart[] = [];
  for (const [i, r] of requested.entries()) {
    if (i > 0 && r.n <= requested[i - 1]!.n) {
      throw new S3Error(
        400,
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
      );
    }
    const p = stored.get(r.n);
    if (!p || unquote(p.etag) !== unquote(r.etag)) {
      throw new S3Error(
        400,
        'InvalidPart',
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      );
    }
    if (algorithm && r.checksum !== undefined && r.checksum !== p.checksum) {
      throw new S3Error(
        400,
        'InvalidPart',
        `The ${algorithm.toLowerCase()} you specified for part ${r.n} did not match what we received.`,
      );
    }
    out.push(p);
  }
  for (const p of out.slice(0, -1)) {
    if (p.size < minPartSize) {
      throw new S3Error(
        400,
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed object size.',
      );
    }
  }
  return out;
}
