import { describe, expect, it } from 'vitest';
import { MIN_PART_SIZE, parsePartNumber, partsToComplete, type StoredPart } from './multipart.ts';

const stored = new Map<number, StoredPart>(
  [
    { n: 1, etag: '"e1"', size: MIN_PART_SIZE, checksum: 'c1' },
    { n: 2, etag: '"e2"', size: MIN_PART_SIZE - 1, checksum: 'c2' },
    { n: 3, etag: '"e3"', size: 10, checksum: 'c3' },
  ].map((p) => [p.n, p]),
);

describe('CompleteMultipartUpload checks', () => {
  it.each([
    [
      'the last part may be small',
      [
        [1, 'e1'],
        [3, '"e3"'],
      ],
      undefined,
    ],
    ['one small part alone', [[3, 'e3']], undefined],
    [
      'a small part before the last',
      [
        [2, 'e2'],
        [3, 'e3'],
      ],
      'EntityTooSmall',
    ],
    [
      'parts not ascending',
      [
        [3, 'e3'],
        [1, 'e1'],
      ],
      'InvalidPartOrder',
    ],
    [
      'a repeated part',
      [
        [1, 'e1'],
        [1, 'e1'],
      ],
      'InvalidPartOrder',
    ],
    ['a wrong ETag', [[1, 'e2']], 'InvalidPart'],
    [
      'a part never uploaded',
      [
        [1, 'e1'],
        [4, 'e4'],
      ],
      'InvalidPart',
    ],
    ['no parts', [], 'MalformedXML'],
  ] as const)('%s', (_, parts, code) => {
    const run = () =>
      partsToComplete(
        parts.map(([n, etag]) => ({ n, etag })),
        stored,
        undefined,
      );
    if (code) expect(run).toThrow(expect.objectContaining({ code, status: 400 }));
    else expect(run().map((p) => p.n)).toEqual(parts.map(([n]) => n));
  });

  it('refuses a part checksum that differs from the uploaded one', () => {
    expect(() => partsToComplete([{ n: 3, etag: 'e3', checksum: 'zz' }], stored, 'CRC32C')).toThrow(
      expect.objectContaining({ code: 'InvalidPart' }),
    );
    expect(partsToComplete([{ n: 3, etag: 'e3', checksum: 'c3' }], stored, 'CRC32C')).toHaveLength(1);
  });

  it.each([
    ['1', 1],
    ['10000', 10000],
    ['0', undefined],
    ['10001', undefined],
    ['1.5', undefined],
    [null, undefined],
  ])('part number %j', (raw, n) => {
    if (n) expect(parsePartNumber(raw)).toBe(n);
    else expect(() => parsePartNumber(raw)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});
