import type { ErrorClass } from '@opsfleet/core';

/** Aliyun error codes (OpenAPI `code`, OSS `code`) and transport failures → error classes. */
export function classifyAliyun(err: unknown): ErrorClass {
  const e = err as { code?: string; name?: string; message?: string; statusCode?: number; status?: number };
  const text = `${e.code ?? ''} ${e.name ?? ''} ${e.message ?? ''}`;
  if (
    /InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden|NoPermission|AccessDenied|IncompleteSignature/i.test(
      text,
    )
  )
    return 'auth_error';
  if (/Throttling|flow control|SlowDown|TooManyRequests/i.test(text)) return 'limit_error';
  if (/InvalidRegionId|Unsupported|InvalidRegion/i.test(text)) return 'region_skip';
  if (
    /timeout|timed out|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up|unreachable|Temporary network/i.test(
      text,
    )
  ) {
    return 'network_error';
  }
  return 'error';
}
