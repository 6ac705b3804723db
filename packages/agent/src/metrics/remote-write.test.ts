import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { decodeWriteRequest } from '../../test/metrics/receiver.ts';
import { encodeWriteRequest, normalizeLabels, parseRetryAfter } from './remote-write.ts';

describe('encodeWriteRequest', () => {
  it('round-trips through protobufjs: varint edges, long strings, special values', () => {
    const long = 'x'.repeat(300); // a length that needs a two-byte varint
    const series = [
      {
        labels: [
          { name: '__name__', value: 'm' },
          { name: 'path', value: '/数据/ü' }, // byte length ≠ string length
          { name: 'z', value: long },
        ],
        samples: [
          0,
          127,
          128,
          16_383,
          16_384,
          2 ** 31,
          2 ** 32 + 1,
          1_750_000_000_123,
          Number.MAX_SAFE_INTEGER,
        ].map((timestamp, i) => ({ value: i - 0.5, timestamp })),
      },
      {
        labels: [{ name: '__name__', value: 'special' }],
        samples: [
          { value: Number.POSITIVE_INFINITY, timestamp: 1 },
          { value: Number.NEGATIVE_INFINITY, timestamp: 2 },
          { value: -0, timestamp: 3 },
          { value: 1e-300, timestamp: 4 },
        ],
      },
    ];
    expect(decodeWriteRequest(compress(Buffer.from(encodeWriteRequest(series))))).toEqual(series);
  });

  it('NaN travels as NaN (Prometheus stale markers are NaNs too)', () => {
    const [ts] = decodeWriteRequest(
      compress(
        Buffer.from(
          encodeWriteRequest([
            { labels: [{ name: '__name__', value: 'n' }], samples: [{ value: Number.NaN, timestamp: 5 }] },
          ]),
        ),
      ),
    );
    expect(ts!.samples[0]!.value).toBeNaN();
  });

  it('an empty request is empty', () => {
    expect(encodeWriteRequest([])).toHaveLength(0);
  });
});

describe('normalizeLabels', () => {
  it('sorts bytewise: __name__ before lowercase names, uppercase before it', () => {
    expect(normalizeLabels({ job: 'j', __name__: 'm', a: '1', _x: '2', Z: '3' }).map((l) => l.name)).toEqual([
      'Z',
      '__name__',
      '_x',
      'a',
      'job',
    ]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it.each([
    ['7', 7000],
    [' 0 ', 0],
    ['Sun, 01 Jun 2025 12:00:30 GMT', 30_000],
    ['Sun, 01 Jun 2025 11:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('%j → %j ms', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});
