import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseYaml } from '@opsfleet/core';
import { peerAvailable } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import type { GroupContent } from './store.ts';
import { alertmanagerConfig, rulesConfig } from './target-config.ts';

const group = (name: string, expr = 'up == 0'): GroupContent => ({
  name,
  interval: '',
  datasourceId: null,
  rules: [
    {
      id: `${name}-1`,
      name: 'Down',
      expr,
      for: '1m',
      keepFiringFor: '',
      severity: 'warning',
      labels: {},
      annotations: {},
      enabled: true,
    },
  ],
});

describe('rulesConfig', () => {
  it('writes one file per group, whatever their order, and hashes only what is in them', () => {
    const a = rulesConfig('prometheus', [group('Node'), group('Web / API')]);
    const b = rulesConfig('prometheus', [group('Web / API'), group('Node')]);
    expect(b).toEqual(a);
    expect(Object.keys(a.files)).toEqual([
      expect.stringMatching(/^opsfleet-node-[0-9a-f]{6}\.yml$/),
      expect.stringMatching(/^opsfleet-web-api-[0-9a-f]{6}\.yml$/),
    ]);
    expect(rulesConfig('prometheus', [group('Node', 'up == 1'), group('Web / API')]).hash).not.toBe(a.hash);
    // Two names that slug alike still get two files.
    expect(Object.keys(rulesConfig('vmalert', [group('a b'), group('a-b')]).files)).toHaveLength(2);
  });
});

const BASE = `global:
  resolve_timeout: 5m
route:
  receiver: oncall
  group_by: [alertname]
  routes:
    - receiver: db-team
      matchers: ['team="db"']
receivers:
  - name: oncall
  - name: db-team
`;
const hook = {
  webhookUrl: 'https://opsfleet.example/api/v1/webhooks/alertmanager',
  passwordFile: '/etc/alertmanager/opsfleet.key',
};

describe('alertmanagerConfig', () => {
  it('adds a catch-all route that continues, and a receiver reading the key from a file; merging again changes nothing', () => {
    const once = alertmanagerConfig(BASE, hook);
    if (!once.ok) throw new Error(once.problem);
    const cfg = parseYaml(once.config.files['alertmanager.yml']!) as {
      route: { receiver: string; routes: unknown[] };
      receivers: unknown[];
    };
    expect(cfg.route.receiver).toBe('oncall');
    expect(cfg.route.routes).toEqual([
      { receiver: 'opsfleet', continue: true },
      { receiver: 'db-team', matchers: ['team="db"'] },
    ]);
    expect(cfg.receivers.at(-1)).toEqual({
      name: 'opsfleet',
      webhook_configs: [
        {
          url: hook.webhookUrl,
          send_resolved: true,
          http_config: { basic_auth: { username: 'api_key', password_file: hook.passwordFile } },
        },
      ],
    });
    const twice = alertmanagerConfig(once.config.files['alertmanager.yml']!, hook);
    expect(twice.ok && twice.config).toEqual(once.config);
  });

  it.each([
    ['', /not a YAML mapping/],
    ['receivers: []\n', /no route/],
    ['- a list\n', /mapping/],
    ['route: [unclosed\n', /.+/],
  ])('refuses a base that cannot be merged: %j', (base, why) => {
    const r = alertmanagerConfig(base, hook);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(why);
  });
});

const haveAmtool = peerAvailable('amtool', 'prometheus-alertmanager');

describe.runIf(haveAmtool)('the merged configuration, checked by the real amtool', () => {
  it('passes amtool check-config', () => {
    const r = alertmanagerConfig(BASE, hook);
    if (!r.ok) throw new Error(r.problem);
    const dir = mkdtempSync(join(tmpdir(), 'am-merge-'));
    try {
      writeFileSync(join(dir, 'alertmanager.yml'), r.config.files['alertmanager.yml']!);
      const out = spawnSync('amtool', ['check-config', join(dir, 'alertmanager.yml')], { encoding: 'utf8' });
      expect(out.status, `${out.stdout}${out.stderr}`).toBe(0);
      expect(out.stdout).toContain(' - 3 receivers');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
