import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checksumOf,
  combinedCrc,
  compositeChecksum,
  crcCombine,
  isWellFormed,
  multipartEtag,
  newHasher,
} from './checksums.ts';

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

describe('S3 checksums', () => {
  // The standard check values of each algorithm over "123456789".
  it.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
    ['SHA256', '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225'],
  ] as const)('%s of "123456789"', async (alg, hex) => {
    expect(await checksumOf(alg, Buffer.from('123456789'))).toBe(b64(hex));
    const h = newHasher(alg);
    for (const c of '123456789') h.update(Buffer.from(c));
    expect((await h.digest()).toString('base64')).toBe(b64(hex));
  });

  it.each([
    ['CRC32', 'y/Q5Jg==', true],
    ['CRC32', 'y/Q5Jg', false],
    ['CRC32C', b64('e3069283e3'), false],
    ['SHA256', b64('00'.repeat(32)), true],
    ['SHA256', 'not base64!', false],
  ] as const)('%s value %s well-formed: %s', (alg, value, ok) => {
    expect(isWellFormed(alg, value)).toBe(ok);
  });

  it('makes the multipart ETag from the binary part MD5s', () => {
    const parts = ['a', 'b', 'c'].map((s) => createHash('md5').update(s).digest('hex'));
    const expected = createHash('md5')
      .update(Buffer.concat(parts.map((p) => Buffer.from(p, 'hex'))))
      .digest('hex');
    expect(multipartEtag(parts)).toBe(`${expected}-3`);
    expect(multipartEtag([parts[0]!])).toMatch(/^[0-9a-f]{32}-1$/);
  });

  it('makes a composite checksum from the raw part checksums', async () => {
    const parts = [
      await checksumOf('CRC32C', Buffer.from('a')),
      await checksumOf('CRC32C', Buffer.from('b')),
    ];
    const raw = Buffer.concat(parts.map((p) => Buffer.from(p, 'base64')));
    expect(await compositeChecksum('CRC32C', parts)).toBe(`${await checksumOf('CRC32C', raw)}-2`);
  });
});

describe('CRC combination (FULL_OBJECT multipart checksums)', () => {
  it.each(['CRC32', 'CRC32C'] as const)('%s of parts combines to the CRC of the whole', async (alg) => {
    const whole = Buffer.from('The quick brown fox jumps over the lazy dog, twice or thrice.');
    for (const cuts of [[1], [5, 17], [30, 31, 59], [0]]) {
      const bounds = [0, ...cuts.filter((c) => c > 0), whole.length];
      const parts = await Promise.all(
        bounds.slice(1).map(async (end, i) => {
          const data = whole.subarray(bounds[i]!, end);
          return { checksum: await checksumOf(alg, data), size: data.length };
        }),
      );
      expect(combinedCrc(alg, parts)).toBe(await checksumOf(alg, whole));
    }
  });

  it('combines over lengths beyond 32 bits', () => {
    // Appending 2^32 + 8 zero bytes by combination equals appending them in two steps.
    const zeros = 0x1_0000_0008;
    const once = crcCombine('CRC32C', 0x12345678, 0, zeros);
    const twice = crcCombine('CRC32C', crcCombine('CRC32C', 0x12345678, 0, 0x1_0000_0000), 0, 8);
    expect(once).toBe(twice);
  });
});
