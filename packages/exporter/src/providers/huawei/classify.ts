import type { ErrorClass } from '@opsfleet/core';

/**
 * Huawei API gateway and service errors (the SDK's `httpStatusCode`/`errorCode`, OBS codes)
 * and transport failures → error classes.
 */
export function classifyHuawei(err: unknown): ErrorClass {
  const e = err as {
    httpStatusCode?: number;
    status?: number;
    errorCode?: string;
    code?: string;
    message?: string;
  };
  const status = e.httpStatusCode ?? e.status ?? 0;
  const text = `${e.errorCode ?? ''} ${e.code ?? ''} ${e.message ?? ''}`;
  if (
    status === 401 ||
    /APIGW\.030[1-6]|InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|AK\/SK|Authenticate/i.test(text)
  )
    return 'auth_error';
  if (status === 429 || /APIGW\.0308|ces\.0429|SlowDown|TooManyRequests|throttl|rate ?limit/i.test(text))
    return 'limit_error';
  if (/no IAM project for region/.test(text)) return 'region_skip';
  if (/timeout|timed out|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up|network/i.test(text))
    return 'network_error';
  return 'error';
}
