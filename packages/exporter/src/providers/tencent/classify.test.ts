import { describe, expect, it } from 'vitest';
import { classifyTencent } from './classify.ts';

describe('classifyTencent', () => {
  it.each([
    [{ code: 'AuthFailure.SignatureFailure' }, 'auth_error'],
    [{ code: 'AuthFailure.SecretIdNotFound' }, 'auth_error'],
    [{ code: 'SignatureDoesNotMatch' }, 'auth_error'],
    [{ code: 'RequestLimitExceeded' }, 'limit_error'],
    [{ code: 'RequestLimitExceeded.UinLimitExceeded' }, 'limit_error'],
    [{ code: 'LimitExceeded' }, 'error'],
    [{ code: 'UnsupportedRegion' }, 'region_skip'],
    [{ message: 'network error: connect ECONNREFUSED' }, 'network_error'],
    [{ name: 'TencentCloudSDKHttpException', message: 'Request timeout' }, 'network_error'],
    [{ code: 'InternalError' }, 'error'],
  ])('%j → %s', (err, want) => expect(classifyTencent(err)).toBe(want));
});
