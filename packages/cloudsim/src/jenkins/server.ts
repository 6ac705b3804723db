import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { consoleAt, progressiveText } from './console.ts';
import { CRUMB_FIELD } from './crumb.ts';
import { buildJson, folderJson, itemSummary, jobJson, queueItemJson } from './json.ts';
import {
  type Build,
  DEFAULT_DURATION_MS,
  isBuilding,
  JenkinsModel,
  type JobSpec,
  type Params,
  resultAt,
} from './model.ts';
import { html, json, parseDelay, type Reply, redirect, withHeaders } from './reply.ts';
import { type Auth, basicAuth, CrumbSessions, type JenkinsUser } from './security.ts';

/**
 * Faults a test injects: `server_error` answers 500, `slow` answers after
 * `delayMs`, `timeout` holds the request `delayMs` and drops the connection. `path` limits the
 * fault to request paths starting with it; it fires `times` times (default 1; Infinity = always).
 */
export interface JenkinsFault {
  kind: 'server_error' | 'slow' | 'timeout';
  path?: string;
  times?: number;
  delayMs?: number;
}

/** One build request as the simulator answered it, accepted or not. */
export interface TriggerRecord {
  at: number;
  job: string;
  via: 'build' | 'buildWithParameters';
  user?: string;
  params: Params;
  status: number;
  queueId?: number;
  /** True when folded into an identical queued item. */
  coalesced?: boolean;
  message?: string;
}

export interface JenkinsSimOptions {
  users: JenkinsUser[];
  jobs: JobSpec[];
  /** Default 100 ms (Jenkins: 5 s); `?delay=` and a job's own quiet period override it. */
  quietPeriodMs?: number;
  /** Default 2. */
  executors?: number;
  /** Default 5 minutes, as Jenkins keeps left queue items. */
  leftItemTtlMs?: number;
  /** Anonymous users may read (jobs, queue, builds) but never build. Default false. */
  anonymousRead?: boolean;
  /** Default true; false = no crumb issuer (its URL 404s and POSTs need no crumb). */
  crumbIssuer?: boolean;
  /** `DefaultCrumbIssuer.EXCLUDE_SESSION_ID`: crumbs do not depend on the session cookie. */
  excludeSessionId?: boolean;
  version?: string;
  host?: string;
  port?: number;
  now?: () => number;
}

export interface JenkinsSim {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  model: JenkinsModel;
  triggers: TriggerRecord[];
  inject(fault: JenkinsFault): void;
  /** A Jenkins restart: new crumb salt and instance session, sessions and left queue items lost, running builds aborted. */
  restart(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const PERMALINKS: Record<string, (b: Build, now: number) => boolean> = {
  lastBuild: () => true,
  lastCompletedBuild: (b, now) => !isBuilding(b, now),
  lastSuccessfulBuild: (b, now) => ['SUCCESS', 'UNSTABLE'].includes(resultAt(b, now) ?? ''),
  lastFailedBuild: (b, now) => resultAt(b, now) === 'FAILURE',
};

/**
 * Starts a Jenkins remote-access-API simulator on its own port: Basic auth with API tokens or
 * passwords, the crumb issuer and CSRF filter with the API-token exemption, folders and jobs,
 * the build queue, builds whose simulated script runs for a configured time, and the
 * progressive console. Controls for another process: `POST /_sim/faults`, `POST /_sim/restart`,
 * `GET /_sim/triggers`.
 */
export async function startJenkinsSim(opts: JenkinsSimOptions): Promise<JenkinsSim> {
  const now = opts.now ?? Date.now;
  const model = new JenkinsModel({
    jobs: opts.jobs,
    quietPeriodMs: opts.quietPeriodMs ?? 100,
    executors: opts.executors ?? 2,
    leftItemTtlMs: opts.leftItemTtlMs ?? 5 * 60_000,
    now,
  });
  const version = opts.version ?? '2.479.3';
  const triggers: TriggerRecord[] = [];
  let faults: (JenkinsFault & { times: number })[] = [];
  const csrf = new CrumbSessions(opts.excludeSessionId ?? false);

  const takeFault = (path: string) => {
    const f = faults.find((x) => !x.path || path.startsWith(x.path));
    if (!f) return undefined;
    f.times -= 1;
    if (f.times <= 0) faults = faults.filter((x) => x !== f);
    return f;
  };

  const authenticate = (req: IncomingMessage): Auth | Reply => {
    const out = basicAuth(opts.users, req.headers.authorization);
    if ('failed' in out)
      return withHeaders(
        html(
          401,
          `Invalid password/token for user: ${out.failed}`,
          new URL(req.url ?? '/', 'http://x').pathname,
        ),
        { 'www-authenticate': 'Basic realm="Jenkins"' },
      );
    return out;
  };

  const clientIp = (req: IncomingMessage) => req.socket.remoteAddress ?? '';

  async function handle(req: IncomingMessage, body: Buffer): Promise<Reply | undefined> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const base = `http://${req.headers.host}`;
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path.startsWith('/_sim/')) return control(method, path, body);

    const fault = takeFault(path);
    if (fault?.kind === 'timeout') {
      setTimeout(() => req.socket.destroy(), fault.delayMs ?? 30_000).unref();
      return undefined;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 2000));
    if (fault?.kind === 'server_error') return html(500, 'Server Error', path);

    const auth = authenticate(req);
    if ('status' in auth) return auth;
    const userName = auth.user?.name ?? 'anonymous';
    const form = new URLSearchParams(
      (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
        ? body.toString('utf8')
        : '',
    );
    const param = (name: string) => url.searchParams.get(name) ?? form.get(name);

    if (method === 'POST' && opts.crumbIssuer !== false && !auth.viaToken) {
      const crumb =
        (req.headers[CRUMB_FIELD.toLowerCase()] as string | undefined) ?? form.get(CRUMB_FIELD) ?? undefined;
      if (!csrf.valid(crumb, userName, req.headers.cookie, clientIp(req)))
        return html(403, 'No valid crumb was included in the request', path);
    }

    if (!auth.user && !opts.anonymousRead)
      return withHeaders(html(403, 'Authentication required', path), {
        'x-you-are-authenticated-as': 'anonymous',
      });
    const needBuild = (): Reply | undefined =>
      auth.user && auth.user.permission !== 'read'
        ? undefined
        : withHeaders(html(403, `${userName} is missing the Job/Build permission`, path), {
            'x-you-are-authenticated-as': userName,
            'x-required-permission': 'hudson.model.Item.Build',
            'x-permission-implied-by': 'hudson.model.Hudson.Administer',
          });

    const t = model.now();
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    const tree = url.searchParams.get('tree');

    if (seg.length === 0)
      return { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>Dashboard</html>' };
    if (seg.join('/') === 'api/json')
      return json(
        {
          _class: 'hudson.model.Hudson',
          mode: 'NORMAL',
          nodeDescription: 'the Jenkins controller (simulated)',
          numExecutors: model.options.executors,
          quietingDown: false,
          useCrumbs: opts.crumbIssuer !== false,
          useSecurity: true,
          jobs: model.children('').map((c) => itemSummary(model, base, c, t, tree !== null)),
        },
        tree,
      );
    if (seg.join('/') === 'whoAmI/api/json')
      return json({
        _class: 'hudson.security.WhoAmI',
        anonymous: !auth.user,
        authenticated: true,
        authorities: auth.user ? ['authenticated'] : ['anonymous'],
        name: userName,
      });
    if (seg.join('/') === 'me/api/json' && auth.user)
      return json(
        {
          _class: 'hudson.model.User',
          absoluteUrl: `${base}/user/${encodeURIComponent(userName)}`,
          description: null,
          fullName: userName,
          id: userName,
          property: [],
        },
        tree,
      );
    if (seg.join('/') === 'crumbIssuer/api/json') {
      if (opts.crumbIssuer === false) return html(404, 'Not Found', path);
      const { crumb, setCookie } = csrf.issue(userName, req.headers.cookie, clientIp(req));
      const headers: Record<string, string> = setCookie ? { 'set-cookie': setCookie } : {};
      return withHeaders(
        json(
          { _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb, crumbRequestField: CRUMB_FIELD },
          tree,
        ),
        headers,
      );
    }
    if (seg[0] === 'queue') return queue(seg.slice(1), method, param, base, t, tree, needBuild, path);

    // /job/a/job/b/... → item `a/b` and the rest of the path.
    let i = 0;
    const names: string[] = [];
    while (seg[i] === 'job' && seg[i + 1] !== undefined) {
      names.push(seg[i + 1]!);
      i += 2;
    }
    const name = names.join('/');
    const rest = seg.slice(i);
    if (!name || (!model.jobs.has(name) && !model.isFolder(name))) return html(404, 'Not Found', path);
    if (!model.jobs.has(name)) {
      if (rest.join('/') === 'api/json') return json(folderJson(model, base, name, t, tree !== null), tree);
      if (rest.length === 0)
        return { status: 200, headers: { 'content-type': 'text/html' }, body: `<html>${name}</html>` };
      return html(404, 'Not Found', path);
    }
    const job = model.jobs.get(name)!;
    const action = rest.join('/');
    if (action === 'api/json') return json(jobJson(model, base, name, t), tree);
    if (rest.length === 0)
      return { status: 200, headers: { 'content-type': 'text/html' }, body: `<html>${name}</html>` };
    if (action === 'build' || action === 'buildWithParameters') {
      // A browser's GET of a parameterised job's `build` gets the parameter form; nothing is scheduled.
      if (method !== 'POST' && action === 'build' && job.spec.parameters && !job.spec.disabled)
        return {
          status: 200,
          headers: { 'content-type': 'text/html' },
          body: `<html><form>${name}</form></html>`,
        };
      if (method !== 'POST') return html(405, 'This URL requires POST', path);
      return trigger(name, action, req, form, param, base, needBuild, auth.user?.name);
    }

    const permalink = PERMALINKS[rest[0]!];
    const build = permalink
      ? [...job.builds].reverse().find((b) => permalink(b, t))
      : /^\d+$/.test(rest[0]!)
        ? model.build(name, Number(rest[0]))
        : undefined;
    if (!build) return html(404, 'Not Found', path);
    const sub = rest.slice(1).join('/');
    switch (sub) {
      case '':
        return {
          status: 200,
          headers: { 'content-type': 'text/html' },
          body: `<html>${name} #${build.number}</html>`,
        };
      case 'api/json': {
        const done = job.builds.filter((b) => !isBuilding(b, t));
        const estimate = done.length ? done.at(-1)!.plannedMs : (job.spec.durationMs ?? DEFAULT_DURATION_MS);
        return json(buildJson(base, build, t, Number.isFinite(estimate) ? estimate : -1), tree);
      }
      case 'consoleText':
        return {
          status: 200,
          headers: { 'content-type': 'text/plain;charset=UTF-8' },
          body: consoleAt(build, t),
        };
      case 'logText/progressiveText': {
        const p = progressiveText(consoleAt(build, t), Number(param('start') ?? 0), !isBuilding(build, t));
        const headers: Record<string, string> = {
          'content-type': 'text/plain;charset=UTF-8',
          'x-text-size': String(p.textSize),
        };
        if (p.moreData) headers['x-more-data'] = 'true';
        return { status: 200, headers, body: p.body };
      }
      case 'stop': {
        if (method !== 'POST') return html(405, 'This URL requires POST', path);
        const denied = needBuild();
        if (denied) return denied;
        model.stop(build, auth.user?.name);
        return redirect(302, `${base}/${seg.slice(0, i + 1).join('/')}/`);
      }
      default:
        return html(404, 'Not Found', path);
    }
  }

  function trigger(
    name: string,
    via: 'build' | 'buildWithParameters',
    req: IncomingMessage,
    form: URLSearchParams,
    param: (n: string) => string | null,
    base: string,
    needBuild: () => Reply | undefined,
    user: string | undefined,
  ): Reply {
    const job = model.jobs.get(name)!;
    const given: Params = {};
    // Jenkins's order: `build` checks buildable, then the permission, then the form;
    // `buildWithParameters` the permission, then buildable, then parameterised (in the model).
    let reply: Reply | undefined =
      via === 'build' && job.spec.disabled ? html(409, `${name} is not buildable`, req.url ?? '') : undefined;
    reply ??= needBuild();
    if (via === 'buildWithParameters') {
      const url = new URL(req.url ?? '/', 'http://x');
      for (const [k, v] of form) given[k] = v;
      for (const [k, v] of url.searchParams) given[k] = v;
    } else if (!reply && job.spec.parameters) {
      // `build` on a parameterised job takes the form's `json` field, as the build page submits it.
      const raw = form.get('json');
      if (!raw) reply = html(400, 'Nothing is submitted', req.url ?? '');
      else {
        const parsed = JSON.parse(raw) as {
          parameter?: { name: string; value: unknown }[] | { name: string; value: unknown };
        };
        const list = Array.isArray(parsed.parameter)
          ? parsed.parameter
          : parsed.parameter
            ? [parsed.parameter]
            : [];
        for (const p of list) {
          if (!job.spec.parameters.some((d) => d.name === p.name))
            reply = html(500, `No such parameter definition: ${p.name}`, req.url ?? '');
          given[p.name] = String(p.value);
        }
      }
    }
    let queueId: number | undefined;
    let coalesced: boolean | undefined;
    if (!reply) {
      const out = model.schedule(name, {
        params: given,
        cause: { user },
        delayMs: parseDelay(param('delay')),
        via,
      });
      if (out.kind === 'error') reply = html(out.status, out.message, req.url ?? '');
      else {
        queueId = out.item.id;
        coalesced = out.kind === 'existing';
        // Only buildWithParameters tells a folded request apart (303, Jenkins ≥ 2.308).
        const status = via === 'buildWithParameters' && coalesced ? 303 : 201;
        reply = redirect(status, `${base}/queue/item/${out.item.id}/`);
      }
    }
    triggers.push({
      at: model.now(),
      job: name,
      via,
      user,
      params: given,
      status: reply.status,
      queueId,
      coalesced,
      message: reply.message,
    });
    return reply;
  }

  function queue(
    rest: string[],
    method: string,
    param: (n: string) => string | null,
    base: string,
    t: number,
    tree: string | null,
    needBuild: () => Reply | undefined,
    path: string,
  ): Reply {
    const action = rest.join('/');
    if (action === 'api/json')
      return json(
        {
          _class: 'hudson.model.Queue',
          discoverableItems: [],
          items: model.queue.map((i) => queueItemJson(model, base, i, t)),
        },
        tree,
      );
    if (action === 'cancelItem') {
      if (method !== 'POST') return html(405, 'This URL requires POST', path);
      const denied = needBuild();
      if (denied) return denied;
      const id = Number(param('id'));
      if (model.cancel(id)) return { status: 204, body: '' };
      return model.item(id) ? html(422, 'Not cancellable', path) : html(404, 'Not Found', path);
    }
    if (rest[0] === 'item' && /^\d+$/.test(rest[1] ?? '')) {
      const item = model.item(Number(rest[1]));
      if (!item) return html(404, 'Not Found', path);
      const sub = rest.slice(2).join('/');
      if (sub === 'api/json') return json(queueItemJson(model, base, item, t), tree);
      if (sub === '')
        return {
          status: 200,
          headers: { 'content-type': 'text/html' },
          body: `<html>item ${item.id}</html>`,
        };
    }
    return html(404, 'Not Found', path);
  }

  function control(method: string, path: string, body: Buffer): Reply {
    const ok = json({ ok: true });
    switch (`${method} ${path}`) {
      case 'POST /_sim/faults':
        sim.inject(JSON.parse(body.toString('utf8') || '{}'));
        return ok;
      case 'POST /_sim/restart':
        sim.restart();
        return ok;
      case 'GET /_sim/triggers':
        return json({ triggers });
      default:
        return { ...json({ error: 'unknown control path' }), status: 404 };
    }
  }

  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const out = await handle(req, body);
      if (!out) return;
      res.writeHead(out.status, {
        'x-jenkins': version,
        'x-hudson': '1.395',
        'x-jenkins-session': csrf.instanceId(),
        ...out.headers,
      });
      res.end(out.body ?? '');
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain', 'x-jenkins': version });
      res.end(`jenkins sim internal error: ${(err as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;

  const sim: JenkinsSim = {
    url: `http://${opts.host ?? '127.0.0.1'}:${address.port}`,
    model,
    triggers,
    inject(fault) {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    restart() {
      csrf.restart();
      model.restart();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return sim;
}
