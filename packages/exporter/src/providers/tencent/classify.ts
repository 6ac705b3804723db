import type { ErrorClass } from '@opsfleet/core';

/** Tencent API 3.0 and COS error codes, and transport failures → error classes. */
export function classifyTencent(err: unknown): ErrorClass {
  const e = err as { code?: string; name?: string; message?: string; error?: { Code?: string } };
  const text = `${e.code ?? ''} ${e.error?.Code ?? ''} ${e.name ?? ''} ${e.message ?? ''}`;
  if (
    /AuthFailure|InvalidCredential|SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|UnauthorizedOperation/i.test(
      text,
    )
  )
    return 'auth_error';
  if (/RequestLimitExceeded|SlowDown|TooManyRequests/i.test(text)) return 'limit_error';
  if (/UnsupportedRegion|InvalidRegion|UnsupportedOperation\.Region/i.test(text)) return 'region_skip';
  if (/timeout|timed out|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up|network/i.test(text))
    return 'network_error';
  return 'error';
}
