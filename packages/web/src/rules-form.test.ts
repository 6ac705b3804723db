import { describe, expect, it } from 'vitest';
import type { RuleGroup } from './api/rule-groups.ts';
import { groupBody, groupValues, placeProblems, problemField } from './rules-form.ts';

const stored: RuleGroup = {
  id: 'g1',
  name: 'node',
  datasourceId: 'ds1',
  interval: '1m',
  revision: 3,
  author: 'admin',
  comment: '',
  createdAt: '',
  updatedAt: '',
  rules: [
    {
      id: 'r1',
      name: 'Down',
      expr: 'up == 0',
      for: '5m',
      keepFiringFor: '',
      severity: 'critical',
      labels: { team: 'ops' },
      annotations: { summary: '{{ $labels.instance }} down, since {{ $value }}' },
      enabled: true,
    },
  ],
};

describe('groupValues ⇄ groupBody', () => {
  it('a stored group round-trips, its rules keeping their ids', () => {
    const v = groupValues(stored);
    v.comment = 'why';
    expect(groupBody(v)).toEqual({
      body: {
        name: 'node',
        datasource_id: 'ds1',
        interval: '1m',
        comment: 'why',
        rules: [
          {
            id: 'r1',
            name: 'Down',
            expr: 'up == 0',
            for: '5m',
            keep_firing_for: '',
            severity: 'critical',
            labels: { team: 'ops' },
            annotations: { summary: '{{ $labels.instance }} down, since {{ $value }}' },
            enabled: true,
          },
        ],
      },
    });
  });

  it('a new group starts with one rule without id and no data source', () => {
    const v = groupValues(undefined);
    expect(v.rules).toHaveLength(1);
    const built = groupBody({
      ...v,
      name: ' g ',
      rules: [{ ...v.rules[0]!, name: 'A', expr: ' vector(1) ', severity: '' }],
    });
    expect(built).toMatchObject({
      body: {
        name: 'g',
        datasource_id: null,
        rules: [{ name: 'A', expr: 'vector(1)', severity: 'warning' }],
      },
    });
    expect('body' in built && 'id' in built.body.rules[0]!).toBe(false);
  });

  it.each([
    ['labels', { labels: 'team' }, 'body.rules[0].labels'],
    ['annotations', { annotations: 'no equals sign' }, 'body.rules[0].annotations'],
  ])('unreadable %s are named as the server would', (_, change, path) => {
    const v = groupValues(stored);
    const built = groupBody({ ...v, rules: [{ ...v.rules[0]!, ...change }] });
    expect(built).toMatchObject({ error: { path } });
  });
});

describe('problemField', () => {
  it.each([
    ['body.rules[1].expr', ['rules', 1, 'expr']],
    ['body.rules[0].keep_firing_for', ['rules', 0, 'keepFiringFor']],
    ['body.rules[2].annotations.summary', ['rules', 2, 'annotations']],
    ['body.rules[0].labels.team', ['rules', 0, 'labels']],
    ['body.name', ['name']],
    ['body.datasource_id', ['datasourceId']],
    ['body.interval', ['interval']],
    ['body.rules', undefined],
    ['body.rules[0]', undefined],
    ['', undefined],
  ])('%s → %j', (path, field) => expect(problemField(path)).toEqual(field));
});

describe('placeProblems', () => {
  it('groups messages by field and keeps the unplaced ones for the error box', () => {
    expect(
      placeProblems([
        { path: 'body.rules[1].expr', message: 'promtool: could not parse' },
        { path: 'body.rules[1].expr', message: 'vmalert: bad' },
        { path: 'body', message: 'something' },
        { path: 'body.interval', message: 'a duration' },
      ]),
    ).toEqual({
      fields: [
        { name: ['rules', 1, 'expr'], errors: ['promtool: could not parse', 'vmalert: bad'] },
        { name: ['interval'], errors: ['a duration'] },
      ],
      rest: [{ path: 'body', message: 'something' }],
    });
  });
});
