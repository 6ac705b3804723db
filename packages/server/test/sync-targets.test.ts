import { peerAvailable } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const S = '/api/v1/sync-targets';
const down = (expr = 'up == 0') => ({ name: 'TargetDown', expr, for: '1m' });

describe
  .runIf(peerAvailable('promtool', 'prometheus') && peerAvailable('vmalert', 'victoria-metrics'))
  .each(all)('config sync targets on $name', { timeout: 60_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend);
    cleanups.push(t.close);
    return t;
  }

  it('adds a version only when the rendered rules change, diffs versions, pins one, and dry-runs against the applied one', async () => {
    const t = await start();
    const ds = (
      await t.api('POST', '/api/v1/datasources', {
        name: 'prom',
        kind: 'prometheus',
        url: 'http://prom:9090',
      })
    ).body;
    const group = (
      await t.api('POST', '/api/v1/rule-groups', { name: 'node', datasource_id: ds.id, rules: [down()] })
    ).body;
    const created = await t.api('POST', S, { name: 'prom-1', kind: 'prometheus', datasource_id: ds.id });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({
      latestVersion: 1,
      desiredVersion: 1,
      appliedVersion: null,
      inSync: false,
    });
    const v1 = (await t.api('GET', `${S}/${id}/versions/1`)).body;
    const [file] = Object.keys(v1.files);
    expect(file).toMatch(/^opsfleet-node-[0-9a-f]{6}\.yml$/);
    expect(v1.files[file!]).toContain('expr: up == 0');

    // A rule change renders a new version; a save that changes nothing, and a target update with the same settings, do not.
    const rule = { ...down('up == 0 and on() vector(1)'), id: group.rules[0].id };
    await t.api('PUT', `/api/v1/rule-groups/${group.id}`, {
      name: 'node',
      datasource_id: ds.id,
      rules: [rule],
    });
    await t.api('PUT', `/api/v1/rule-groups/${group.id}`, {
      name: 'node',
      datasource_id: ds.id,
      rules: [rule],
    });
    await t.api('PUT', `${S}/${id}`, { name: 'prom-1', kind: 'prometheus', datasource_id: ds.id });
    expect(
      (await t.api('GET', `${S}/${id}/versions`)).body.items.map((v: { version: number }) => v.version),
    ).toEqual([2, 1]);
    const diff = (await t.api('GET', `${S}/${id}/diff?from=1&to=2`)).body.diff;
    expect(diff).toMatch(new RegExp(`^--- ${file}\\n`));
    expect(diff).toMatch(/^- +expr: up == 0$/m);
    expect(diff).toMatch(/^\+ +expr: up == 0 and on\(\) vector\(1\)$/m);

    // Pinning rolls the target back to a version; unpinned it follows the newest again.
    expect((await t.api('POST', `${S}/${id}/pin`, { version: 1 })).body).toMatchObject({
      pinnedVersion: 1,
      desiredVersion: 1,
    });
    const dry = (await t.api('GET', `${S}/${id}/dry-run`)).body;
    expect(dry).toMatchObject({ appliedVersion: null, changed: true });
    expect(dry.diff).toContain(`--- ${file} (new)`);
    expect((await t.api('POST', `${S}/${id}/pin`, { version: 9 })).status).toBe(404);
    expect((await t.api('POST', `${S}/${id}/pin`, { version: null })).body.desiredVersion).toBe(2);

    // Deleting the group empties the target's rules: a new version without the file.
    await t.api('DELETE', `/api/v1/rule-groups/${group.id}`);
    const v3 = (await t.api('GET', `${S}/${id}/versions/3`)).body;
    expect(v3.files).toEqual({});
  });

  it('merges opsfleet into an Alertmanager base configuration, and refuses settings that cannot work', async () => {
    const t = await start();
    const base = 'route:\n  receiver: oncall\nreceivers:\n  - name: oncall\n';
    const am = await t.api('POST', S, {
      name: 'am-1',
      kind: 'alertmanager',
      base_config: base,
      webhook_url: 'http://opsfleet:8080/api/v1/webhooks/alertmanager',
      password_file: '/etc/alertmanager/opsfleet.key',
    });
    expect(am.status, JSON.stringify(am.body)).toBe(201);
    const files = (await t.api('GET', `${S}/${am.body.id}/versions/1`)).body.files;
    expect(files['alertmanager.yml']).toContain('password_file: /etc/alertmanager/opsfleet.key');
    const bad: [unknown, string][] = [
      [{ name: 'x', kind: 'prometheus' }, 'body.datasource_id'],
      [
        {
          name: 'x',
          kind: 'alertmanager',
          base_config: base,
          webhook_url: 'opsfleet:8080',
          password_file: '/k',
        },
        'body.webhook_url',
      ],
      [
        {
          name: 'x',
          kind: 'alertmanager',
          base_config: base,
          webhook_url: 'http://o/',
          password_file: 'k',
        },
        'body.password_file',
      ],
      [
        {
          name: 'x',
          kind: 'alertmanager',
          base_config: 'receivers: []',
          webhook_url: 'http://o/',
          password_file: '/k',
        },
        'body.base_config',
      ],
      [
        {
          name: 'x',
          kind: 'prometheus',
          agent_id: '00000000-0000-4000-8000-000000000000',
          datasource_id: null,
        },
        'body.agent_id',
      ],
    ];
    for (const [body, path] of bad) {
      const res = await t.api('POST', S, body);
      expect([res.status, res.body.errors?.[0]?.path], JSON.stringify(res.body)).toEqual([400, path]);
    }
  });

  it('diffs a small change to a large Alertmanager configuration, and refuses one too changed to diff with a 422', async () => {
    const t = await start();
    const receivers = (n: number, tag: string) =>
      Array.from(
        { length: n },
        (_, k) => `  - name: r${k}\n    webhook_configs: [{url: "http://h/${tag}${k}"}]\n`,
      ).join('');
    const base = (tag: string, changed = '') =>
      `route:\n  receiver: r0\nreceivers:\n${receivers(3000, tag)}${changed}`;
    const body = (base_config: string) => ({
      name: 'am-big',
      kind: 'alertmanager',
      base_config,
      webhook_url: 'http://o/api/v1/webhooks/alertmanager',
      password_file: '/k',
    });
    const { id } = (await t.api('POST', S, body(base('a')))).body;
    expect((await t.api('PUT', `${S}/${id}`, body(base('a', '  - name: extra\n')))).status).toBe(200);
    const small = await t.api('GET', `${S}/${id}/diff?from=1&to=2`);
    expect(small.status).toBe(200);
    expect(small.body.diff).toMatch(/^\+ +- name: extra$/m);
    expect((await t.api('PUT', `${S}/${id}`, body(base('b')))).status).toBe(200);
    const huge = await t.api('GET', `${S}/${id}/diff?from=1&to=3`);
    expect(huge.status, JSON.stringify(huge.body)).toBe(422);
    expect(huge.body.detail).toMatch(/too long to diff: \d+ changed lines \(at most 5000\)/);
  });
});
