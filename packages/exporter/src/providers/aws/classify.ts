import type { ErrorClass } from '@opsfleet/core';

/** AWS error names/codes and transport failures → error classes. */
export function classifyAws(err: unknown): ErrorClass {
  const e = err as { name?: string; Code?: string; code?: string; message?: string };
  const text = `${e.name ?? ''} ${e.Code ?? ''} ${e.code ?? ''} ${e.message ?? ''}`;
  if (
    /ExpiredToken|InvalidClientTokenId|AccessDenied|SignatureDoesNotMatch|UnrecognizedClient|AuthFailure/i.test(
      text,
    )
  )
    return 'auth_error';
  if (/Throttl|Rate exceeded|TooManyRequests|SlowDown|RequestLimitExceeded/i.test(text)) return 'limit_error';
  if (/OptInRequired|UnrecognizedRegion|InvalidRegion/i.test(text)) return 'region_skip';
  if (/timeout|timed out|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up|network/i.test(text))
    return 'network_error';
  return 'error';
}
