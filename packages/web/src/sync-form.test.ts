import { describe, expect, it } from 'vitest';
import type { SyncTarget } from './api/sync-targets.ts';
import {
  STARTER_BASE_CONFIG,
  type SyncTargetValues,
  syncFieldErrors,
  syncTargetBody,
  syncTargetValues,
} from './sync-form.ts';

const ORIGIN = 'http://opsfleet.internal:8080';

const stored: SyncTarget = {
  id: 't1',
  name: 'am-eu',
  kind: 'alertmanager',
  agentId: 'a1',
  datasourceId: null,
  baseConfig: 'route:\n  receiver: pager\nreceivers:\n  - name: pager\n',
  webhookUrl: 'http://10.0.0.5:8080/api/v1/webhooks/alertmanager',
  passwordFile: '/etc/alertmanager/opsfleet.key',
  hasIngestKey: true,
  latestVersion: 2,
  pinnedVersion: null,
  desiredVersion: 2,
  appliedVersion: 1,
  inSync: false,
  lastAttemptAt: null,
  lastError: null,
  peer: null,
  createdAt: '2026-12-07T00:00:00Z',
  updatedAt: '2026-12-07T00:00:00Z',
};

describe('the sync target form', () => {
  it('starts a new target as Prometheus, with a base Alertmanager accepts and this server as webhook', () => {
    expect(syncTargetValues(undefined, ORIGIN)).toEqual({
      name: '',
      kind: 'prometheus',
      agentId: undefined,
      datasourceId: undefined,
      baseConfig: STARTER_BASE_CONFIG,
      webhookUrl: 'http://opsfleet.internal:8080/api/v1/webhooks/alertmanager',
      passwordFile: '',
    });
  });

  it('saves a stored Alertmanager target unchanged', () => {
    expect(syncTargetBody(syncTargetValues(stored, ORIGIN))).toEqual({
      name: 'am-eu',
      kind: 'alertmanager',
      agent_id: 'a1',
      datasource_id: null,
      base_config: stored.baseConfig,
      webhook_url: stored.webhookUrl,
      password_file: '/etc/alertmanager/opsfleet.key',
    });
  });

  it.each([
    [
      'prometheus: its data source, nothing of Alertmanager',
      { kind: 'prometheus', datasourceId: 'd1' },
      { kind: 'prometheus', datasource_id: 'd1', base_config: '', webhook_url: '', password_file: '' },
    ],
    [
      'vmalert without a data source: the server names the missing field',
      { kind: 'vmalert', datasourceId: undefined },
      { kind: 'vmalert', datasource_id: null, base_config: '', webhook_url: '', password_file: '' },
    ],
    [
      'alertmanager: a data source picked before the kind changed is dropped, paths trimmed',
      { kind: 'alertmanager', datasourceId: 'd1', webhookUrl: ' http://h/x ', passwordFile: ' /k ' },
      {
        kind: 'alertmanager',
        datasource_id: null,
        base_config: STARTER_BASE_CONFIG,
        webhook_url: 'http://h/x',
        password_file: '/k',
      },
    ],
    ['no agent picked', { agentId: undefined }, { agent_id: null }],
  ] as const)('%s', (_, change, body) => {
    const v = { ...syncTargetValues(undefined, ORIGIN), name: ' prom-eu ', ...change } as SyncTargetValues;
    expect(syncTargetBody(v)).toMatchObject({ name: 'prom-eu', ...body });
  });

  it('puts the server refusals on the fields they name, and leaves out the rest', () => {
    expect(
      syncFieldErrors([
        { path: 'body.base_config', message: 'the base configuration has no route' },
        { path: 'body.password_file', message: 'an absolute path' },
        { path: 'body.agent_id', message: 'no such agent' },
        { path: 'body', message: 'something else' },
      ]),
    ).toEqual([
      { name: 'baseConfig', errors: ['the base configuration has no route'] },
      { name: 'passwordFile', errors: ['an absolute path'] },
      { name: 'agentId', errors: ['no such agent'] },
    ]);
  });
});
