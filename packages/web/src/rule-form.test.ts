import { describe, expect, it } from 'vitest';
import type { Rule } from './api/notify-types.ts';
import {
  formToRule,
  isTime,
  isTimeZone,
  matcherProblem,
  matcherStrings,
  problemAt,
  type RuleFormValues,
  ruleProblems,
  ruleToForm,
  withEnabled,
} from './rule-form.ts';

const rule: Rule = {
  id: 'r1',
  name: 'db pages',
  enabled: true,
  matchers: ['team="db"', 'severity=~"critical|high"'],
  severities: ['critical'],
  windows: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00', timeZone: 'Asia/Shanghai' }],
  groupBy: ['alertname', 'instance'],
  groupWaitSeconds: 10,
  groupIntervalSeconds: 60,
  repeatIntervalSeconds: 3600,
  steps: [
    { afterMinutes: 0, channelIds: ['c1'] },
    { afterMinutes: 15, channelIds: ['c2', 'c3'] },
  ],
  templateId: 't1',
  createdBy: 'admin',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const values = (more: Partial<RuleFormValues> = {}): RuleFormValues => ({
  ...ruleToForm(undefined),
  name: 'r',
  steps: [{ afterMinutes: 0, channelIds: ['c1'] }],
  ...more,
});

describe('the rule form', () => {
  it('starts a new rule enabled, with the server defaults and one immediate step', () => {
    expect(formToRule(ruleToForm(undefined))).toEqual({
      name: '',
      enabled: true,
      matchers: [],
      severities: [],
      windows: [],
      groupBy: ['alertname'],
      groupWaitSeconds: 30,
      groupIntervalSeconds: 300,
      repeatIntervalSeconds: 14400,
      steps: [{ afterMinutes: 0, channelIds: [] }],
      templateId: null,
    });
  });

  it('sends back an unchanged rule as it came', () => {
    const { id, createdBy, createdAt, updatedAt, ...input } = rule;
    expect(formToRule(ruleToForm(rule))).toEqual(input);
  });

  it('switches a rule on and off without touching the rest', () => {
    const off = withEnabled(rule, false);
    expect(off.enabled).toBe(false);
    expect(off.steps).toEqual(rule.steps);
    expect(off.matchers).toEqual(rule.matchers);
  });

  it('trims and dedupes lists, sorts days, forces the first step to 0 and fills blank timings', () => {
    const body = formToRule({
      name: '  db  ',
      enabled: true,
      matchers: [' team="db" ', '', 'team="db"'],
      severities: ['critical', 'critical', ' high'],
      groupBy: ['alertname', ' '],
      groupWaitSeconds: null,
      groupIntervalSeconds: undefined,
      repeatIntervalSeconds: 7200,
      windows: [{ days: [5, 1, 1], from: ' 22:00', to: '06:00 ', timeZone: ' UTC ' }],
      steps: [
        { afterMinutes: 9, channelIds: ['a', 'a'] },
        { afterMinutes: 30, channelIds: ['b'] },
      ],
      templateId: '',
    });
    expect(body).toEqual({
      name: 'db',
      enabled: true,
      matchers: ['team="db"'],
      severities: ['critical', 'high'],
      windows: [{ days: [1, 5], from: '22:00', to: '06:00', timeZone: 'UTC' }],
      groupBy: ['alertname'],
      groupWaitSeconds: 30,
      groupIntervalSeconds: 300,
      repeatIntervalSeconds: 7200,
      steps: [
        { afterMinutes: 0, channelIds: ['a'] },
        { afterMinutes: 30, channelIds: ['b'] },
      ],
      templateId: null,
    });
  });

  it('reads matchers the server might send as objects', () => {
    expect(matcherStrings(['a="b"', { name: 'severity', type: '=~', value: 'critical|high' }])).toEqual([
      'a="b"',
      'severity=~"critical|high"',
    ]);
    expect(
      ruleToForm({ ...rule, matchers: [{ name: 'team', type: '!=', value: 'x' }] as never }).matchers,
    ).toEqual(['team!="x"']);
  });

  it.each([
    ['team="db"', undefined],
    ['severity=~"critical|high"', undefined],
    ['env!="prod"', undefined],
    ['instance!~"db-.*"', undefined],
    ['team=db', undefined],
    ['a="say \\"hi\\""', undefined],
    ['team', /is not a matcher/],
    ['="db"', /is not a matcher/],
    ['team="db', /unbalanced quotes/],
    ['team=d"b', /unbalanced quotes/],
    ['team=~"(db"', /does not parse/],
  ])('checks the matcher %s', (text, problem) => {
    const got = matcherProblem(text);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(problem);
  });

  it.each([
    ['09:00', true],
    ['23:59', true],
    ['00:00', true],
    ['24:00', false],
    ['9:00', false],
    ['09:60', false],
    ['', false],
    [undefined, false],
  ])('reads %j as a time: %s', (text, ok) => {
    expect(isTime(text)).toBe(ok);
  });

  it.each([
    ['UTC', true],
    ['Asia/Shanghai', true],
    ['Mars/Olympus', false],
    ['', false],
  ])('knows the time zone %j: %s', (zone, ok) => {
    expect(isTimeZone(zone)).toBe(ok);
  });

  it('accepts a complete rule, and a group sent at once', () => {
    expect(ruleProblems(ruleToForm(rule))).toEqual([]);
    expect(ruleProblems(values({ groupWaitSeconds: 0 }))).toEqual([]);
  });

  it.each<[string, Partial<RuleFormValues>, (string | number)[], RegExp]>([
    ['a blank name', { name: ' ' }, ['name'], /a name/],
    ['a bad matcher', { matchers: ['ok="1"', 'nope'] }, ['matchers'], /'nope' is not a matcher/],
    ['negative seconds', { groupWaitSeconds: -1 }, ['groupWaitSeconds'], /whole seconds, 0 or more/],
    ['no group interval', { groupIntervalSeconds: 0 }, ['groupIntervalSeconds'], /whole seconds, 1 or more/],
    ['fractional seconds', { repeatIntervalSeconds: 1.5 }, ['repeatIntervalSeconds'], /whole seconds/],
    ['no steps', { steps: [] }, ['steps'], /at least one step/],
    ['a first step without channels', { steps: [{ channelIds: [] }] }, ['steps', 0, 'channelIds'], /channel/],
    [
      'a later step without a delay',
      { steps: [{ channelIds: ['a'] }, { afterMinutes: null, channelIds: ['b'] }] },
      ['steps', 1, 'afterMinutes'],
      /1 or more/,
    ],
    [
      'a later step at 0 minutes',
      { steps: [{ channelIds: ['a'] }, { afterMinutes: 0, channelIds: ['b'] }] },
      ['steps', 1, 'afterMinutes'],
      /1 or more/,
    ],
    [
      'a later step without channels',
      { steps: [{ channelIds: ['a'] }, { afterMinutes: 5, channelIds: [] }] },
      ['steps', 1, 'channelIds'],
      /channel/,
    ],
    [
      'a window without days',
      { windows: [{ days: [], from: '09:00', to: '18:00', timeZone: 'UTC' }] },
      ['windows', 0, 'days'],
      /day/,
    ],
    [
      'a window with a bad start',
      { windows: [{ days: [1], from: '9', to: '18:00', timeZone: 'UTC' }] },
      ['windows', 0, 'from'],
      /HH:MM/,
    ],
    [
      'a window that ends where it starts',
      { windows: [{ days: [1], from: '09:00', to: '09:00', timeZone: 'UTC' }] },
      ['windows', 0, 'to'],
      /differ/,
    ],
    [
      'a window in an unknown zone',
      { windows: [{ days: [1], from: '09:00', to: '18:00', timeZone: 'Nowhere/Land' }] },
      ['windows', 0, 'timeZone'],
      /IANA/,
    ],
  ])('refuses %s', (_, more, name, message) => {
    const v = values(more);
    expect(problemAt(v, name)).toMatch(message);
    expect(ruleProblems(v).map((p) => p.name.join('.'))).toEqual([name.join('.')]);
  });

  it('accepts a window across midnight', () => {
    expect(
      ruleProblems(values({ windows: [{ days: [5], from: '22:00', to: '06:00', timeZone: 'UTC' }] })),
    ).toEqual([]);
  });
});
