import { describe, expect, it } from 'vitest';
import { classifyAliyun } from './classify.ts';

describe('classifyAliyun', () => {
  it.each([
    [{ code: 'InvalidAccessKeyId.NotFound' }, 'auth_error'],
    [{ code: 'SignatureDoesNotMatch' }, 'auth_error'],
    [{ code: 'Forbidden.RAM' }, 'auth_error'],
    [{ code: 'Throttling.User' }, 'limit_error'],
    [{ message: 'Request was denied due to flow control' }, 'limit_error'],
    [{ code: 'SlowDown' }, 'limit_error'],
    [{ code: 'InvalidRegionId' }, 'region_skip'],
    [{ code: 'Unsupported.Region' }, 'region_skip'],
    [{ name: 'RequestTimeoutError', message: 'ReadTimeout(15000)' }, 'network_error'],
    [{ message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'network_error'],
    [{ code: 'InternalError' }, 'error'],
  ])('%j → %s', (err, want) => expect(classifyAliyun(err)).toBe(want));
});
