/**
 * Why an upload failed, and whether trying again can help. Retryable: throttling, server errors,
 * a cut or timed-out connection, a body the server saw damaged. Not retryable: credentials,
 * signatures, a missing bucket, a bad request, a certificate the agent does not trust, a file
 * that changed — these need a person, and trying again only repeats the refusal.
 */
export class UploadError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/** S3 error codes worth another attempt even though some come with a 4xx status. */
const RETRYABLE_CODES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'BadDigest',
  'IncompleteBody',
  'Throttling',
  'ThrottlingException',
]);

/** Errors of the connection itself (no HTTP answer): transient by nature. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

const TLS_CODE =
  /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|ERR_TLS_|ERR_SSL_)/;

const HINTS: Record<string, string> = {
  SignatureDoesNotMatch: 'the secret access key does not match the access key id',
  InvalidAccessKeyId: 'the access key id is unknown to this endpoint',
  AccessDenied: 'the key may not write to this bucket',
  ExpiredToken: 'the session token has expired',
  NoSuchBucket: 'the bucket does not exist at this endpoint (check bucket, endpoint and pathStyle)',
  RequestTimeTooSkewed: "the host's clock is more than 15 minutes off",
};

interface SdkLikeError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** The error's text with every secret replaced, so it can go to a log line or the server. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

/**
 * An UploadError for whatever an S3 call or the network threw. `secrets` never appear in the
 * message; `context` (the credentials' origin, say) is appended to refusals a person must fix.
 */
export function toUploadError(err: unknown, secrets: readonly string[] = [], context = ''): UploadError {
  if (err instanceof UploadError) return err;
  const e = (err ?? {}) as SdkLikeError;
  const cause = (e.cause ?? {}) as SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  const code =
    e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? cause.code ?? 'Error';
  const sysCode = e.code ?? cause.code ?? '';
  const detail = scrub(String(e.message ?? err), secrets);
  if (TLS_CODE.test(sysCode) || TLS_CODE.test(code)) {
    return new UploadError(
      'TLS',
      `TLS: ${detail} (${sysCode || code}): set tls.ca to the PEM of the CA that signed the endpoint's certificate`,
      false,
    );
  }
  let retryable: boolean;
  if (RETRYABLE_CODES.has(code)) retryable = true;
  else if (status !== undefined && status > 0) retryable = status >= 500 || status === 429;
  else
    retryable =
      NETWORK_CODES.has(sysCode) || NETWORK_CODES.has(code) || /socket hang up|timed? ?out/i.test(detail);
  const hint = HINTS[code];
  const where = status ? `${code} (${status})` : code;
  const message = `${where}: ${detail}${hint ? `; ${hint}` : ''}${!retryable && context ? ` [${context}]` : ''}`;
  return new UploadError(code, scrub(message, secrets), retryable, status);
}
