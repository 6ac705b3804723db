import { describe, expect, it } from 'vitest';
import type { Strategy } from './api/release.ts';
import {
  previewBatches,
  selectionBody,
  strategyText,
  taskBody,
  WIZARD_DEFAULTS,
  type WizardValues,
} from './release-wizard.ts';

const base: WizardValues = { ...WIZARD_DEFAULTS, environment: 'env-1', version: 'ver-1' };

describe('the deploy wizard → request bodies', () => {
  it.each([
    [
      'auto-select with a source version, all at once',
      { sourceVersion: '1.0.0' },
      {
        auto_select_clients: true,
        source_version: '1.0.0',
        strategy: { type: 'all-at-once' },
      },
    ],
    ['auto-select anything installed', {}, { auto_select_clients: true, strategy: { type: 'all-at-once' } }],
    [
      'picked targets, rolling',
      { selection: 'pick', clients: ['a1', 'a2'], strategy: 'rolling', batchSize: 2, intervalSeconds: 30 },
      {
        auto_select_clients: false,
        client_ids: ['a1', 'a2'],
        strategy: { type: 'rolling', batchSize: 2, intervalSeconds: 30 },
      },
    ],
    [
      'canary by percent',
      { strategy: 'canary', canaryBy: 'percent', canaryPercent: 25 },
      { auto_select_clients: true, strategy: { type: 'canary', percent: 25 } },
    ],
    [
      'canary by targets',
      { strategy: 'canary', canaryBy: 'targets', canaryTargets: ['a2'] },
      { auto_select_clients: true, strategy: { type: 'canary', targets: ['a2'] } },
    ],
  ] as const)('%s', (_, change, want) => {
    const built = selectionBody('p1', { ...base, ...change } as WizardValues);
    expect(built).toEqual({ ok: true, body: { project: 'p1', environment: 'env-1', ...want } });
  });

  it.each([
    ['no environment', { environment: undefined }, ['environment']],
    ['pick without targets', { selection: 'pick', clients: [] }, ['clients']],
    ['rolling with no batch size', { strategy: 'rolling', batchSize: 0 }, ['batchSize']],
    ['canary by targets without any', { strategy: 'canary', canaryBy: 'targets' }, ['canaryTargets']],
    ['canary of 0 %', { strategy: 'canary', canaryBy: 'percent', canaryPercent: 0 }, ['canaryPercent']],
  ] as const)('refuses %s', (_, change, fields) => {
    const built = selectionBody('p1', { ...base, ...change } as WizardValues);
    expect(built.ok ? [] : Object.keys(built.problems)).toEqual(fields);
  });

  it('the task adds version, operation, failure strategy and a scheduled start', () => {
    const built = taskBody('p1', {
      ...base,
      operation: 'update',
      failureStrategy: 'pause',
      scheduledAt: '2026-12-08T10:00',
    });
    expect(built).toEqual({
      ok: true,
      body: {
        project: 'p1',
        environment: 'env-1',
        auto_select_clients: true,
        strategy: { type: 'all-at-once' },
        version: 'ver-1',
        operation: 'update',
        failure_strategy: 'pause',
        // The browser's local time, sent as UTC.
        scheduled_at: new Date(2026, 11, 8, 10, 0).toISOString(),
      },
    });
  });

  it('refuses a start that is not a date', () => {
    const built = taskBody('p1', { ...base, scheduledAt: 'tomorrow' });
    expect(built.ok ? [] : Object.keys(built.problems)).toEqual(['scheduledAt']);
  });

  it('the task needs a version, and reports it with the selection problems', () => {
    const built = taskBody('p1', { ...base, version: undefined, environment: undefined });
    expect(built.ok ? [] : Object.keys(built.problems).sort()).toEqual(['environment', 'version']);
  });
});

describe('the preview by batch', () => {
  it('groups agents by batch, first batch first', () => {
    const t = (name: string, batch: number) => ({ targetId: name, agent: { id: name, name }, batch });
    expect(
      previewBatches({ environment: { id: 'e', name: 'prod' }, targets: [t('c', 2), t('a', 1), t('b', 1)] }),
    ).toEqual([
      { batch: 1, agents: ['a', 'b'] },
      { batch: 2, agents: ['c'] },
    ]);
  });
});

describe('a strategy in words', () => {
  it.each([
    [{ type: 'all-at-once' }, 'all at once'],
    [{ type: 'rolling', batchSize: 2, intervalSeconds: 30 }, 'rolling, 2 at a time, 30 s apart'],
    [{ type: 'canary', percent: 10 }, 'canary: 10 % first'],
    [{ type: 'canary', targets: ['a'] }, 'canary: 1 chosen target first'],
    [{ type: 'canary', targets: ['a', 'b'] }, 'canary: 2 chosen targets first'],
  ] as const)('%j → %s', (strategy, text) => {
    expect(strategyText(strategy as Strategy)).toBe(text);
  });
});
