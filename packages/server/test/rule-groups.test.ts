import { peerAvailable } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/alerts/fingerprint.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const G = '/api/v1/rule-groups';
const cpu = {
  name: 'HighCPU',
  expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m])) > 0.9',
  for: '5m',
  severity: 'critical',
  labels: { team: 'sre' },
  annotations: { summary: '{{ $labels.instance }} busy' },
};
const down = { name: 'TargetDown', expr: 'up == 0', for: '1m' };

describe
  .runIf(peerAvailable('promtool', 'prometheus') && peerAvailable('vmalert', 'victoria-metrics'))
  .each(all)('rule groups on $name', { timeout: 60_000 }, (backend) => {
  async function start(): Promise<TestServer> {
    const t = await testServer(backend);
    cleanups.push(t.close);
    return t;
  }

  it('keeps every save as a revision with author and comment, diffs them and restores one', async () => {
    const t = await start();
    const created = await t.api('POST', G, {
      name: 'node',
      interval: '1m',
      rules: [cpu],
      comment: 'first',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { id } = created.body;
    const cpuId = created.body.rules[0].id;
    expect(created.body).toMatchObject({ revision: 1, author: 'admin', comment: 'first' });

    // Same content again: no revision. Changed: revision 2, and the rule keeps its id.
    const again = await t.api('PUT', `${G}/${id}`, {
      name: 'node',
      interval: '1m',
      rules: [{ ...cpu, id: cpuId }],
    });
    expect(again.body.revision).toBe(1);
    const second = await t.api('PUT', `${G}/${id}`, {
      name: 'node',
      interval: '1m',
      rules: [{ ...cpu, id: cpuId, expr: cpu.expr.replace('0.9', '0.8') }, down],
      comment: 'lower threshold, add TargetDown',
    });
    expect(second.body).toMatchObject({ revision: 2, comment: 'lower threshold, add TargetDown' });
    expect(second.body.rules[0].id).toBe(cpuId);

    const revisions = (await t.api('GET', `${G}/${id}/revisions`)).body.items;
    expect(revisions.map((r: { revision: number; rules: number }) => [r.revision, r.rules])).toEqual([
      [2, 2],
      [1, 1],
    ]);
    const diff = (await t.api('GET', `${G}/${id}/diff?from=1&to=2`)).body;
    expect(diff.changed).toBe(true);
    expect(diff.diff).toMatch(/^- +expr: .*> 0\.9$/m);
    expect(diff.diff).toMatch(/^\+ +expr: .*> 0\.8$/m);
    expect(diff.diff).toMatch(/^\+ +- alert: TargetDown$/m);

    const rendered = (await t.api('GET', `${G}/${id}/rendered?flavor=vmalert`)).body;
    expect(rendered.text).toContain(`opsfleet_rule: ${cpuId}`);

    const restored = await t.api('POST', `${G}/${id}/revisions/1/restore`, {});
    expect(restored.body).toMatchObject({ revision: 3, comment: 'restored revision 1' });
    expect(restored.body.rules.map((r: { name: string }) => r.name)).toEqual(['HighCPU']);
    expect((await t.api('GET', `${G}/${id}/diff?from=1&to=3`)).body.changed).toBe(false);
    const audit = (await t.api('GET', `/api/v1/audit?resource=rulegroup:${id}`)).body;
    expect(audit.map((e: { action: string }) => e.action)).toEqual([
      'rulegroup.update',
      'rulegroup.update',
      'rulegroup.create',
    ]);
  });

  it('refuses what promtool or vmalert refuse, naming the rule and field, and stores nothing', async () => {
    const t = await start();
    const res = await t.api('POST', G, {
      name: 'bad',
      rules: [
        down,
        { ...cpu, expr: 'rate(up[5m] > 1' },
        { ...down, name: 'Tmpl', annotations: { summary: '{{ .x ' } },
      ],
    });
    expect(res.status).toBe(400);
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('body.rules[1].expr');
    expect(paths).toContain('body.rules[2].annotations.summary');
    expect(res.body.errors.find((e: { path: string }) => e.path === 'body.rules[1].expr').message).toMatch(
      /^promtool: /,
    );
    const dur = await t.api('POST', G, { name: 'bad', rules: [{ ...down, for: '5x' }] });
    expect(dur.body.errors).toEqual([
      { path: 'body.rules[0].for', message: 'opsfleet: "5x" is not a duration such as 5m or 1h30m' },
    ]);
    const dup = await t.api('POST', G, { name: 'bad', rules: [down, down] });
    expect(dup.body.errors[0].path).toBe('body.rules[1].name');
    expect((await t.api('GET', G)).body.items).toEqual([]);
  });

  it('links an alert raised by a platform rule to that rule, by its opsfleet_rule label', async () => {
    const t = await start();
    const group = (await t.api('POST', G, { name: 'node', rules: [down] })).body;
    const ruleId = group.rules[0].id;
    const labels = {
      alertname: 'TargetDown',
      instance: 'web-1:9100',
      severity: 'warning',
      opsfleet_rule: ruleId,
    };
    const res = await t.s.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/alertmanager',
      headers: {
        'x-api-key': (await t.api('POST', '/api/v1/api-keys', { name: 'am', role: 'ingest' })).body.key,
      },
      payload: {
        version: '4',
        alerts: [
          {
            status: 'firing',
            labels,
            annotations: {},
            startsAt: new Date().toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
          },
        ],
      },
    });
    expect(res.statusCode).toBe(202);
    const detail = (await t.api('GET', `/api/v1/alerts/${fingerprintOf(labels)}`)).body;
    expect(detail.rule).toEqual({ groupId: group.id, group: 'node', ruleId, name: 'TargetDown' });

    // A rule that is gone (or a forged label) links to nothing.
    await t.api('PUT', `${G}/${group.id}`, { name: 'node', rules: [cpu] });
    expect((await t.api('GET', `/api/v1/alerts/${fingerprintOf(labels)}`)).body.rule).toBeNull();
  });
});
