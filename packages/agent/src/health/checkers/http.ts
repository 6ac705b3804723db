import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
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

/**
 * `method url` with the check's headers; the timeout covers connecting, the headers and the
 * first bytes of the body. Output: `HTTP GET <url>: 503 Service Unavailable`, then the start of
 * the body. Plain node:http rather than fetch: fetch's parser costs an idle agent ~10 MiB.
 * Redirects are not followed: a 3xx is what the endpoint answered.
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
      const { code, reason, body } = await request(
        http.url,
        http.method,
        http.headers,
        AbortSignal.any([signal, timeout]),
        // Room for the status line (the reason phrase is short) within the output cap.
        Math.max(0, MAX_OUTPUT - where.length - 48),
      );
      const line = `${where}: ${code} ${reason}`.trimEnd();
      const text = body.text();
      return {
        status: statusOfHttp(code, http.expectStatus),
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

/** One request; reads at most `limit` bytes of the body, then drops the connection (a streaming endpoint never ends). */
function request(
  url: string,
  method: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  limit: number,
): Promise<{ code: number; reason: string; body: BoundedOutput }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, signal, agent: false }, (res) => {
      const body = new BoundedOutput(limit);
      const done = () => {
        res.destroy();
        resolve({ code: res.statusCode ?? 0, reason: res.statusMessage ?? '', body });
      };
      res.on('data', (chunk: Buffer) => {
        body.add(chunk);
        if (body.total > limit) done();
      });
      res.on('end', done);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
