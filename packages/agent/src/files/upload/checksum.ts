import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { UploadProgress } from '../model.ts';

export type ChecksumKind = UploadProgress['checksum'];

type Tables = [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/** CRC32C (Castagnoli, reflected 0x82f63b78): eight tables so the loop takes 8 bytes a step. */
const TABLES = (() => {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[0]![n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[0]![n]!;
    for (let k = 1; k < 8; k++) {
      c = (t[0]![c & 0xff]! ^ (c >>> 8)) >>> 0;
      t[k]![n] = c;
    }
  }
  return t;
})();

/** CRC32C of `data` continuing from `crc` (0 for a fresh one), like zlib's crc32(data, value). */
export function crc32c(data: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as Tables;
  let c = ~crc >>> 0;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  while (i < end8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
    i += 8;
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** A running checksum of bytes as they are read; `digest()` is S3's base64 of the big-endian value. */
export interface Checksummer {
  update(data: Uint8Array): void;
  digest(): string;
}

class Crc implements Checksummer {
  private value = 0;
  constructor(private readonly fn: (data: Uint8Array, crc: number) => number) {}
  update(data: Uint8Array) {
    this.value = this.fn(data, this.value);
  }
  digest() {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value >>> 0);
    return out.toString('base64');
  }
}

class Sha256 implements Checksummer {
  private readonly h: Hash = createHash('sha256');
  update(data: Uint8Array) {
    this.h.update(data);
  }
  digest() {
    return this.h.digest('base64');
  }
}

/** undefined for `none`: only the size is checked then. */
export function newChecksummer(kind: ChecksumKind): Checksummer | undefined {
  switch (kind) {
    case 'CRC32C':
      return new Crc(crc32c);
    case 'CRC32':
      return new Crc(crc32);
    case 'SHA256':
      return new Sha256();
    case 'none':
      return undefined;
  }
}

export function checksumOf(kind: ChecksumKind, data: Uint8Array): string | undefined {
  const c = newChecksummer(kind);
  c?.update(data);
  return c?.digest();
}

/**
 * S3's COMPOSITE checksum of a multipart object: the checksum of the parts' raw checksums
 * concatenated in part order, then `-<number of parts>`.
 */
export function compositeChecksum(kind: ChecksumKind, partChecksums: string[]): string | undefined {
  const raw = Buffer.concat(partChecksums.map((c) => Buffer.from(c, 'base64')));
  const sum = checksumOf(kind, raw);
  return sum === undefined ? undefined : `${sum}-${partChecksums.length}`;
}

/** The SDK's input/output member for a kind: ChecksumCRC32C, ChecksumCRC32, ChecksumSHA256. */
export const checksumMember = (kind: Exclude<ChecksumKind, 'none'>) => `Checksum${kind}` as const;
