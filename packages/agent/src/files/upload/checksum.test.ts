import { randomBytes } from 'node:crypto';
import { checksumOf as simChecksumOf, compositeChecksum as simComposite } from '@opsfleet/cloudsim';
import { describe, expect, it } from 'vitest';
import { checksumOf, compositeChecksum, crc32c, newChecksummer } from './checksum.ts';

describe('checksums', () => {
  it.each([
    ['123456789', 0xe3069283],
    ['', 0],
    ['a', 0xc1d04330],
  ])('CRC32C(%j) = %s (published check values)', (text, crc) => {
    expect(crc32c(Buffer.from(text))).toBe(crc);
  });

  it('CRC32C of 32 zero bytes is the iSCSI test vector', () => {
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
  });

  it.each(['CRC32C', 'CRC32', 'SHA256'] as const)(
    '%s fed in uneven pieces equals the S3 simulator’s digest of the whole',
    async (kind) => {
      const data = randomBytes(100_003);
      const c = newChecksummer(kind)!;
      for (let at = 0; at < data.length; at += 7919) c.update(data.subarray(at, at + 7919));
      const digest = c.digest();
      expect(digest).toBe(await simChecksumOf(kind, data));
      expect(checksumOf(kind, data)).toBe(digest);
    },
  );

  it.each(['CRC32C', 'CRC32', 'SHA256'] as const)(
    '%s composite of parts matches the simulator',
    async (kind) => {
      const parts = [randomBytes(1000), randomBytes(10), randomBytes(333)].map((p) => checksumOf(kind, p)!);
      expect(compositeChecksum(kind, parts)).toBe(await simComposite(kind, parts));
      expect(compositeChecksum(kind, parts)).toMatch(/-3$/);
    },
  );

  it('none has no checksum', () => {
    expect(newChecksummer('none')).toBeUndefined();
    expect(compositeChecksum('none', [])).toBeUndefined();
  });
});
