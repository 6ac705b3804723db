/**
 * Error classes shared by every cloud client. The class decides the retry policy and the
 * `status` label of `multicloud_request_total`.
 */
export type ErrorClass = 'auth_error' | 'limit_error' | 'region_skip' | 'network_error' | 'error';

export class ClassifiedError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClassifiedError';
  }
}

/** Retrying can help with throttling, transient network faults and server errors; never with bad keys or a region the account cannot use. */
export function isRetryable(errorClass: ErrorClass): boolean {
  return errorClass === 'limit_error' || errorClass === 'network_error' || errorClass === 'error';
}
