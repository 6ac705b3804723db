import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c } from '@aws-sdk/checksums/crc';

/** The additional checksums S3 verifies and stores (values are base64 of the big-endian digest). */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256';
export const CHECKSUM_ALGORITHMS: ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'SHA1', 'SHA256'];

/** `x-amz-checksum-crc32c` → `CRC32C`; undefined for any other header. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const m = /^x-amz-checksum-(crc32|crc32c|sha1|sha256)$/.exec(name.toLowerCase());
  return m ? (m[1]!.toUpperCase() as ChecksumAlgorithm) : undefined;
}

export const headerOf = (alg: ChecksumAlgorithm) => `x-amz-checksum-${alg.toLowerCase()}`;

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, SHA1: 20, SHA256: 32 };

/** A well-formed value: base64 of exactly the digest's length (S3 refuses others as InvalidRequest). */
export function isWellFormed(alg: ChecksumAlgorithm, value: string): boolean {
  const raw = Buffer.from(value, 'base64');
  return raw.length === DIGEST_BYTES[alg] && raw.toString('base64') === value;
}

export interface Hasher {
  update(data: Buffer): void;
  /** Raw digest bytes (async because the SDK's CRC32C is). */
  digest(): Promise<Buffer>;
}

class Crc32Hasher implements Hasher {
  private value = 0;
  update(data: Buffer) {
    this.value = crc32(data, this.value);
  }
  async digest() {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value >>> 0);
    return out;
  }
}

class Crc32cHasher implements Hasher {
  private readonly c = new Crc32c();
  update(data: Buffer) {
    this.c.update(data);
  }
  async digest() {
    return Buffer.from(await this.c.digest());
  }
}

class NodeHasher implements Hasher {
  private readonly h;
  constructor(name: string) {
    this.h = createHash(name);
  }
  update(data: Buffer) {
    this.h.update(data);
  }
  async digest() {
    return this.h.digest();
  }
}

export function newHasher(alg: ChecksumAlgorithm | 'MD5'): Hasher {
  switch (alg) {
    case 'CRC32':
      return new Crc32Hasher();
    case 'CRC32C':
      return new Crc32cHasher();
    default:
      return new NodeHasher(alg.toLowerCase());
  }
}

export async function checksumOf(alg: ChecksumAlgorithm, data: Buffer): Promise<string> {
  const h = newHasher(alg);
  h.update(data);
  return (await h.digest()).toString('base64');
}

/** S3's multipart ETag: hex MD5 of the concatenated binary MD5s of the parts, then `-<count>`. */
export function multipartEtag(partMd5Hex: string[]): string {
  const h = createHash('md5');
  for (const md5 of partMd5Hex) h.update(Buffer.from(md5, 'hex'));
  return `${h.digest('hex')}-${partMd5Hex.length}`;
}

/** A COMPOSITE multipart checksum: the checksum of the parts' raw checksums, then `-<count>`. */
export async function compositeChecksum(alg: ChecksumAlgorithm, partChecksums: string[]): Promise<string> {
  const raw = Buffer.concat(partChecksums.map((c) => Buffer.from(c, 'base64')));
  return `${await checksumOf(alg, raw)}-${partChecksums.length}`;
}

/** Reflected polynomials of the two CRCs S3 can combine into a FULL_OBJECT multipart checksum. */
const POLY = { CRC32: 0xedb88320, CRC32C: 0x82f63b78 } as const;

const gf2Times = (mat: number[], vec: number) => {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i]!;
  return sum >>> 0;
};
const gf2Square = (mat: number[]) => mat.map((row) => gf2Times(mat, row));

/**
 * The CRC of `a ‖ b` from crc(a), crc(b) and b's length, without the bytes (zlib's
 * crc32_combine): S3's FULL_OBJECT checksum of a multipart object is the CRC of the whole
 * object, which this derives from the part CRCs.
 */
export function crcCombine(alg: 'CRC32' | 'CRC32C', crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  // The operator for one zero bit, then squared to two and four bits: a zero byte is 8 bits.
  let op = [POLY[alg], ...Array.from({ length: 31 }, (_, n) => (1 << n) >>> 0)];
  op = gf2Square(gf2Square(op));
  let crc = crcA >>> 0;
  let len = lengthB;
  while (len > 0) {
    op = gf2Square(op);
    if (len % 2 === 1) crc = gf2Times(op, crc);
    len = Math.floor(len / 2);
  }
  return (crc ^ crcB) >>> 0;
}

/** FULL_OBJECT checksum of parts given as base64 CRCs and sizes, in order. */
export function combinedCrc(alg: 'CRC32' | 'CRC32C', parts: { checksum: string; size: number }[]): string {
  let crc = 0;
  for (const [i, p] of parts.entries()) {
    const partCrc = Buffer.from(p.checksum, 'base64').readUInt32BE(0);
    crc = i === 0 ? partCrc : crcCombine(alg, crc, partCrc, p.size);
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc);
  return out.toString('base64');
}
