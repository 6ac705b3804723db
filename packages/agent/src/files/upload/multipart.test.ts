import { describe, expect, it } from 'vitest';
import { partRanges, partSizeFor, reconcileParts } from './multipart.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('multipart layout', () => {
  it.each([
    ['a file that fits 10,000 parts keeps the configured size', 40 * GiB, 8 * MiB, 8 * MiB],
    ['a 100 GiB file needs bigger parts, rounded up to a MiB', 100 * GiB, 8 * MiB, 11 * MiB],
    ['exactly 10,000 parts is allowed', 10_000 * 8 * MiB, 8 * MiB, 8 * MiB],
  ])('%s', (_, size, configured, partSize) => {
    expect(partSizeFor(size, configured)).toBe(partSize);
    expect(Math.ceil(size / partSize)).toBeLessThanOrEqual(10_000);
  });

  it('cuts a file into parts, the last one short', () => {
    expect(partRanges(12 * MiB, 5 * MiB)).toEqual([
      { partNumber: 1, offset: 0, length: 5 * MiB },
      { partNumber: 2, offset: 5 * MiB, length: 5 * MiB },
      { partNumber: 3, offset: 10 * MiB, length: 2 * MiB },
    ]);
    expect(partRanges(10 * MiB, 5 * MiB).map((r) => r.length)).toEqual([5 * MiB, 5 * MiB]);
  });
});

describe('resume reconciliation', () => {
  const spool = [
    { partNumber: 1, etag: '"a"', size: 5, checksum: 'c1' },
    { partNumber: 2, etag: '"b"', size: 5, checksum: 'c2' },
    { partNumber: 3, etag: '"c"', size: 5, checksum: 'c3' },
  ];
  it.each([
    ['the server holds all as recorded', [1, 2, 3], {}, [1, 2, 3]],
    ['a part the server lost is sent again', [1, 3], {}, [1, 3]],
    ['an ETag that differs is sent again', [1, 2, 3], { 2: { etag: '"x"' } }, [1, 3]],
    ['a size that differs is sent again', [1, 2, 3], { 3: { size: 4 } }, [1, 2]],
    ['a checksum that differs is sent again', [1, 2, 3], { 1: { checksum: 'zz' } }, [2, 3]],
    ['ETags compare without quotes', [1, 2, 3], { 1: { etag: 'a' } }, [1, 2, 3]],
  ])('%s', (_, held, changes: Record<number, object>, kept) => {
    const server = new Map(
      spool
        .filter((p) => held.includes(p.partNumber))
        .map((p) => [p.partNumber, { ...p, ...changes[p.partNumber] }] as const),
    );
    expect(reconcileParts(spool, server).map((p) => p.partNumber)).toEqual(kept);
  });

  it('a part the server holds but the spool never recorded is not trusted', () => {
    const server = new Map<number, { etag: string; size: number }>(spool.map((p) => [p.partNumber, p]));
    server.set(4, { etag: '"d"', size: 5 });
    expect(reconcileParts(spool, server).map((p) => p.partNumber)).toEqual([1, 2, 3]);
  });
});
