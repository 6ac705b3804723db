import { afterEach, describe, expect, it } from 'vitest';
import { releaseStore } from '../src/release/store.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const R = '/api/v1/release';
const LATER = '2099-01-01T00:00:00Z';

describe.each(all)('release manager on $name', { timeout: 60_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend);
    cleanups.push(t.close);
    return t;
  }

  async function key(t: TestServer, name: string, role: string) {
    const res = await t.api('POST', '/api/v1/api-keys', { name, role });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, key: res.body.key as string };
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

  async function agent(t: TestServer, name: string): Promise<string> {
    const k = await key(t, name, 'agent');
    const reg = await as(t, k.key, 'POST', '/api/v1/agents/register', { hostname: name, version: '0.1.0' });
    expect(reg.status).toBe(200);
    return k.id;
  }

  async function ok(t: TestServer, method: Method, url: string, payload?: unknown) {
    const res = await t.api(method, url, payload);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body;
  }

  /** A project with prod and staging, three agents as prod targets and one in staging, and v1, v2. */
  async function fleet(t: TestServer) {
    const project = await ok(t, 'POST', `${R}/projects`, {
      name: 'shop',
      container_naming: { prefix: 'shop', include_env: true },
    });
    const prod = await ok(t, 'POST', `${R}/projects/${project.id}/environments`, { name: 'prod' });
    const staging = await ok(t, 'POST', `${R}/projects/${project.id}/environments`, { name: 'staging' });
    const agents = [
      await agent(t, 'web-1'),
      await agent(t, 'web-2'),
      await agent(t, 'web-3'),
      await agent(t, 'stg-1'),
    ];
    const targets = [];
    for (const [i, a] of agents.entries())
      targets.push(
        await ok(t, 'POST', `${R}/projects/${project.id}/targets`, {
          environment: i < 3 ? prod.id : staging.id,
          agent: a,
          priority: i,
        }),
      );
    const v1 = await ok(t, 'POST', `${R}/projects/${project.id}/versions`, {
      version: '1.0.0',
      install_script: 'echo install',
      artifact_url: 'https://artifacts.example/shop-1.0.0.tgz',
      artifact_sha256: 'A'.repeat(64),
      status: 'active',
    });
    const v2 = await ok(t, 'POST', `${R}/projects/${project.id}/versions`, {
      version: '2.0.0',
      status: 'active',
    });
    return { project, prod, staging, agents, targets, v1, v2 };
  }

  it('keeps projects, environments, targets and versions, pages lists and audits changes', async () => {
    const t = await start();
    const f = await fleet(t);
    expect(f.project).toMatchObject({
      name: 'shop',
      description: '',
      containerNaming: { prefix: 'shop', include_env: true },
    });
    expect(f.targets[0]).toMatchObject({
      environment: { name: 'prod' },
      agent: { id: f.agents[0], name: 'web-1' },
    });
    expect(f.v1).toMatchObject({
      version: '1.0.0',
      artifactSha256: 'a'.repeat(64),
      status: 'active',
      installScript: 'echo install',
    });

    const envs = await ok(t, 'GET', `${R}/projects/${f.project.id}/environments`);
    expect(envs.items.map((e: { name: string }) => e.name)).toEqual(['prod', 'staging']);
    const first = await ok(t, 'GET', `${R}/projects/${f.project.id}/targets?limit=3`);
    expect(first.items).toHaveLength(3);
    const rest = await ok(
      t,
      'GET',
      `${R}/projects/${f.project.id}/targets?limit=3&cursor=${first.nextCursor}`,
    );
    expect(rest).toMatchObject({ items: [{ agent: { name: 'stg-1' } }], nextCursor: null });
    const staging = await ok(t, 'GET', `${R}/projects/${f.project.id}/targets?env=${f.staging.id}`);
    expect(staging.items.map((x: { agent: { name: string } }) => x.agent.name)).toEqual(['stg-1']);

    const patched = await ok(t, 'PATCH', `${R}/projects/${f.project.id}/versions/${f.v2.id}`, {
      status: 'deprecated',
    });
    expect(patched.status).toBe('deprecated');
    expect((await ok(t, 'GET', `${R}/projects/${f.project.id}/versions/${f.v2.id}`)).status).toBe(
      'deprecated',
    );
    const env = await ok(t, 'PATCH', `${R}/projects/${f.project.id}/environments/${f.prod.id}`, {
      approval_required: true,
      approvers: ['alice'],
      release_window: { timezone: 'Europe/Berlin', days: ['mon', 'tue'], start: '09:00', end: '17:00' },
    });
    expect(env).toMatchObject({
      approvalRequired: true,
      approvers: ['alice'],
      releaseWindow: { start: '09:00' },
    });

    // The same name twice in a project is a conflict, not a second row.
    expect((await t.api('POST', `${R}/projects/${f.project.id}/versions`, { version: '1.0.0' })).status).toBe(
      409,
    );
    expect((await t.api('POST', `${R}/projects`, { name: 'shop' })).status).toBe(409);

    const audit = await ok(t, 'GET', '/api/v1/audit?limit=500');
    const actions = new Set(audit.map((a: { action: string }) => a.action));
    for (const a of [
      'release.project.create',
      'release.environment.update',
      'release.target.create',
      'release.version.update',
    ])
      expect(actions).toContain(a);

    expect((await t.api('DELETE', `${R}/projects/${f.project.id}/targets/${f.targets[3].id}`)).status).toBe(
      204,
    );
    expect((await t.api('DELETE', `${R}/projects/${f.project.id}`)).status).toBe(204);
    expect((await t.api('GET', `${R}/projects/${f.project.id}`)).status).toBe(404);
  });

  it('refuses bad input with 400s naming the field', async () => {
    const t = await start();
    const f = await fleet(t);
    const bad = async (url: string, body: unknown, path: string) => {
      const res = await t.api('POST', url, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    };
    await bad(`${R}/projects`, { name: 'has space' }, 'body.name');
    await bad(
      `${R}/projects`,
      { name: 'x', container_naming: { separator: '/' } },
      'body.container_naming.separator',
    );
    await bad(
      `${R}/projects/${f.project.id}/environments`,
      { name: 'qa', release_window: { timezone: 'UTC', days: ['mon'], start: '25:00', end: '10:00' } },
      'body.release_window.start',
    );
    await bad(
      `${R}/projects/${f.project.id}/versions`,
      { version: '3', artifact_sha256: 'abc' },
      'body.artifact_sha256',
    );
    await bad(
      `${R}/projects/${f.project.id}/versions`,
      { version: '3', artifact_url: 'ftp://x/y' },
      'body.artifact_url',
    );
    // A target is a registered agent: a made-up id is refused.
    await bad(
      `${R}/projects/${f.project.id}/targets`,
      { environment: f.prod.id, agent: '00000000-0000-4000-8000-000000000000' },
      'body.agent',
    );
    const task = { project: f.project.id, environment: f.prod.id, version: f.v2.id, operation: 'deploy' };
    await bad(`${R}/tasks`, task, 'body.client_ids');
    await bad(`${R}/tasks`, { ...task, client_ids: [f.agents[3]] }, 'body.client_ids');
    await bad(
      `${R}/tasks`,
      { ...task, client_ids: [f.agents[0]], strategy: { type: 'rolling', batchSize: 0 } },
      'body.strategy.batchSize',
    );
    await bad(
      `${R}/tasks`,
      { ...task, client_ids: [f.agents[0]], strategy: { type: 'canary', targets: [f.agents[1]] } },
      'body.strategy.targets',
    );
    await bad(
      `${R}/tasks`,
      { ...task, client_ids: [f.agents[0]], source_version: '1.0.0' },
      'body.source_version',
    );
    const unchecked = await ok(t, 'POST', `${R}/projects/${f.project.id}/versions`, {
      version: '3.0.0',
      artifact_url: 'https://artifacts.example/shop-3.0.0.tgz',
    });
    await bad(`${R}/tasks`, { ...task, version: unchecked.id, client_ids: [f.agents[0]] }, 'body.version');
    const one = await t.api('POST', `${R}/tasks`, {
      ...task,
      operation: 'reboot',
      client_ids: [f.agents[0]],
    });
    expect(one.status).toBe(400);
    expect(one.body.detail).toContain('body.operation');
  });

  it('lists installations by source_version and env, and auto-select takes only installed rows of the environment', async () => {
    const t = await start();
    const f = await fleet(t);
    const [web1, web2, web3, stg1] = f.targets;
    const write = (target: { id: string }, version: string, state: 'installed' | 'failed') =>
      t.database.db.transaction((tx) =>
        releaseStore.recordInstallation(tx, { targetId: target.id, version, state, taskId: null }),
      );
    const preview = (body: object) =>
      t.api('POST', `${R}/tasks/preview`, { project: f.project.id, environment: f.prod.id, ...body });

    const none = await preview({ auto_select_clients: true, source_version: '1.0.0' });
    expect(none.status).toBe(400);
    expect(none.body.detail).toBe(
      'auto_select_clients selected no target: no target in environment prod has version 1.0.0 (nothing is installed there)',
    );

    await write(web1, '1.0.0', 'installed');
    await write(web2, '1.0.0', 'failed');
    await write(web3, '2.0.0', 'installed');
    await write(stg1, '1.0.0', 'installed');

    const v1 = await ok(t, 'GET', `${R}/projects/${f.project.id}/installations?source_version=1.0.0`);
    expect(
      v1.items.map((i: { agent: { name: string }; state: string }) => `${i.agent.name}:${i.state}`),
    ).toEqual(['web-1:installed', 'web-2:failed', 'stg-1:installed']);
    const prodOnly = await ok(
      t,
      'GET',
      `${R}/projects/${f.project.id}/installations?source_version=1.0.0&env=${f.prod.id}`,
    );
    expect(prodOnly.items.map((i: { agent: { name: string } }) => i.agent.name)).toEqual(['web-1', 'web-2']);

    const taken = await preview({ auto_select_clients: true, source_version: '1.0.0' });
    expect(taken.status).toBe(200);
    expect(taken.body.targets.map((x: { agent: { name: string } }) => x.agent.name)).toEqual(['web-1']);

    await write(web1, '1.0.0', 'failed');
    const failed = await preview({ auto_select_clients: true, source_version: '1.0.0' });
    expect(failed.status).toBe(400);
    expect(failed.body.detail).toContain('are failed, not installed');

    // The task records its choice: its targets are exactly what the preview showed.
    await write(web1, '1.0.0', 'installed');
    const task = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v2.id,
      operation: 'update',
      auto_select_clients: true,
      source_version: '1.0.0',
      // Not yet: the task stays pending, so what it chose is what is read here.
      scheduled_at: LATER,
    });
    expect(task).toMatchObject({
      state: 'pending',
      autoSelectClients: true,
      sourceVersion: '1.0.0',
      version: { version: '2.0.0' },
      targets: [{ agent: { name: 'web-1' }, state: 'pending', batch: 0 }],
    });
  });

  it('stores tasks in batches and steps them through approval, pause and cancel', async () => {
    const t = await start();
    const f = await fleet(t);
    // Scheduled later, so the runner leaves them pending while the steps are taken.
    const base = {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'install',
      scheduled_at: LATER,
    };
    const rolling = await ok(t, 'POST', `${R}/tasks`, {
      ...base,
      client_ids: f.agents.slice(0, 3),
      strategy: { type: 'rolling', batchSize: 2, intervalSeconds: 30 },
      failure_strategy: 'pause',
    });
    expect(
      rolling.targets.map((x: { agent: { name: string }; batch: number }) => `${x.batch}:${x.agent.name}`),
    ).toEqual(['0:web-2', '0:web-3', '1:web-1']);
    expect(rolling).toMatchObject({ state: 'pending', failureStrategy: 'pause', strategy: { batchSize: 2 } });
    expect((await ok(t, 'POST', `${R}/tasks/${rolling.id}/pause`)).state).toBe('paused');
    expect((await t.api('POST', `${R}/tasks/${rolling.id}/pause`)).status).toBe(409);
    const cancelled = await ok(t, 'POST', `${R}/tasks/${rolling.id}/cancel`);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.targets.every((x: { state: string }) => x.state === 'skipped')).toBe(true);
    expect((await t.api('POST', `${R}/tasks/${rolling.id}/resume`)).status).toBe(409);

    // An environment that asks for approval: the creator cannot approve, a listed approver can.
    await ok(t, 'PATCH', `${R}/projects/${f.project.id}/environments/${f.prod.id}`, {
      approval_required: true,
      approvers: ['apikey:lead'],
    });
    const gated = await ok(t, 'POST', `${R}/tasks`, { ...base, client_ids: [f.agents[0]] });
    expect(gated.state).toBe('awaiting_approval');
    expect((await t.api('POST', `${R}/tasks/${gated.id}/approve`)).status).toBe(403);
    const other = await key(t, 'other', 'operator');
    expect((await as(t, other.key, 'POST', `${R}/tasks/${gated.id}/approve`)).status).toBe(403);
    const lead = await key(t, 'lead', 'operator');
    const approved = await as(t, lead.key, 'POST', `${R}/tasks/${gated.id}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ state: 'pending', approvedBy: 'apikey:lead' });

    const list = await ok(t, 'GET', `${R}/projects/${f.project.id}/tasks?limit=1`);
    expect(list.items.map((x: { id: string }) => x.id)).toEqual([gated.id]);
    const next = await ok(t, 'GET', `${R}/projects/${f.project.id}/tasks?limit=1&cursor=${list.nextCursor}`);
    expect(next.items.map((x: { id: string }) => x.id)).toEqual([rolling.id]);
  });

  it('lets a viewer read but not deploy or approve', async () => {
    const t = await start();
    const f = await fleet(t);
    const viewer = await key(t, 'eyes', 'viewer');
    expect((await as(t, viewer.key, 'GET', `${R}/projects`)).status).toBe(200);
    expect((await as(t, viewer.key, 'GET', `${R}/projects/${f.project.id}/installations`)).status).toBe(200);
    expect((await as(t, viewer.key, 'POST', `${R}/projects`, { name: 'mine' })).status).toBe(403);
    const task = await as(t, viewer.key, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'deploy',
      client_ids: [f.agents[0]],
    });
    expect(task.status).toBe(403);
    const made = await ok(t, 'POST', `${R}/tasks`, {
      project: f.project.id,
      environment: f.prod.id,
      version: f.v1.id,
      operation: 'deploy',
      client_ids: [f.agents[0]],
    });
    expect((await as(t, viewer.key, 'POST', `${R}/tasks/${made.id}/cancel`)).status).toBe(403);
    expect((await as(t, viewer.key, 'POST', `${R}/tasks/${made.id}/approve`)).status).toBe(403);
    const agentKey = await key(t, 'host', 'agent');
    expect((await as(t, agentKey.key, 'GET', `${R}/projects`)).status).toBe(403);
  });
});
