import type { OutboundCall } from '../../../http/outbound.ts';
import type { ActionOutcome, FileAction } from '../action.ts';
import { fillPlaceholders, unknownPlaceholders } from '../placeholders.ts';

export interface JenkinsConfig {
  /** The controller's root URL (`https://ci.example.com/`). */
  url: string;
  /** Full job name; folders separated by `/` (`heapdumps/analyse`). */
  job: string;
  user: string;
  /** With an API token Jenkins needs no crumb (it exempts token-authenticated calls from CSRF). */
  apiToken?: string;
  /** Password login: a crumb and its session cookie are fetched before triggering. */
  password?: string;
  /** Build parameters, values with `{placeholders}`; absent: the job is triggered unparameterised. */
  parameters?: Record<string, string>;
  /** How often the queue item and the build are polled (default 2 s). */
  pollMs?: number;
}

/** Jenkins's own words for a refusal, without its HTML page around them. */
function reason(text: string): string {
  const plain = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.slice(0, 300);
}

const REFUSALS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'not_buildable',
};

/** An answer that is not the one expected, as the attempt's outcome. */
function failure(what: string, a: OutboundCall): ActionOutcome & { ok: false } {
  if ('error' in a)
    return { ok: false, retryable: !a.refused, error: `${what}: ${a.error}`, cause: 'connection' };
  const cause = REFUSALS[a.status];
  if (cause)
    return { ok: false, retryable: false, error: `${what}: HTTP ${a.status} ${reason(a.text)}`, cause };
  return {
    ok: false,
    retryable: a.status >= 500 || a.status === 429 || a.status === 408,
    error: `${what}: HTTP ${a.status}`,
    cause: a.status >= 500 ? 'jenkins_unavailable' : 'unexpected_answer',
  };
}

const jobPath = (job: string) =>
  job
    .split('/')
    .filter(Boolean)
    .map((p) => `job/${encodeURIComponent(p)}`)
    .join('/');

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/** Polls a few answers lost in a row before giving up: a restart or a proxy hiccup mid-build is common. */
const POLL_FAILURES = 5;
/** How long an aborted attempt watches the build it asked to stop before it answers anyway. */
const STOP_WAIT_MS = 15_000;
const NEVER = new AbortController().signal;

export const jenkins: FileAction<JenkinsConfig> = {
  kind: 'jenkins',
  secrets: ['apiToken', 'password'],
  check(c) {
    const problems: { path: string; message: string }[] = [];
    try {
      const u = new URL(String(c.url));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      problems.push({ path: 'url', message: 'must be an http(s) URL' });
    }
    if (typeof c.job !== 'string' || !c.job.split('/').some(Boolean))
      problems.push({ path: 'job', message: 'the job’s full name, folders separated by /' });
    if (typeof c.user !== 'string' || !c.user) problems.push({ path: 'user', message: 'required' });
    if (!c.apiToken && !c.password)
      problems.push({ path: 'apiToken', message: 'an API token (or a password) is required' });
    for (const [name, value] of Object.entries(c.parameters ?? {})) {
      if (typeof value !== 'string') problems.push({ path: `parameters.${name}`, message: 'must be text' });
      else
        for (const p of unknownPlaceholders(value))
          problems.push({ path: `parameters.${name}`, message: `{${p}} is not a file field` });
    }
    if (c.pollMs !== undefined && !(Number.isInteger(c.pollMs) && c.pollMs >= 100))
      problems.push({ path: 'pollMs', message: 'at least 100 (milliseconds)' });
    return problems;
  },

  async run(run, c) {
    const base = c.url.replace(/\/+$/, '');
    const job = `${base}/${jobPath(c.job)}`;
    const pollMs = c.pollMs ?? 2000;
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(`${c.user}:${c.apiToken ?? c.password}`).toString('base64')}`,
    };
    // Once the attempt is aborted, the calls that stop the work in Jenkins and watch it end must
    // still go out: they are bounded by the client's own timeout and STOP_WAIT_MS.
    const call = (method: 'GET' | 'POST', url: string, body?: string, extra: Record<string, string> = {}) =>
      run.net.call(
        method,
        url,
        body,
        { ...headers, ...extra },
        run.signal.aborted ? {} : { signal: run.signal },
      );

    if (!c.apiToken) {
      const crumb = await call('GET', `${base}/crumbIssuer/api/json`);
      if (!('error' in crumb) && crumb.status === 200) {
        const { crumb: value, crumbRequestField } = JSON.parse(crumb.text) as Record<string, string>;
        headers[crumbRequestField ?? 'Jenkins-Crumb'] = value ?? '';
        // The crumb is only valid with the session it was issued in.
        const cookies = ([] as string[]).concat(crumb.headers['set-cookie'] ?? []);
        if (cookies.length) headers.cookie = cookies.map((s) => s.split(';')[0]).join('; ');
      } else if ('error' in crumb || crumb.status !== 404) return failure('crumb', crumb);
    }

    const form = new URLSearchParams(
      Object.entries(c.parameters ?? {}).map(([k, v]) => [
        k,
        fillPlaceholders(v, run.file, run.idempotencyKey),
      ]),
    ).toString();
    const trigger = c.parameters
      ? await call('POST', `${job}/buildWithParameters`, form, {
          'content-type': 'application/x-www-form-urlencoded',
        })
      : await call('POST', `${job}/build`, '');
    if ('error' in trigger || (trigger.status !== 201 && trigger.status !== 303))
      return failure('trigger', trigger);
    if (!trigger.headers.location)
      return {
        ok: false,
        retryable: false,
        error: 'trigger: no queue item Location',
        cause: 'unexpected_answer',
      };
    const queueUrl = new URL(trigger.headers.location, `${base}/`).toString().replace(/\/?$/, '/');
    const queueId = Number(/\/queue\/item\/(\d+)/.exec(queueUrl)?.[1]);
    const coalesced = trigger.status === 303;
    const result: Record<string, unknown> = { queueId, queueUrl, coalesced };
    run.output(
      coalesced
        ? `Jenkins already had an identical build queued: this task follows queue item ${queueId}\n`
        : `queued as item ${queueId}\n`,
    );

    // The queue item, until it becomes a build (or is cancelled).
    let number: number | undefined;
    let lastWhy = '';
    let lost = 0;
    while (number === undefined) {
      if (run.signal.aborted) {
        await run.net.call('POST', `${base}/queue/cancelItem?id=${queueId}`, '', headers);
        return { ok: false, retryable: false, error: 'cancelled while queued', cause: 'aborted' };
      }
      const item = await call('GET', `${queueUrl}api/json`);
      if ('error' in item || item.status !== 200) {
        if (run.signal.aborted) continue;
        if (++lost >= POLL_FAILURES) return { ...failure('queue item', item), result } as ActionOutcome;
        await sleep(pollMs, run.signal);
        continue;
      }
      lost = 0;
      const q = JSON.parse(item.text) as {
        why?: string | null;
        cancelled?: boolean;
        executable?: { number: number; url?: string } | null;
      };
      if (q.cancelled)
        return {
          ok: false,
          retryable: false,
          error: `the queue item was cancelled in Jenkins${lastWhy ? ` (last: ${lastWhy})` : ''}`,
          cause: 'queue_cancelled',
        };
      if (q.executable) number = q.executable.number;
      else {
        if (q.why && q.why !== lastWhy) run.output(`waiting: ${q.why}\n`);
        lastWhy = q.why ?? lastWhy;
        await sleep(pollMs, run.signal);
      }
    }
    const build = `${job}/${number}`;
    result.build = number;
    result.buildUrl = `${build}/`;
    run.output(`build #${number} started: ${build}/\n`);

    // The build, with its console as it grows.
    let start = 0;
    let stopped = 0;
    for (;;) {
      if (run.signal.aborted && !stopped) {
        stopped = Date.now();
        run.output(`stopping build #${number}\n`);
        await call('POST', `${build}/stop`, '');
      }
      if (stopped && Date.now() - stopped > STOP_WAIT_MS)
        return {
          ok: false,
          retryable: false,
          error: `cancelled; build #${number} was asked to stop`,
          cause: 'aborted',
          result,
        };
      const text = await call('GET', `${build}/logText/progressiveText?start=${start}`);
      let more = true;
      if (!('error' in text) && text.status === 200) {
        if (text.text) run.output(text.text);
        start = Number(text.headers['x-text-size'] ?? start + Buffer.byteLength(text.text));
        more = text.headers['x-more-data'] === 'true';
      }
      const state = await call('GET', `${build}/api/json?tree=building,result,duration`);
      if ('error' in state || state.status !== 200) {
        if (stopped)
          return { ok: false, retryable: false, error: 'cancelled while building', cause: 'aborted', result };
        if (++lost >= POLL_FAILURES) return { ...failure('build', state), result } as ActionOutcome;
        await sleep(pollMs, run.signal);
        continue;
      }
      lost = 0;
      const b = JSON.parse(state.text) as { building: boolean; result: string | null; duration?: number };
      if (!b.building && b.result && !more) {
        result.result = b.result;
        result.durationMs = b.duration;
        if (b.result === 'SUCCESS') return { ok: true, result };
        if (stopped)
          return {
            ok: false,
            retryable: false,
            error: `cancelled: build #${number} ${b.result}`,
            cause: 'aborted',
            result,
          };
        return {
          ok: false,
          retryable: false,
          error: `build #${number} ended ${b.result}`,
          cause: 'build_failed',
          result,
        };
      }
      if (!more || stopped) await sleep(pollMs, stopped ? NEVER : run.signal);
    }
  },
};
