import { type JenkinsSim, startJenkinsSim } from '@opsfleet/cloudsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbound } from '../../../http/outbound.ts';
import type { ActionRun, UploadedFile } from '../action.ts';
import { type JenkinsConfig, jenkins } from './index.ts';

const FILE: UploadedFile = {
  id: '6f1c0c38-5f0a-4d59-9d0e-3b1f4c1a0b11',
  agent: 'web-1',
  source: 'dumps',
  path: '/var/dumps/app-1.hprof',
  size: 1234,
  mtime: '2026-12-07T10:00:00Z',
  labels: { app: 'shop' },
  object: {
    bucket: 'dumps',
    key: 'web-1/app-1.hprof',
    url: 's3://dumps/web-1/app-1.hprof',
    etag: '"abc"',
    size: 1234,
  },
};

describe('Jenkins action against the Jenkins simulator', () => {
  let sim: JenkinsSim;
  const net = new Outbound({ allow: ['127.0.0.1/32'], timeoutMs: 5000 });

  beforeAll(async () => {
    sim = await startJenkinsSim({
      users: [
        { name: 'ci', password: 'hunter2', apiTokens: ['tok-1'] },
        { name: 'viewer', apiTokens: ['ro'], permission: 'read' },
      ],
      jobs: [
        {
          name: 'dumps/analyse',
          parameters: [{ name: 'URL' }, { name: 'APP' }, { name: 'RESULT' }],
          durationMs: 300,
          resultParam: 'RESULT',
          lines: ['downloading', 'analysing'],
        },
        { name: 'nightly' },
        { name: 'old', disabled: true },
        { name: 'stuck', hang: true },
        { name: 'slowq', parameters: [{ name: 'URL' }], quietPeriodMs: 2000 },
      ],
      quietPeriodMs: 50,
    });
  });
  afterAll(async () => {
    net.close();
    await sim.close();
  });

  const config = (over: Partial<JenkinsConfig> = {}): JenkinsConfig => ({
    url: sim.url,
    job: 'dumps/analyse',
    user: 'ci',
    apiToken: 'tok-1',
    parameters: { URL: '{url}', APP: '{label.app}' },
    pollMs: 100,
    ...over,
  });

  async function attempt(c: JenkinsConfig, signal = new AbortController().signal, key = 'k-1') {
    let output = '';
    const run: ActionRun = {
      file: FILE,
      idempotencyKey: key,
      attempt: 1,
      signal,
      output: (t) => {
        output += t;
      },
      net,
    };
    const outcome = await jenkins.run(run, c);
    return { outcome, output };
  }

  it('triggers a parameterised job in a folder with the file’s fields, follows it to SUCCESS and keeps the console', async () => {
    const { outcome, output } = await attempt(config());
    expect(outcome).toMatchObject({ ok: true, result: { result: 'SUCCESS', coalesced: false } });
    const trigger = sim.triggers.at(-1)!;
    expect(trigger).toMatchObject({
      job: 'dumps/analyse',
      via: 'buildWithParameters',
      params: { URL: 's3://dumps/web-1/app-1.hprof', APP: 'shop' },
    });
    expect(output).toContain('downloading');
    expect(output).toContain('Finished: SUCCESS');
  });

  it('logs in with a password: fetches a crumb and keeps its session cookie', async () => {
    const { outcome } = await attempt(config({ apiToken: undefined, password: 'hunter2' }));
    expect(outcome).toMatchObject({ ok: true });
    expect(sim.triggers.at(-1)).toMatchObject({ status: 201, user: 'ci' });
  });

  it('triggers an unparameterised job with build', async () => {
    const { outcome } = await attempt(config({ job: 'nightly', parameters: undefined }));
    expect(outcome).toMatchObject({ ok: true });
    expect(sim.triggers.at(-1)).toMatchObject({ job: 'nightly', via: 'build' });
  });

  it('a build that ends FAILURE is a failure not worth retrying, with the console kept', async () => {
    const { outcome, output } = await attempt(config({ parameters: { URL: '{url}', RESULT: 'FAILURE' } }));
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      cause: 'build_failed',
      result: { result: 'FAILURE' },
    });
    expect(output).toContain('Finished: FAILURE');
  });

  it('an identical item already queued is followed as coalesced, visibly', async () => {
    const c = config({ job: 'slowq', parameters: { URL: '{url}' } });
    const [first, second] = await Promise.all([attempt(c), attempt(c, undefined, 'k-2')]);
    const outcomes = [first.outcome, second.outcome];
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(outcomes.map((o) => (o.ok ? o.result?.coalesced : undefined)).sort()).toEqual([false, true]);
    expect(second.output + first.output).toContain('already had an identical build queued');
  });

  it.each([
    ['wrong token', { apiToken: 'nope' }, 'unauthorized'],
    ['read-only user', { user: 'viewer', apiToken: 'ro' }, 'forbidden'],
    ['missing job', { job: 'dumps/nope' }, 'not_found'],
    ['not parameterised', { job: 'nightly' }, 'bad_request'],
    ['disabled job', { job: 'old', parameters: undefined }, 'not_buildable'],
  ] as const)('%s: refused, not retryable, with the reason', async (_name, over, cause) => {
    const { outcome } = await attempt(config(over as Partial<JenkinsConfig>));
    expect(outcome).toMatchObject({ ok: false, retryable: false, cause });
    expect(outcome.ok ? '' : outcome.error).toMatch(/HTTP 4\d\d/);
  });

  it('a 500 or an unreachable Jenkins is worth another attempt', async () => {
    sim.inject({ kind: 'server_error', path: '/job/dumps/job/analyse/buildWithParameters' });
    expect((await attempt(config())).outcome).toMatchObject({
      ok: false,
      retryable: true,
      cause: 'jenkins_unavailable',
    });
    expect((await attempt(config({ url: 'http://127.0.0.1:1' }))).outcome).toMatchObject({
      ok: false,
      retryable: true,
      cause: 'connection',
    });
  });

  it('an aborted attempt stops its running build', async () => {
    const stop = new AbortController();
    const running = attempt(config({ job: 'stuck', parameters: undefined }), stop.signal);
    await new Promise((r) => setTimeout(r, 600));
    stop.abort();
    const { outcome, output } = await running;
    expect(outcome).toMatchObject({ ok: false, retryable: false, cause: 'aborted' });
    expect(output).toContain('Finished: ABORTED');
  });

  it('checks its settings field by field', () => {
    expect(
      jenkins.check({ url: 'ftp://x', job: '', user: '', parameters: { URL: '{nope}' } } as JenkinsConfig),
    ).toEqual([
      { path: 'url', message: 'must be an http(s) URL' },
      { path: 'job', message: 'the job’s full name, folders separated by /' },
      { path: 'user', message: 'required' },
      { path: 'apiToken', message: 'an API token (or a password) is required' },
      { path: 'parameters.URL', message: '{nope} is not a file field' },
    ]);
    expect(jenkins.check(config())).toEqual([]);
  });
});
