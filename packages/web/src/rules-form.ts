/** The rule group editor: its fields, the request body they become, and where a refusal belongs. */
import type { FieldProblem } from './api/client.ts';
import type { AlertRuleBody, RuleGroup, RuleGroupBody } from './api/rule-groups.ts';
import { labelsText, parseLabels } from './release-forms.ts';

export interface RuleValues {
  /** The stored rule's id, sent back so the rule (and its alerts' opsfleet_rule) keeps its identity. */
  id?: string;
  name: string;
  expr: string;
  for: string;
  keepFiringFor: string;
  severity: string;
  /** name=value, comma or line separated. */
  labels: string;
  /** name=value, one a line: templates often hold commas. */
  annotations: string;
  enabled: boolean;
}

export interface GroupValues {
  name: string;
  datasourceId: string | undefined;
  interval: string;
  rules: RuleValues[];
  comment: string;
}

export const newRule = (): RuleValues => ({
  name: '',
  expr: '',
  for: '5m',
  keepFiringFor: '',
  severity: 'warning',
  labels: '',
  annotations: '',
  enabled: true,
});

const annotationsText = (a: Record<string, string>): string =>
  Object.entries(a)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

function parseAnnotations(text: string): { annotations: Record<string, string> } | { error: string } {
  const annotations: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { error: `"${line.trim()}" is not name=value` };
    annotations[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return { annotations };
}

export function groupValues(g: RuleGroup | undefined): GroupValues {
  return {
    name: g?.name ?? '',
    datasourceId: g?.datasourceId ?? undefined,
    interval: g?.interval ?? '',
    comment: '',
    rules: g
      ? g.rules.map((r) => ({
          id: r.id,
          name: r.name,
          expr: r.expr,
          for: r.for,
          keepFiringFor: r.keepFiringFor,
          severity: r.severity,
          labels: labelsText(r.labels),
          annotations: annotationsText(r.annotations),
          enabled: r.enabled,
        }))
      : [newRule()],
  };
}

/** The body to send, or the first field whose text cannot be read (as the server would name it). */
export function groupBody(v: GroupValues): { body: RuleGroupBody } | { error: FieldProblem } {
  const rules: AlertRuleBody[] = [];
  for (const [i, r] of (v.rules ?? []).entries()) {
    const labels = parseLabels(r.labels ?? '');
    if ('error' in labels) return { error: { path: `body.rules[${i}].labels`, message: labels.error } };
    const annotations = parseAnnotations(r.annotations ?? '');
    if ('error' in annotations)
      return { error: { path: `body.rules[${i}].annotations`, message: annotations.error } };
    rules.push({
      ...(r.id ? { id: r.id } : {}),
      name: (r.name ?? '').trim(),
      expr: (r.expr ?? '').trim(),
      for: (r.for ?? '').trim(),
      keep_firing_for: (r.keepFiringFor ?? '').trim(),
      severity: (r.severity ?? '').trim() || 'warning',
      labels: labels.labels,
      annotations: annotations.annotations,
      enabled: r.enabled ?? true,
    });
  }
  return {
    body: {
      name: (v.name ?? '').trim(),
      datasource_id: v.datasourceId ?? null,
      interval: (v.interval ?? '').trim(),
      rules,
      comment: v.comment ?? '',
    },
  };
}

const GROUP_FIELDS: Record<string, keyof GroupValues> = {
  name: 'name',
  datasource_id: 'datasourceId',
  interval: 'interval',
  comment: 'comment',
};
const RULE_FIELDS: Record<string, keyof RuleValues> = {
  name: 'name',
  expr: 'expr',
  for: 'for',
  keep_firing_for: 'keepFiringFor',
  severity: 'severity',
  labels: 'labels',
  annotations: 'annotations',
  enabled: 'enabled',
};

export type FieldPath = [keyof GroupValues] | ['rules', number, keyof RuleValues];

/**
 * The form field a problem's path names: `body.rules[1].expr` → ['rules', 1, 'expr'];
 * `body.rules[0].annotations.summary` → the rule's annotations text. Undefined for anything else.
 */
export function problemField(path: string): FieldPath | undefined {
  const rule = /^body\.rules\[(\d+)\]\.([a-z_]+)/.exec(path);
  if (rule) {
    const field = RULE_FIELDS[rule[2]!];
    return field ? ['rules', Number(rule[1]), field] : undefined;
  }
  const group = /^body\.([a-z_]+)$/.exec(path);
  const field = group ? GROUP_FIELDS[group[1]!] : undefined;
  return field ? [field] : undefined;
}

/** The problems split: those on a field of the form, grouped by field, and the rest (for an error box). */
export function placeProblems(problems: FieldProblem[]): {
  fields: { name: FieldPath; errors: string[] }[];
  rest: FieldProblem[];
} {
  const byField = new Map<string, { name: FieldPath; errors: string[] }>();
  const rest: FieldProblem[] = [];
  for (const p of problems) {
    const name = problemField(p.path);
    if (!name) {
      rest.push(p);
      continue;
    }
    const key = name.join('.');
    const entry = byField.get(key) ?? { name, errors: [] };
    entry.errors.push(p.message);
    byField.set(key, entry);
  }
  return { fields: [...byField.values()], rest };
}
