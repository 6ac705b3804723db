/**
 * The notification rule form: values as the form holds them (blank numbers, a first step with
 * no delay of its own, matchers as text) and the `RuleInput` the API takes, both ways, with
 * the checks the form runs before it sends anything.
 */
import type { EscalationStep, Rule, RuleInput, TimeWindow } from './api/notify-types.ts';
import { matcherText } from './api/silences.ts';
import type { Matcher } from './api/types.ts';

/** The server's defaults, used when a field is left blank. */
export const RULE_DEFAULTS = {
  groupWaitSeconds: 30,
  groupIntervalSeconds: 300,
  repeatIntervalSeconds: 14_400,
} as const;

/** The least each timing may be: a group may go out at once, but never repeat without a pause. */
const TIMING_MIN = { groupWaitSeconds: 0, groupIntervalSeconds: 1, repeatIntervalSeconds: 1 } as const;

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface WindowValues {
  days: number[];
  from: string;
  to: string;
  timeZone: string;
}

export interface StepValues {
  /** Ignored for the first step, which notifies at once. */
  afterMinutes?: number | null;
  channelIds: string[];
}

export interface RuleFormValues {
  name: string;
  enabled: boolean;
  matchers: string[];
  severities: string[];
  groupBy: string[];
  groupWaitSeconds?: number | null;
  groupIntervalSeconds?: number | null;
  repeatIntervalSeconds?: number | null;
  windows: WindowValues[];
  steps: StepValues[];
  templateId?: string | null;
}

/** The browser's IANA time zone, the default for a new time window. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** A new window: working hours on weekdays in `timeZone`. */
export const newWindow = (timeZone: string): WindowValues => ({
  days: [1, 2, 3, 4, 5],
  from: '09:00',
  to: '18:00',
  timeZone,
});

/** Matchers as text, whether the server sends them as text or as `{name, type, value}`. */
export const matcherStrings = (matchers: readonly (string | Matcher)[]): string[] =>
  matchers.map((m) => (typeof m === 'string' ? m : matcherText(m)));

export function ruleToForm(rule: Rule | undefined): RuleFormValues {
  if (!rule)
    return {
      name: '',
      enabled: true,
      matchers: [],
      severities: [],
      groupBy: ['alertname'],
      ...RULE_DEFAULTS,
      windows: [],
      steps: [{ afterMinutes: 0, channelIds: [] }],
      templateId: undefined,
    };
  return {
    name: rule.name,
    enabled: rule.enabled,
    matchers: matcherStrings(rule.matchers as (string | Matcher)[]),
    severities: [...rule.severities],
    groupBy: [...rule.groupBy],
    groupWaitSeconds: rule.groupWaitSeconds,
    groupIntervalSeconds: rule.groupIntervalSeconds,
    repeatIntervalSeconds: rule.repeatIntervalSeconds,
    windows: rule.windows.map((w) => ({ ...w, days: [...w.days] })),
    steps: rule.steps.length
      ? rule.steps.map((s) => ({ afterMinutes: s.afterMinutes, channelIds: [...s.channelIds] }))
      : [{ afterMinutes: 0, channelIds: [] }],
    templateId: rule.templateId ?? undefined,
  };
}

const clean = (list: readonly string[] | undefined): string[] => [
  ...new Set((list ?? []).map((s) => s.trim()).filter((s) => s !== '')),
];
const seconds = (value: number | null | undefined, fallback: number): number =>
  value === null || value === undefined || !Number.isFinite(value) ? fallback : Math.round(value);

/** The body of `POST /notify/rules` and `PUT /notify/rules/:id`. */
export function formToRule(values: RuleFormValues): RuleInput {
  const windows: TimeWindow[] = (values.windows ?? []).map((w) => ({
    days: [...new Set(w.days ?? [])].sort((a, b) => a - b),
    from: w.from.trim(),
    to: w.to.trim(),
    timeZone: w.timeZone.trim(),
  }));
  const steps: EscalationStep[] = (values.steps ?? []).map((s, i) => ({
    afterMinutes: i === 0 ? 0 : Math.round(s.afterMinutes ?? 0),
    channelIds: [...new Set(s.channelIds ?? [])],
  }));
  return {
    name: values.name.trim(),
    enabled: values.enabled ?? true,
    matchers: clean(values.matchers),
    severities: clean(values.severities),
    windows,
    groupBy: clean(values.groupBy),
    groupWaitSeconds: seconds(values.groupWaitSeconds, RULE_DEFAULTS.groupWaitSeconds),
    groupIntervalSeconds: seconds(values.groupIntervalSeconds, RULE_DEFAULTS.groupIntervalSeconds),
    repeatIntervalSeconds: seconds(values.repeatIntervalSeconds, RULE_DEFAULTS.repeatIntervalSeconds),
    steps,
    templateId: values.templateId || null,
  };
}

/** A rule as it is, with `enabled` switched: the body the table's switch sends. */
export function withEnabled(rule: Rule, enabled: boolean): RuleInput {
  return { ...formToRule(ruleToForm(rule)), enabled };
}

const MATCHER = /^\s*([A-Za-z_][\w.:/-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/** What is wrong with a matcher's text (the server checks regexes and the rest), or undefined. */
export function matcherProblem(text: string): string | undefined {
  const m = MATCHER.exec(text);
  if (!m)
    return `'${text}' is not a matcher: write name="value", name!="value", name=~"regex" or name!~"regex"`;
  const raw = m[3] ?? '';
  const quoted = raw.startsWith('"');
  if (quoted ? !/^"(?:[^"\\]|\\.)*"$/s.test(raw) : raw.includes('"'))
    return `'${text}' has unbalanced quotes`;
  if (m[2] === '=~' || m[2] === '!~') {
    try {
      new RegExp(quoted ? JSON.parse(raw) : raw);
    } catch {
      return `'${text}' has a regular expression that does not parse`;
    }
  }
  return undefined;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** `HH:MM` on a 24-hour clock. */
export const isTime = (text: string | undefined): boolean => HHMM.test((text ?? '').trim());

/** Whether `zone` is an IANA time zone this browser knows. */
export function isTimeZone(zone: string | undefined): boolean {
  if (!zone?.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone.trim() });
    return true;
  } catch {
    return false;
  }
}

export interface FormProblem {
  /** The form field, as antd names it: `['steps', 0, 'channelIds']`. */
  name: (string | number)[];
  message: string;
}

/** Everything wrong with the values, each at its field; empty when the rule can be sent. */
export function ruleProblems(values: RuleFormValues): FormProblem[] {
  const problems: FormProblem[] = [];
  if (!values.name?.trim()) problems.push({ name: ['name'], message: 'a name' });
  const badMatchers = clean(values.matchers)
    .map(matcherProblem)
    .filter((p): p is string => p !== undefined);
  if (badMatchers.length) problems.push({ name: ['matchers'], message: badMatchers.join('; ') });
  for (const field of ['groupWaitSeconds', 'groupIntervalSeconds', 'repeatIntervalSeconds'] as const) {
    const v = values[field];
    const min = TIMING_MIN[field];
    if (v !== null && v !== undefined && !(Number.isInteger(v) && v >= min))
      problems.push({ name: [field], message: `whole seconds, ${min} or more` });
  }
  (values.windows ?? []).forEach((w, i) => {
    if (!w.days?.length) problems.push({ name: ['windows', i, 'days'], message: 'pick at least one day' });
    if (!isTime(w.from)) problems.push({ name: ['windows', i, 'from'], message: 'HH:MM, e.g. 09:00' });
    if (!isTime(w.to)) problems.push({ name: ['windows', i, 'to'], message: 'HH:MM, e.g. 18:00' });
    else if (isTime(w.from) && w.from.trim() === w.to.trim())
      problems.push({ name: ['windows', i, 'to'], message: 'the end must differ from the start' });
    if (!isTimeZone(w.timeZone))
      problems.push({ name: ['windows', i, 'timeZone'], message: 'an IANA time zone, e.g. Asia/Shanghai' });
  });
  const steps = values.steps ?? [];
  if (!steps.length) problems.push({ name: ['steps'], message: 'at least one step' });
  steps.forEach((s, i) => {
    if (!s.channelIds?.length)
      problems.push({ name: ['steps', i, 'channelIds'], message: 'pick at least one channel' });
    if (i > 0) {
      const after = s.afterMinutes;
      if (after === null || after === undefined || !Number.isInteger(after) || after < 1)
        problems.push({ name: ['steps', i, 'afterMinutes'], message: 'whole minutes, 1 or more' });
    }
  });
  return problems;
}

/** The problem at one field, for a form rule's validator. */
export const problemAt = (values: RuleFormValues, name: (string | number)[]): string | undefined =>
  ruleProblems(values).find((p) => p.name.join('.') === name.join('.'))?.message;
