import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JenkinsSim, startJenkinsSim } from '../src/jenkins/index.ts';

const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const TOKEN = { authorization: basic('ci', '11aa22bb33cc') };
const PASSWORD = { authorization: basic('ci', 'hunter2') };

async function until<T>(what: () => Promise<T>, done: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Jenkins simulator over HTTP', () => {
  let sim: JenkinsSim;
  let url: string;
  const get = (path: string, headers: Record<string, string> = TOKEN) => fetch(`${url}${path}`, { headers });
  const post = (path: string, headers: Record<string, string> = TOKEN, body?: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: body ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' } : headers,
      body,
      redirect: 'manual',
    });

  beforeAll(async () => {
    sim = await startJenkinsSim({
      users: [
        { name: 'ci', password: 'hunter2', apiTokens: ['11aa22bb33cc'] },
        { name: 'viewer', apiTokens: ['ro'], permission: 'read' },
        { name: 'ops', password: 'pw2' },
      ],
      jobs: [
        {
          name: 'dumps/analyse',
          parameters: [{ name: 'URL' }, { name: 'APP', default: 'java' }, { name: 'RESULT' }],
          resultParam: 'RESULT',
          // Long enough to be seen running on a loaded machine.
          durationMs: 800,
          lines: ['downloading', 'analysing', 'done'],
        },
        { name: 'plain', durationMs: 100 },
        { name: 'off', disabled: true, parameters: [{ name: 'URL' }] },
        { name: 'stuck', hang: true, lines: ['waiting forever'] },
      ],
      quietPeriodMs: 50,
    });
    url = sim.url;
  });
  afterAll(async () => sim?.close());

  it('follows a client’s flow: job → build → queue item → build number → result → console', async () => {
    const job = await (await get('/job/dumps/job/analyse/api/json')).json();
    expect(job.property[0].parameterDefinitions.map((d: { name: string }) => d.name)).toEqual([
      'URL',
      'APP',
      'RESULT',
    ]);
    expect(job.inQueue).toBe(false);

    const trigger = await post('/job/dumps/job/analyse/buildWithParameters?URL=s3://b/heap.hprof&delay=1sec');
    expect(trigger.status).toBe(201);
    expect(await trigger.text()).toBe('');
    const location = trigger.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${url}/queue/item/\\d+/$`));

    const waiting = await (await fetch(`${location}api/json`, { headers: TOKEN })).json();
    expect(waiting).toMatchObject({
      _class: 'hudson.model.Queue$WaitingItem',
      blocked: false,
      buildable: false,
    });
    expect(waiting.why).toMatch(/^In the quiet period\. Expires in /);
    expect(waiting.executable).toBeUndefined();
    expect((await (await get('/job/dumps/job/analyse/api/json')).json()).inQueue).toBe(true);

    const left = await until(
      async () => (await fetch(`${location}api/json`, { headers: TOKEN })).json(),
      (v) => v.executable != null,
    );
    expect(left).toMatchObject({ _class: 'hudson.model.Queue$LeftItem', cancelled: false, why: null });
    expect(left.executable).toEqual({
      _class: 'hudson.model.FreeStyleBuild',
      number: 1,
      url: `${url}/job/dumps/job/analyse/1/`,
    });

    const running = await (await fetch(`${left.executable.url}api/json`, { headers: TOKEN })).json();
    expect(running).toMatchObject({ building: true, result: null, duration: 0, number: 1, queueId: left.id });

    let log = '';
    let start = 0;
    let sawMore = false;
    for (;;) {
      const r = await fetch(`${left.executable.url}logText/progressiveText?start=${start}`, {
        headers: TOKEN,
      });
      expect(r.status).toBe(200);
      log += await r.text();
      start = Number(r.headers.get('x-text-size'));
      if (r.headers.get('x-more-data') !== 'true') break;
      sawMore = true;
      await new Promise((res) => setTimeout(res, 40));
    }
    expect(sawMore).toBe(true);
    expect(log).toContain('Started by user ci\n');
    expect(log).toContain('downloading\nanalysing\ndone\n');
    expect(log.endsWith('Finished: SUCCESS\n')).toBe(true);
    expect(start).toBe(Buffer.byteLength(log));

    const done = await (
      await get(
        '/job/dumps/job/analyse/lastBuild/api/json?tree=building,result,duration,actions[parameters[name,value]]',
      )
    ).json();
    expect(done.building).toBe(false);
    expect(done.result).toBe('SUCCESS');
    expect(done.duration).toBeGreaterThanOrEqual(800);
    expect(done.actions[0].parameters).toEqual([
      { _class: 'hudson.model.StringParameterValue', name: 'URL', value: 's3://b/heap.hprof' },
      { _class: 'hudson.model.StringParameterValue', name: 'APP', value: 'java' },
      { _class: 'hudson.model.StringParameterValue', name: 'RESULT', value: '' },
    ]);
    expect(await (await get('/job/dumps/job/analyse/1/consoleText')).text()).toBe(log);
  });

  it('folds an identical queued request visibly: 303 to the same item; other parameters get a new one', async () => {
    // The first waits 2 s, so the others certainly find it queued; the folded one shortens the wait.
    const first = await post(
      '/job/dumps/job/analyse/buildWithParameters',
      TOKEN,
      'URL=s3://b/x&RESULT=FAILURE&delay=2sec',
    );
    const again = await post(
      '/job/dumps/job/analyse/buildWithParameters?URL=s3://b/x&RESULT=FAILURE&IGNORED=1',
    );
    const other = await post('/job/dumps/job/analyse/buildWithParameters?URL=s3://b/y');
    expect([first.status, again.status, other.status]).toEqual([201, 303, 201]);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(other.headers.get('location')).not.toBe(first.headers.get('location'));
    const folded = sim.triggers.filter((t) => t.coalesced);
    expect(folded.at(-1)).toMatchObject({ job: 'dumps/analyse', status: 303 });

    // `build` on an unparameterised job answers 201 for the folded request, with the same item.
    const a = await post('/job/plain/build?delay=1sec');
    const b = await post('/job/plain/build');
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('location')).toBe(a.headers.get('location'));

    const failed = await until(
      async () => (await fetch(`${first.headers.get('location')}api/json`, { headers: TOKEN })).json(),
      (v) => v.executable != null,
    );
    const build = await until(
      async () => (await fetch(`${failed.executable.url}api/json`, { headers: TOKEN })).json(),
      (v) => v.building === false,
    );
    expect(build.result).toBe('FAILURE');
  });

  it.each([
    [
      'buildWithParameters on an unparameterised job',
      '/job/plain/buildWithParameters?X=1',
      400,
      'plain is not parameterized',
    ],
    ['a disabled job', '/job/off/buildWithParameters?URL=u', 409, 'off is not buildable'],
    ['build on a disabled job', '/job/off/build', 409, 'off is not buildable'],
    [
      'build on a parameterised job without its form',
      '/job/dumps/job/analyse/build',
      400,
      'Nothing is submitted',
    ],
    ['a missing job', '/job/nope/build', 404, 'Not Found'],
    ['a job in a missing folder', '/job/nope/job/analyse/build', 404, 'Not Found'],
  ])('refuses %s', async (_, path, status, message) => {
    const r = await post(path);
    expect(r.status).toBe(status);
    expect(await r.text()).toContain(message);
    expect(r.headers.get('location')).toBeNull();
  });

  it('takes `build` with the json form field on a parameterised job', async () => {
    const json = JSON.stringify({ parameter: [{ name: 'URL', value: 'from-form' }] });
    const r = await post('/job/dumps/job/analyse/build', TOKEN, `json=${encodeURIComponent(json)}`);
    expect(r.status).toBe(201);
    const item = await (await fetch(`${r.headers.get('location')}api/json`, { headers: TOKEN })).json();
    expect(item.params).toBe('\nURL=from-form\nAPP=java\nRESULT=');

    const unknown = JSON.stringify({ parameter: { name: 'NOPE', value: '1' } });
    const bad = await post('/job/dumps/job/analyse/build', TOKEN, `json=${encodeURIComponent(unknown)}`);
    expect(bad.status).toBe(500);
    expect(await bad.text()).toContain('No such parameter definition: NOPE');

    const form = await get('/job/dumps/job/analyse/build');
    expect(form.status).toBe(200);
    expect((await get('/job/plain/build')).status).toBe(405);
    expect(sim.triggers.filter((t) => t.job === 'dumps/analyse' && t.status === 500)).toHaveLength(1);
  });

  it('answers bad credentials with 401 and the Basic challenge, and every answer with X-Jenkins', async () => {
    for (const auth of [basic('ci', 'wrong'), basic('ghost', 'x')]) {
      const r = await get('/api/json', { authorization: auth });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Basic realm="Jenkins"');
      expect(await r.text()).toContain('Invalid password/token for user:');
      expect(r.headers.get('x-jenkins')).toBe('2.479.3');
    }
    const ok = await get('/api/json');
    expect(ok.headers.get('x-jenkins')).toBe('2.479.3');
    expect(ok.headers.get('x-jenkins-session')).toMatch(/^[0-9a-f]{8}$/);
    const root = await ok.json();
    expect(root.jobs.map((j: { name: string }) => j.name)).toEqual(['dumps', 'off', 'plain', 'stuck']);
    expect((await get('/api/json', {})).status).toBe(403);
    expect((await (await get('/me/api/json')).json()).id).toBe('ci');
  });

  it('needs a crumb bound to the session for password auth; an API token needs none', async () => {
    const noCrumb = await post('/job/plain/build', PASSWORD);
    expect(noCrumb.status).toBe(403);
    expect(await noCrumb.text()).toContain('No valid crumb was included in the request');

    const issuer = await get('/crumbIssuer/api/json', PASSWORD);
    const body = await issuer.json();
    expect(body).toMatchObject({
      _class: 'hudson.security.csrf.DefaultCrumbIssuer',
      crumbRequestField: 'Jenkins-Crumb',
    });
    const cookie = issuer.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toMatch(/^JSESSIONID\.[0-9a-f]{8}=/);

    const withoutCookie = await post('/job/plain/build', { ...PASSWORD, 'jenkins-crumb': body.crumb });
    expect(withoutCookie.status).toBe(403);
    const otherUser = await post('/job/plain/build', {
      authorization: basic('ops', 'pw2'),
      cookie,
      'jenkins-crumb': body.crumb,
    });
    expect(otherUser.status).toBe(403);
    const ok = await post('/job/plain/build', { ...PASSWORD, cookie, 'jenkins-crumb': body.crumb });
    expect(ok.status).toBe(201);
    const asForm = await post('/job/plain/build', { ...PASSWORD, cookie }, `Jenkins-Crumb=${body.crumb}`);
    expect(asForm.status).toBe(201);

    // A restart rotates the salt and drops sessions: the old crumb and cookie stop working.
    sim.restart();
    expect(
      (await post('/job/plain/build', { ...PASSWORD, cookie, 'jenkins-crumb': body.crumb })).status,
    ).toBe(403);
    const again = await get('/crumbIssuer/api/json', PASSWORD);
    const fresh = await again.json();
    expect(fresh.crumb).not.toBe(body.crumb);
    const newCookie = again.headers.get('set-cookie')!.split(';')[0]!;
    expect(
      (await post('/job/plain/build', { ...PASSWORD, cookie: newCookie, 'jenkins-crumb': fresh.crumb }))
        .status,
    ).toBe(201);
  });

  it('refuses a user without the build permission with the permission headers', async () => {
    const r = await post('/job/plain/build', { authorization: basic('viewer', 'ro') });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-required-permission')).toBe('hudson.model.Item.Build');
    expect(r.headers.get('x-you-are-authenticated-as')).toBe('viewer');
    expect(sim.triggers.at(-1)).toMatchObject({ job: 'plain', user: 'viewer', status: 403 });
  });

  it('stops a hanging build: ABORTED, console says who', async () => {
    const r = await post('/job/stuck/build?delay=0sec');
    const item = await until(
      async () => (await fetch(`${r.headers.get('location')}api/json`, { headers: TOKEN })).json(),
      (v) => v.executable != null,
    );
    await new Promise((res) => setTimeout(res, 150));
    const still = await (await fetch(`${item.executable.url}api/json`, { headers: TOKEN })).json();
    expect(still.building).toBe(true);
    const tail = await fetch(`${item.executable.url}logText/progressiveText?start=0`, { headers: TOKEN });
    expect(tail.headers.get('x-more-data')).toBe('true');
    expect(await tail.text()).toContain('waiting forever\n');

    const stop = await post(`/job/stuck/${item.executable.number}/stop`);
    expect(stop.status).toBe(302);
    const build = await (await fetch(`${item.executable.url}api/json`, { headers: TOKEN })).json();
    expect(build).toMatchObject({ building: false, result: 'ABORTED' });
    const log = await fetch(`${item.executable.url}logText/progressiveText?start=0`, { headers: TOKEN });
    expect(log.headers.get('x-more-data')).toBeNull();
    expect((await log.text()).endsWith('Aborted by ci\nFinished: ABORTED\n')).toBe(true);
  });

  it('cancels a queued item: 204, then left with cancelled and no executable; unknown id 404', async () => {
    const r = await post('/job/dumps/job/analyse/buildWithParameters?URL=cancel-me&delay=60sec');
    const id = r.headers.get('location')!.match(/item\/(\d+)\//)![1];
    expect((await post(`/queue/cancelItem?id=${id}`)).status).toBe(204);
    const item = await (await get(`/queue/item/${id}/api/json`)).json();
    expect(item).toMatchObject({ cancelled: true, executable: null });
    expect((await post('/queue/cancelItem?id=99999')).status).toBe(404);
  });

  it('serves folders and 404s for unknown builds', async () => {
    const folder = await (await get('/job/dumps/api/json')).json();
    expect(folder._class).toBe('com.cloudbees.hudson.plugins.folder.Folder');
    expect(folder.jobs).toEqual([
      expect.objectContaining({ name: 'analyse', url: `${url}/job/dumps/job/analyse/` }),
    ]);
    // A tree asking for nested jobs gets them (how python-jenkins walks folders); depth 0 does not.
    const plainRoot = await (await get('/api/json')).json();
    expect(plainRoot.jobs.find((j: { name: string }) => j.name === 'dumps').jobs).toBeUndefined();
    const deep = await (await get('/api/json?tree=jobs[name,jobs[name,url]]')).json();
    expect(deep.jobs.find((j: { name: string }) => j.name === 'dumps')).toEqual({
      _class: 'com.cloudbees.hudson.plugins.folder.Folder',
      name: 'dumps',
      jobs: [
        { _class: 'hudson.model.FreeStyleProject', name: 'analyse', url: `${url}/job/dumps/job/analyse/` },
      ],
    });
    expect((await get('/job/plain/999/api/json')).status).toBe(404);
    expect((await get('/queue/item/99999/api/json')).status).toBe(404);
  });

  it('injects faults: 500 once, a slow answer, a dropped connection, also over /_sim', async () => {
    sim.inject({ kind: 'server_error', path: '/crumbIssuer' });
    expect((await get('/crumbIssuer/api/json')).status).toBe(500);
    expect((await get('/crumbIssuer/api/json')).status).toBe(200);

    await fetch(`${url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'slow', path: '/queue/', delayMs: 300 }),
    });
    const t0 = performance.now();
    await get('/queue/api/json');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);

    sim.inject({ kind: 'timeout', delayMs: 100 });
    expect(await get('/api/json').catch((e) => e)).toBeInstanceOf(Error);
    expect((await get('/api/json')).status).toBe(200);

    const triggers = await (await fetch(`${url}/_sim/triggers`)).json();
    expect(triggers.triggers.length).toBe(sim.triggers.length);
  });
});

describe('Jenkins simulator: left queue items expire', () => {
  it('404s a queue item once it has been gone from the queue longer than the TTL', async () => {
    const sim = await startJenkinsSim({
      users: [{ name: 'ci', apiTokens: ['t'] }],
      jobs: [{ name: 'j', durationMs: 10 }],
      quietPeriodMs: 0,
      leftItemTtlMs: 200,
    });
    try {
      const auth = { authorization: basic('ci', 't') };
      const r = await fetch(`${sim.url}/job/j/build`, { method: 'POST', headers: auth, redirect: 'manual' });
      const location = `${r.headers.get('location')}api/json`;
      expect((await fetch(location, { headers: auth })).status).toBe(200);
      await new Promise((res) => setTimeout(res, 250));
      expect((await fetch(location, { headers: auth })).status).toBe(404);
      expect((await fetch(`${sim.url}/job/j/1/api/json`, { headers: auth })).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});

describe('Jenkins simulator: crumb issuer settings', () => {
  const auth = { authorization: basic('ci', 'pw') };
  const build = (url: string, headers: Record<string, string>) =>
    fetch(`${url}/job/j/build`, { method: 'POST', headers, redirect: 'manual' });

  it('without a crumb issuer, its URL 404s and a password POST needs no crumb', async () => {
    const sim = await startJenkinsSim({
      users: [{ name: 'ci', password: 'pw' }],
      jobs: [{ name: 'j' }],
      crumbIssuer: false,
    });
    try {
      expect((await fetch(`${sim.url}/crumbIssuer/api/json`, { headers: auth })).status).toBe(404);
      expect((await build(sim.url, auth)).status).toBe(201);
    } finally {
      await sim.close();
    }
  });

  it('excluding the session id, a crumb is valid without the cookie', async () => {
    const sim = await startJenkinsSim({
      users: [{ name: 'ci', password: 'pw' }],
      jobs: [{ name: 'j' }],
      excludeSessionId: true,
    });
    try {
      const { crumb } = await (await fetch(`${sim.url}/crumbIssuer/api/json`, { headers: auth })).json();
      expect((await build(sim.url, { ...auth, 'jenkins-crumb': crumb })).status).toBe(201);
      expect((await build(sim.url, { ...auth, 'jenkins-crumb': 'f'.repeat(64) })).status).toBe(403);
    } finally {
      await sim.close();
    }
  });
});
