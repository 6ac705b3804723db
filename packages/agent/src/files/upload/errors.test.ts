import { describe, expect, it } from 'vitest';
import { toUploadError, UploadError } from './errors.ts';

/** An error shaped as the SDK throws them for an S3 error answer. */
const s3 = (name: string, status: number, message = 'm') =>
  Object.assign(new Error(message), { name, Code: name, $metadata: { httpStatusCode: status } });
const sys = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('upload error classes', () => {
  it.each([
    ['503 SlowDown', s3('SlowDown', 503), 'SlowDown', true],
    ['500 InternalError', s3('InternalError', 500), 'InternalError', true],
    ['502 with an HTML body', s3('Unknown', 502), 'Unknown', true],
    ['429 throttling', s3('TooManyRequests', 429), 'TooManyRequests', true],
    ['400 RequestTimeout (S3 waited for the body)', s3('RequestTimeout', 400), 'RequestTimeout', true],
    ['400 BadDigest (damaged in transit)', s3('BadDigest', 400), 'BadDigest', true],
    ['connection reset', sys('ECONNRESET'), 'ECONNRESET', true],
    ['broken pipe', sys('EPIPE'), 'EPIPE', true],
    ['refused', sys('ECONNREFUSED'), 'ECONNREFUSED', true],
    [
      'the SDK timeout',
      Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }),
      'TimeoutError',
      true,
    ],
    ['socket hang up', new Error('socket hang up'), 'Error', true],
    ['403 SignatureDoesNotMatch', s3('SignatureDoesNotMatch', 403), 'SignatureDoesNotMatch', false],
    ['403 InvalidAccessKeyId', s3('InvalidAccessKeyId', 403), 'InvalidAccessKeyId', false],
    ['403 AccessDenied', s3('AccessDenied', 403), 'AccessDenied', false],
    ['404 NoSuchBucket', s3('NoSuchBucket', 404), 'NoSuchBucket', false],
    ['400 InvalidRequest', s3('InvalidRequest', 400), 'InvalidRequest', false],
    ['an untrusted certificate', sys('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'TLS', false],
    ['a certificate for another name', sys('ERR_TLS_CERT_ALTNAME_INVALID'), 'TLS', false],
    ['an unknown local error', new TypeError('x is not a function'), 'TypeError', false],
  ])('%s → %s, retryable %s', (_, err, code, retryable) => {
    expect(toUploadError(err)).toMatchObject({ code, retryable });
  });

  it('keeps an UploadError as it is', () => {
    const e = new UploadError('FileChanged', 'changed', false);
    expect(toUploadError(e)).toBe(e);
  });

  it('never lets a secret through, and adds where the credentials came from to refusals only', () => {
    const secret = 'S3CR3T-value-0123';
    const refused = toUploadError(
      s3('SignatureDoesNotMatch', 403, `signed with ${secret}`),
      [secret],
      'credentials file /etc/k',
    );
    expect(refused.message).not.toContain(secret);
    expect(refused.message).toContain('***');
    expect(refused.message).toContain('[credentials file /etc/k]');
    expect(toUploadError(s3('SlowDown', 503), [secret], 'credentials file /etc/k').message).not.toContain(
      '/etc/k',
    );
  });
});
