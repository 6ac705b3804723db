import { describe, expect, it } from 'vitest';
import type { Installation, Target, Version } from './api/release.ts';
import { buildMatrix } from './release-matrix.ts';

const target = (id: string, env = 'prod'): Target => ({
  id,
  projectId: 'p',
  environment: { id: env, name: env },
  agent: { id: `a-${id}`, name: `host-${id}` },
  labels: {},
  priority: 0,
  createdAt: '',
});
const version = (v: string) => ({ version: v }) as Version;
const installed = (
  targetId: string,
  v: string,
  state: Installation['state'],
  taskId = 'k1',
): Installation => ({
  targetId,
  environment: { id: 'prod', name: 'prod' },
  agent: { id: `a-${targetId}`, name: `host-${targetId}` },
  version: v,
  state,
  taskId,
  updatedAt: 't',
});

describe('the installation matrix', () => {
  it('puts each target in one row and its installation under its version', () => {
    const m = buildMatrix(
      [target('t1'), target('t2'), target('t3', 'staging')],
      [version('1.0'), version('2.0')],
      [installed('t1', '1.0', 'installed'), installed('t2', '2.0', 'failed', 'k2')],
    );
    expect(m.versions).toEqual(['1.0', '2.0']);
    expect(m.rows.map((r) => [r.agent, r.environment, r.cells])).toEqual([
      ['host-t1', 'prod', { '1.0': { state: 'installed', taskId: 'k1', updatedAt: 't' } }],
      ['host-t2', 'prod', { '2.0': { state: 'failed', taskId: 'k2', updatedAt: 't' } }],
      ['host-t3', 'staging', {}],
    ]);
  });

  it.each([
    ['a version deleted since it was installed gets a column of its own', [], ['1.0', '0.9']],
    ['no versions, no installations: no columns', null, []],
  ] as const)('%s', (_, __, columns) => {
    const rows = columns.length ? [installed('t1', '0.9', 'uninstalled')] : [];
    const m = buildMatrix([target('t1')], columns.length ? [version('1.0')] : [], rows);
    expect(m.versions).toEqual(columns);
  });

  it('adds a row for an installation whose target is not in the list held', () => {
    const m = buildMatrix([], [version('1.0')], [installed('t9', '1.0', 'installed')]);
    expect(m.rows.map((r) => r.agent)).toEqual(['host-t9']);
  });
});
