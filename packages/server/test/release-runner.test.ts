import { eventually } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Method = 'GET' | 'POST' | 'PATCH';
const R = '/api/v1/release';
const SHA = 'b'.repeat(64);

describe.each(all)('release runner on $name', { timeout: 90_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend);
    cleanups.push(t.close);
    return t;
  }

  async function as(t: TestServer, secret: string, method: Method, url: string, payload?: unknown) {
    const res = await t.s.app.inject({
      method,
      url,
      headers: { 'x-api-key': secret },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  }

  async function ok(t: TestServer, method: Method, url: string, payload?: unknown) {
    const res = await t.api(method, url, payload);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body;
  }

  /** Three registered agents (priority 0, 1, 2) as prod targets of project shop, with v1 and v2. */
  async function fleet(t: TestServer) {
    const project = await ok(t, 'POST', `${R}/projects`, { name: 'shop' });
    const prod = await ok(t, 'POST', `${R}/projects/${project.id}/environments`, { name: 'prod' });
    const agents: Record<string, { id: string; key: string }> = {};
    for (const [i, name] of ['web-1', 'web-2', 'web-3'].entries()) {
      const k = (await ok(t, 'POST', '/api/v1/api-keys', { name, role: 'agent' })) as {
        id: string;
        key: string;
      };
      expect(
        (await as(t, k.key, 'POST', '/api/v1/agents/register', { hostname: name, version: '0.1.0' })).status,
      ).toBe(200);
      await ok(t, 'POST', `${R}/projects/${project.id}/targets`, {
        environment: prod.id,
        agent: k.id,
        priority: i,
      });
      agents[name] = k;
    }
    const version = (v: string) =>
      ok(t, 'POST', `${R}/projects/${project.id}/versions`, {
        version: v,
        install_script: `install ${v}`,
        update_script: `update to ${v}`,
        artifact_url: `https://artifacts.example/shop-${v}.tgz`,
        artifact_sha256: SHA,
        status: 'active',
      });
    return { project, prod, agents, v1: await version('1.0.0'), v2: await version('2.0.0') };
  }

  /** The agent's due commands, waiting up to `wait` for one. */
  async function poll(t: TestServer, agent: { key: string }, wait = '10s') {
    const res = await as(t, agent.key, 'GET', `/api/v1/agent/commands?wait=${wait}`);
    expect(res.status).toBe(200);
    return res.body.commands as { id: string; kind: string; payload: Record<string, unknown> }[];
  }

  async function answer(t: TestServer, agent: { key: string }, id: string, ok: boolean) {
    const res = await as(
      t,
      agent.key,
      'POST',
      `/api/v1/agent/commands/${id}/result`,
      ok ? { status: 'succeeded' } : { status: 'failed', error: 'script exited 1' },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  const installed = async (t: TestServer, projectId: string) =>
    (await ok(t, 'GET', `${R}/projects/${projectId}/installations`)).items
      .map(
        (i: { agent: { name: string }; version: string; state: string }) =>
          `${i.agent.name}:${i.version}:${i.state}`,
      )
      .sort();

  const taskState = async (t: TestServer, id: string) => (await ok(t, 'GET', `${R}/tasks/${id}`)).state;

  it('sends deploy.run batch by batch and writes each installation with the outcome; auto-select then takes what is installed', async () => {
    const t = await start();
    const f = await fleet(t);
    const {
      'web-1': web1,
      'web-2': web2,
      'web-3': web3,
    } = f.agents as Record<string, { id: string; key: string }>;
    const task = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'deploy',
      client_ids: [web1!.id, web2!.id, web3!.id],
      strategy: { type: 'rolling', batchSize: 2, intervalSeconds: 0 },
    });

    // The first batch is the two highest priorities; the third agent gets nothing yet.
    const [c3] = await poll(t, web3!);
    const [c2] = await poll(t, web2!);
    expect(c3).toMatchObject({
      kind: 'deploy.run',
      payload: {
        project: 'shop',
        env: 'prod',
        version: '1.0.0',
        previousVersion: null,
        operation: 'deploy',
        artifact: { url: 'https://artifacts.example/shop-1.0.0.tgz', sha256: SHA },
        script: 'install 1.0.0',
      },
    });
    expect(await poll(t, web1!, '0s')).toEqual([]);
    expect(await taskState(t, task.id)).toBe('running');

    // The installation is written with the result: true as soon as the agent's answer is.
    await answer(t, web3!, c3!.id, true);
    expect(await installed(t, f.project.id)).toEqual(['web-3:1.0.0:installed']);
    await answer(t, web2!, c2!.id, false);
    expect(await installed(t, f.project.id)).toEqual(['web-2:1.0.0:failed', 'web-3:1.0.0:installed']);

    // failure_strategy continue: the second batch goes on after a failure.
    const [c1] = await poll(t, web1!);
    expect(c1!.payload).toMatchObject({ version: '1.0.0', operation: 'deploy' });
    await answer(t, web1!, c1!.id, true);
    await eventually('the task to end', () => taskState(t, task.id), { ok: (s) => s === 'failed' });
    const done = await ok(t, 'GET', `${R}/tasks/${task.id}`);
    expect(
      done.targets.map((x: { agent: { name: string }; state: string; error: string | null }) => [
        x.agent.name,
        x.state,
        x.error,
      ]),
    ).toEqual([
      ['web-2', 'failed', 'script exited 1'],
      ['web-3', 'succeeded', null],
      ['web-1', 'succeeded', null],
    ]);
    expect(await installed(t, f.project.id)).toEqual([
      'web-1:1.0.0:installed',
      'web-2:1.0.0:failed',
      'web-3:1.0.0:installed',
    ]);

    // v2 from 1.0.0: auto-select takes exactly the two installed targets, as an update.
    const update = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v2.id,
      operation: 'update',
      auto_select_clients: true,
      source_version: '1.0.0',
    });
    expect(update.targets.map((x: { agent: { name: string } }) => x.agent.name)).toEqual(['web-1', 'web-3']);
    for (const agent of [web3!, web1!]) {
      const [c] = await poll(t, agent);
      expect(c!.payload).toMatchObject({
        version: '2.0.0',
        previousVersion: '1.0.0',
        script: 'update to 2.0.0',
      });
      await answer(t, agent, c!.id, true);
    }
    expect(await poll(t, web2!, '0s')).toEqual([]);
    await eventually('the update to succeed', () => taskState(t, update.id), {
      ok: (s) => s === 'succeeded',
    });
    expect(await installed(t, f.project.id)).toEqual([
      'web-1:2.0.0:installed',
      'web-2:1.0.0:failed',
      'web-3:2.0.0:installed',
    ]);
  });

  it('pause stops at a failure; resumed, the task goes on past it', async () => {
    const t = await start();
    const f = await fleet(t);
    const { 'web-1': web1, 'web-3': web3 } = f.agents as Record<string, { id: string; key: string }>;
    const task = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'install',
      client_ids: [web1!.id, web3!.id],
      strategy: { type: 'rolling', batchSize: 1, intervalSeconds: 0 },
      failure_strategy: 'pause',
    });
    const [c3] = await poll(t, web3!);
    await answer(t, web3!, c3!.id, false);
    await eventually('the task to pause', () => taskState(t, task.id), { ok: (s) => s === 'paused' });
    expect(await poll(t, web1!, '0s')).toEqual([]);
    await ok(t, 'POST', `${R}/tasks/${task.id}/resume`);
    const [c1] = await poll(t, web1!);
    await answer(t, web1!, c1!.id, true);
    await eventually('the task to end', () => taskState(t, task.id), { ok: (s) => s === 'failed' });
    expect(await installed(t, f.project.id)).toEqual(['web-1:1.0.0:installed', 'web-3:1.0.0:failed']);
  });

  it('abort stops at the first failure and skips the rest; a cancelled command fails its target, and retry runs it again', async () => {
    const t = await start();
    const f = await fleet(t);
    const {
      'web-1': web1,
      'web-2': web2,
      'web-3': web3,
    } = f.agents as Record<string, { id: string; key: string }>;
    const task = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'install',
      client_ids: [web1!.id, web2!.id, web3!.id],
      strategy: { type: 'rolling', batchSize: 1, intervalSeconds: 0 },
      failure_strategy: 'abort',
    });
    const [c] = await poll(t, web3!);
    await answer(t, web3!, c!.id, false);
    await eventually('the task to fail', () => taskState(t, task.id), { ok: (s) => s === 'failed' });
    const done = await ok(t, 'GET', `${R}/tasks/${task.id}`);
    expect(done.targets.map((x: { state: string }) => x.state)).toEqual(['failed', 'skipped', 'skipped']);
    expect(await poll(t, web2!, '0s')).toEqual([]);
    expect(await installed(t, f.project.id)).toEqual(['web-3:1.0.0:failed']);

    // A person cancels the deploy command: the next pass marks its target failed.
    const second = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'install',
      client_ids: [web1!.id],
    });
    const [c1] = await poll(t, web1!);
    await ok(t, 'POST', `/api/v1/commands/${c1!.id}/cancel`);
    // No job runner in tests: the pass that notices comes with the next change to the task.
    await ok(t, 'POST', `${R}/tasks/${second.id}/pause`);
    await ok(t, 'POST', `${R}/tasks/${second.id}/resume`);
    await eventually('the task to fail', () => taskState(t, second.id), { ok: (s) => s === 'failed' });
    const failed = await ok(t, 'GET', `${R}/tasks/${second.id}`);
    expect(failed.targets[0]).toMatchObject({ state: 'failed', error: 'its command was cancelled' });
    expect(await installed(t, f.project.id)).toContain('web-1:1.0.0:failed');

    // Retry runs only the failed target again; a task with nothing failed has nothing to retry.
    const retried = await ok(t, 'POST', `${R}/tasks/${second.id}/retry`);
    // Pending, or already sent again by the pass the retry started.
    expect(['pending', 'running']).toContain(retried.targets[0].state);
    expect(retried.targets[0].error).toBeNull();
    const [again] = await poll(t, web1!);
    expect(again!.id).not.toBe(c1!.id);
    await answer(t, web1!, again!.id, true);
    await eventually('the retry to succeed', () => taskState(t, second.id), { ok: (s) => s === 'succeeded' });
    expect(await installed(t, f.project.id)).toContain('web-1:1.0.0:installed');
    expect((await t.api('POST', `${R}/tasks/${second.id}/retry`)).status).toBe(409);
  });

  it('holds a canary after its first batch until someone promotes it; the rest then deploys', async () => {
    const t = await start();
    const f = await fleet(t);
    const agents = f.agents as Record<string, { id: string; key: string }>;
    const task = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'deploy',
      auto_select_clients: false,
      client_ids: Object.values(agents).map((a) => a.id),
      strategy: { type: 'canary', targets: [agents['web-1']!.id] },
    });
    const [canary] = await poll(t, agents['web-1']!);
    await answer(t, agents['web-1']!, canary!.id, true);
    await eventually('the canary to wait for promotion', () => ok(t, 'GET', `${R}/tasks/${task.id}`), {
      ok: (v) => v.state === 'awaiting_promotion',
    });
    const held = await ok(t, 'GET', `${R}/tasks/${task.id}`);
    expect(held.blockedBy).toMatch(/promote/);
    // Nothing reaches the other targets while the canary waits.
    expect(await poll(t, agents['web-2']!, '1s')).toEqual([]);
    expect((await t.api('POST', `${R}/tasks/${task.id}/resume`)).status).toBe(409);

    const promoted = await ok(t, 'POST', `${R}/tasks/${task.id}/promote`);
    expect(promoted).toMatchObject({ promotedBy: 'admin', blockedBy: null });
    for (const name of ['web-2', 'web-3']) {
      const [c] = await poll(t, agents[name]!);
      await answer(t, agents[name]!, c!.id, true);
    }
    await eventually('the task to succeed', () => taskState(t, task.id), { ok: (s) => s === 'succeeded' });
    expect((await t.api('POST', `${R}/tasks/${task.id}/promote`)).status).toBe(409);
    const audit = await ok(t, 'GET', `/api/v1/audit?resource=release-task:${task.id}`);
    expect(audit.map((e: { action: string }) => e.action)).toContain('release.task.promote');
  });

  it('starts no task outside its environment’s release window and says when it opens', async () => {
    const t = await start();
    const f = await fleet(t);
    const agents = f.agents as Record<string, { id: string; key: string }>;
    // A window that is closed now: the one hour of each day that ended an hour ago.
    const hh = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:00`;
    const now = Date.now();
    const window = {
      timezone: 'UTC',
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      start: hh(new Date(now - 2 * 3_600_000)),
      end: hh(new Date(now - 3_600_000)),
    };
    await ok(t, 'PATCH', `${R}/projects/${f.project.id}/environments/${f.prod.id}`, {
      release_window: window,
    });
    const task = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'deploy',
      client_ids: [agents['web-1']!.id],
    });
    expect(await poll(t, agents['web-1']!, '1s')).toEqual([]);
    const waiting = await ok(t, 'GET', `${R}/tasks/${task.id}`);
    expect(waiting.state).toBe('pending');
    expect(waiting.blockedBy).toMatch(
      /outside environment prod's release window .*: the task starts when it opens; it opens at \d{4}-/,
    );

    // Opened (a window covering the whole day), the task starts: a window change wakes the runner.
    await ok(t, 'PATCH', `${R}/projects/${f.project.id}/environments/${f.prod.id}`, {
      release_window: { ...window, start: '00:00', end: '00:00' },
    });
    expect(await poll(t, agents['web-1']!)).toHaveLength(1);
    const bad = await t.api('PATCH', `${R}/projects/${f.project.id}/environments/${f.prod.id}`, {
      release_window: { ...window, timezone: 'Mars/Olympus' },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/release_window.*timezone|timezone.*IANA/);
  });

  it('cancelling a task cancels the running targets’ commands; their live log is kept', async () => {
    const t = await start();
    const f = await fleet(t);
    const agents = f.agents as Record<string, { id: string; key: string }>;
    const task = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'deploy',
      client_ids: [agents['web-1']!.id],
    });
    const [c] = await poll(t, agents['web-1']!);
    const target = (await ok(t, 'GET', `${R}/tasks/${task.id}`)).targets[0];
    const log = `${R}/tasks/${task.id}/targets/${target.targetId}/log`;
    const lines = [1, 2, 3].map((seq) => ({
      seq,
      stage: 'script',
      level: 'info',
      line: `step ${seq}`,
      time: new Date().toISOString(),
    }));
    await as(t, agents['web-1']!.key, 'POST', `/api/v1/agent/commands/${c!.id}/output`, { lines });
    const first = await ok(t, 'GET', `${log}?limit=2`);
    expect(first.items.map((l: { line: string }) => l.line)).toEqual(['step 1', 'step 2']);
    expect(first.commandId).toBe(c!.id);
    expect((await ok(t, 'GET', `${log}?after=${first.nextAfter}`)).items).toMatchObject([{ line: 'step 3' }]);

    const cancelled = await ok(t, 'POST', `${R}/tasks/${task.id}/cancel`);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.targets[0]).toMatchObject({
      state: 'failed',
      error: 'cancelled by admin with the task',
    });
    expect((await ok(t, 'GET', `/api/v1/commands/${c!.id}`)).state).toBe('cancelled');
    // The agent learns at its next output batch that it is to stop; a late result changes nothing.
    const more = await as(t, agents['web-1']!.key, 'POST', `/api/v1/agent/commands/${c!.id}/output`, {
      lines: [{ ...lines[2], seq: 4, line: 'step 4' }],
    });
    expect(more.body.state).toBe('cancelled');
    expect(await installed(t, f.project.id)).toEqual(['web-1:1.0.0:failed']);
    expect((await ok(t, 'GET', log)).items).toHaveLength(3);
    expect((await t.api('GET', `${R}/tasks/${task.id}/targets/${f.project.id}/log`)).status).toBe(404);
  });

  it('a failed update remembers what the target had: the retry updates from it, the script and env name the host', async () => {
    const t = await start();
    const f = await fleet(t);
    const web1 = (f.agents as Record<string, { id: string; key: string }>)['web-1']!;
    const deploy = (version: string) =>
      ok(t, 'POST', `${R}/tasks`, {
        project: f.project.id,
        environment: f.prod.id,
        version,
        operation: 'deploy',
        client_ids: [web1.id],
      });
    const first = await deploy(f.v1.id);
    const [c1] = await poll(t, web1);
    expect(c1!.payload).toMatchObject({ target: 'web-1', previousVersion: null, script: 'install 1.0.0' });
    await answer(t, web1, c1!.id, true);
    await eventually('v1 to be installed', () => taskState(t, first.id), { ok: (s) => s === 'succeeded' });

    const second = await deploy(f.v2.id);
    const [c2] = await poll(t, web1);
    expect(c2!.payload).toMatchObject({ previousVersion: '1.0.0', script: 'update to 2.0.0' });
    await answer(t, web1, c2!.id, false);
    await eventually('v2 to fail', () => taskState(t, second.id), { ok: (s) => s === 'failed' });
    const [row] = (await ok(t, 'GET', `${R}/projects/${f.project.id}/installations`)).items;
    expect(row).toMatchObject({ version: '2.0.0', state: 'failed', previousVersion: '1.0.0' });

    await ok(t, 'POST', `${R}/tasks/${second.id}/retry`);
    const [c3] = await poll(t, web1);
    expect(c3!.payload).toMatchObject({ previousVersion: '1.0.0', script: 'update to 2.0.0' });
    await answer(t, web1, c3!.id, true);
    await eventually('the retry to succeed', () => taskState(t, second.id), { ok: (s) => s === 'succeeded' });
    const [after] = (await ok(t, 'GET', `${R}/projects/${f.project.id}/installations`)).items;
    expect(after).toMatchObject({ version: '2.0.0', state: 'installed', previousVersion: '1.0.0' });
  });
});
