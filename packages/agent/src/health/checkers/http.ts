import { httpRequest } from '../../http-client.ts';
import type { Check } from '../../spec.ts';
import { timedOutText } from '../exec.ts';
import { describeError, keptText, MAX_OUTPUT } from '../output.ts';
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

/**
 * `method url` with the check's headers; the timeout covers connecting, the headers and the
 * first bytes of the body. Output: `HTTP GET <url>: 503 Service Unavailable`, then the start of
 * the body. Redirects are not followed: a 3xx is what the endpoint answered.
 */
export const httpChecker: Checker = {
  type: 'http',
  async run(check: Check, _ctx, signal): Promise<CheckResult> {
    const http = check.http;
    if (!http) return { status: 'critical', output: 'no http: settings', ms: 0 };
    const where = `HTTP ${http.method} ${http.url}`;
    const started = performance.now();
    // One controller for both ends of the run (the timeout, the monitor's cancel): a timeout
    // signal combined with AbortSignal.any costs more than the request on an idle agent.
    const limit = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      limit.abort();
    }, check.timeout);
    const cancel = () => limit.abort();
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
    try {
      const res = await httpRequest(http.url, {
        method: http.method,
        headers: http.headers,
        signal: limit.signal,
        // Room for the status line (the reason phrase is short) within the output cap.
        maxBody: Math.max(0, MAX_OUTPUT - where.length - 48),
      });
      const line = `${where}: ${res.status} ${res.reason}`.trimEnd();
      const text = keptText(res.body, res.bodyBytes);
      return {
        status: statusOfHttp(res.status, http.expectStatus),
        output: text ? `${line}\n${text}` : line,
        ms: elapsed(started),
      };
    } catch (err) {
      const why = timedOut ? timedOutText(check.timeout) : signal.aborted ? 'cancelled' : describeError(err);
      return { status: 'critical', output: `${where}: ${why}`, ms: elapsed(started) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', cancel);
    }
  },
};
