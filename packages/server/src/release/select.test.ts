import { describe, expect, it } from 'vitest';
import { autoSelect, type SelectableInstallation } from './select.ts';

const env = { id: 'prod', name: 'prod' };
const t = (id: string, environmentId = 'prod', priority = 0) => ({
  id,
  agentId: `a-${id}`,
  environmentId,
  priority,
});
const i = (targetId: string, version: string, state: SelectableInstallation['state'] = 'installed') => ({
  targetId,
  version,
  state,
});

describe('autoSelect', () => {
  it.each([
    {
      name: 'takes the installed targets of the version, highest priority first',
      targets: [t('1'), t('2', 'prod', 5), t('3')],
      inst: [i('1', 'v1'), i('2', 'v1'), i('3', 'v2')],
      source: 'v1',
      want: ['2', '1'],
    },
    {
      name: 'leaves out failed and uninstalled rows',
      targets: [t('1'), t('2'), t('3')],
      inst: [i('1', 'v1'), i('2', 'v1', 'failed'), i('3', 'v1', 'uninstalled')],
      source: 'v1',
      want: ['1'],
    },
    {
      name: 'leaves out targets of other environments',
      targets: [t('1'), t('2', 'staging')],
      inst: [i('1', 'v1'), i('2', 'v1')],
      source: 'v1',
      want: ['1'],
    },
    {
      name: 'without a source version, takes every target with anything installed',
      targets: [t('1'), t('2'), t('3')],
      inst: [i('1', 'v1'), i('2', 'v2'), i('3', 'v2', 'failed')],
      source: undefined,
      want: ['1', '2'],
    },
    {
      name: 'says the environment has no targets',
      targets: [t('1', 'staging')],
      inst: [i('1', 'v1')],
      source: 'v1',
      reason: 'environment prod has no targets: add one first',
    },
    {
      name: 'says nothing is installed',
      targets: [t('1')],
      inst: [],
      source: 'v1',
      reason: 'no target in environment prod has version v1 (nothing is installed there)',
    },
    {
      name: 'says which versions the targets have instead',
      targets: [t('1'), t('2')],
      inst: [i('1', 'v3'), i('2', 'v2')],
      source: 'v1',
      reason: 'no target in environment prod has version v1 (they have v2, v3)',
    },
    {
      name: 'says those with the version are failed',
      targets: [t('1'), t('2')],
      inst: [i('1', 'v1', 'failed'), i('2', 'v1', 'uninstalled')],
      source: 'v1',
      reason:
        'the 2 targets in environment prod with version v1 are failed or uninstalled, not installed: name them in client_ids to act on them',
    },
  ])('$name', ({ targets, inst, source, want, reason }) => {
    const got = autoSelect({ targets, installations: inst, environment: env, sourceVersion: source });
    if (want) {
      expect(got.ok).toBe(true);
      expect(got.ok && got.targets.map((x) => x.id)).toEqual(want);
    } else expect(got).toEqual({ ok: false, reason });
  });
});
