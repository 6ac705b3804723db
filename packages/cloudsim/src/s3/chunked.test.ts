import { describe, expect, it } from 'vitest';
import { signingKey } from '../aws/sigv4.ts';
import { authenticate } from './auth.ts';
import { ChunkedDecoder } from './chunked.ts';

// The worked example of AWS's "Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks" page: 65 KiB + 1 KiB of 'a', its seed and chunk signatures.
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const SIGS = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
const signing = {
  key: signingKey(SECRET, '20130524', 'us-east-1', 's3'),
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  seed: SEED,
};
const awsExample = (sigs = SIGS) =>
  Buffer.concat([
    Buffer.from(`10000;chunk-signature=${sigs[0]}\r\n`),
    Buffer.alloc(65536, 'a'),
    Buffer.from(`\r\n400;chunk-signature=${sigs[1]}\r\n`),
    Buffer.alloc(1024, 'a'),
    Buffer.from(`\r\n0;chunk-signature=${sigs[2]}\r\n\r\n`),
  ]);

/** Decodes `body` fed in pieces of `step` bytes. */
function decode(body: Buffer, step: number, d = new ChunkedDecoder()) {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += step) out.push(...d.push(body.subarray(i, i + step)));
  d.end();
  return { data: Buffer.concat(out), trailers: d.trailers, length: d.decodedLength };
}

describe('aws-chunked decoding', () => {
  it.each([1, 7, 4096, 1 << 20])('decodes the AWS signed example fed %i bytes at a time', (step) => {
    const r = decode(awsExample(), step, new ChunkedDecoder(signing));
    expect(r.length).toBe(66560);
    expect(r.data.equals(Buffer.alloc(66560, 'a'))).toBe(true);
  });

  it('refuses a chunk whose signature does not chain from the seed', () => {
    const bad = awsExample([SIGS[0]!, SIGS[2]!, SIGS[1]!]);
    expect(() => decode(bad, 1000, new ChunkedDecoder(signing))).toThrow(/signature/);
    expect(() => decode(awsExample(), 1000, new ChunkedDecoder({ ...signing, seed: SIGS[0]! }))).toThrow(
      /signature/,
    );
  });

  it('verifies the example request’s own seed signature from its headers', () => {
    const headers = {
      host: 's3.amazonaws.com',
      'content-encoding': 'aws-chunked',
      'content-length': '66824',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'x-amz-date': '20130524T000000Z',
      'x-amz-decoded-content-length': '66560',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${SEED}`,
    };
    const url = new URL('http://s3.amazonaws.com/examplebucket/chunkObject.txt');
    const auth = authenticate('PUT', url, headers, () => SECRET, Date.UTC(2013, 4, 24));
    expect(auth.signing.seed).toBe(SEED);
    expect(() => authenticate('PUT', url, headers, () => 'other', Date.UTC(2013, 4, 24))).toThrow(
      /signature/,
    );
  });

  it.each([
    [
      'unsigned with a trailer',
      'b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n',
      'hello world',
      { 'x-amz-checksum-crc32': 'DUoRhQ==' },
    ],
    ['several chunks, no trailer', '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n', 'hello world', {}],
    ['empty body', '0\r\n\r\n', '', {}],
  ])('%s', (_, body, data, trailers) => {
    for (const step of [1, 3, 1000]) {
      const r = decode(Buffer.from(body), step);
      expect(r.data.toString()).toBe(data);
      expect(r.trailers).toEqual(trailers);
    }
  });

  it.each([
    ['a truncated body', '5\r\nhel', 'IncompleteBody'],
    ['no final chunk', '5\r\nhello\r\n', 'IncompleteBody'],
    ['a size that is not hex', 'zz\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['data longer than its size', '3\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
  ])('refuses %s', (_, body, code) => {
    expect(() => decode(Buffer.from(body), 2)).toThrow(expect.objectContaining({ code }));
  });
});
