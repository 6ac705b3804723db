import type { Check } from '../../spec.ts';
import { timedOutText } from '../exec.ts';
import { BoundedOutput, describeError, MAX_OUTPUT } from '../output.ts';
import { type Checker, type CheckResult, type CheckStatus, elapsed } from './checker.ts';

/**
 * Consul's rule, with `expectStatus` in place of 2xx when given: an expected status (or any
 * 2xx) passes, 429 Too Many Requests is a warning, everything else is critical.
 */
export function statusOfHttp(code: number, expect?: readonly number[]): CheckStatus {
  if (expect?.length ? expect.includes(code) : code >= 200 && code < 300) return 'passing';
  if (code === 429) return 'warning';
  return 'critical';
}

/** Reads at most `limit` bytes of a body, then cancels the rest (a streaming endpoint never ends). */
async function readHead(body: ReadableStream<Uint8Array> | null, limit: number): Promise<BoundedOutput> {
  const out = new BoundedOutput(limit);
  if (!body) return out;
  const reader = body.getReader();
  try {
    while (out.total <= limit) {
      const { done, value } = await reader.read();
      if (done) break;
      out.add(Buffer.from(value));
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return out;
}

/**
 * `method url` with the check's headers; the timeout covers connecting, the headers and the
 * first bytes of the body. Output: `HTTP GET <url>: 503 Service Unavailable`, then the start of
 * the body.
 */
export const httpChecker: Checker = {
  type: 'http',
  async run(check: Check, _ctx, signal): Promise<CheckResult> {
    const http = check.http;
    if (!http) return { status: 'critical', output: 'no http: settings', ms: 0 };
    const where = `HTTP ${http.method} ${http.url}`;
    const started = performance.now();
    const timeout = AbortSignal.timeout(check.timeout);
    try {
      const res = await fetch(http.url, {
        method: http.method,
        headers: http.headers,
        signal: AbortSignal.any([signal, timeout]),
        redirect: 'follow',
      });
      const line = `${where}: ${res.status} ${res.statusText}`.trimEnd();
      const body = await readHead(res.body, Math.max(0, MAX_OUTPUT - line.length - 1));
      const text = body.text();
      return {
        status: statusOfHttp(res.status, http.expectStatus),
        output: text ? `${line}\n${text}` : line,
        ms: elapsed(started),
      };
    } catch (err) {
      const why = timeout.aborted
        ? timedOutText(check.timeout)
        : signal.aborted
          ? 'cancelled'
          : describeError(err);
      return { status: 'critical', output: `${where}: ${why}`, ms: elapsed(started) };
    }
  },
};
