import { describe, expect, it } from 'vitest';
import { ClassifiedError, type ErrorClass, isRetryable } from './errors.ts';

describe('error classes', () => {
  it.each([
    ['limit_error', true],
    ['network_error', true],
    ['error', true],
    ['auth_error', false],
    ['region_skip', false],
  ] as [ErrorClass, boolean][])('%s retryable: %s', (c, want) => expect(isRetryable(c)).toBe(want));

  it('carries its class, code and cause', () => {
    const cause = new Error('socket hang up');
    const err = new ClassifiedError('network_error', 'request failed', 'ECONNRESET', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({
      name: 'ClassifiedError',
      errorClass: 'network_error',
      message: 'request failed',
      code: 'ECONNRESET',
      cause,
    });
    expect(new ClassifiedError('auth_error', 'bad key').code).toBeUndefined();
  });
});
