import { writeYaml } from '@opsfleet/core';

/** An alerting rule as the platform keeps it. */
export interface AlertRule {
  id: string;
  name: string;
  expr: string;
  /** Prometheus durations (`5m`); empty: none. */
  for: string;
  keepFiringFor: string;
  severity: string;
  labels: Record<string, string>;
  /** Go templates, rendered by the evaluating peer, not by us. */
  annotations: Record<string, string>;
  enabled: boolean;
}

export interface RuleGroup {
  name: string;
  /** Evaluation interval (`1m`); empty: the peer's global one. */
  interval: string;
  rules: AlertRule[];
}

/** Which peer evaluates the file: they accept slightly different rule fields. */
export type Flavor = 'prometheus' | 'vmalert';

/** The label that links an alert back to the rule that raised it. */
export const RULE_LABEL = 'opsfleet_rule';

/** What each flavor cannot take: Debian 12's vmalert (1.79) refuses `keep_firing_for`. */
const UNSUPPORTED: Record<Flavor, readonly (keyof AlertRule)[]> = {
  prometheus: [],
  vmalert: ['keepFiringFor'],
};

export interface Rendered {
  /** The rule file, in the peers' format. */
  text: string;
  /** The enabled rules in file order: `rules[i]` is the file's rule i + 1 (what the tools number). */
  rules: AlertRule[];
  /** Settings left out because the flavor cannot take them, for the user to see. */
  dropped: { rule: string; field: string; why: string }[];
}

/**
 * One group as a Prometheus/vmalert rule file. Only enabled rules are in it; each carries its
 * severity and the rule label, so alerts arriving from the peer name their rule.
 */
export function renderGroup(group: RuleGroup, flavor: Flavor): Rendered {
  const rules = group.rules.filter((r) => r.enabled);
  const dropped: Rendered['dropped'] = [];
  const body = rules.map((r) => {
    const out: Record<string, unknown> = { alert: r.name, expr: r.expr };
    if (r.for) out.for = r.for;
    if (r.keepFiringFor) {
      if (UNSUPPORTED[flavor].includes('keepFiringFor'))
        dropped.push({ rule: r.name, field: 'keep_firing_for', why: `${flavor} here does not support it` });
      else out.keep_firing_for = r.keepFiringFor;
    }
    out.labels = { ...r.labels, severity: r.severity, [RULE_LABEL]: r.id };
    if (Object.keys(r.annotations).length) out.annotations = r.annotations;
    return out;
  });
  const file = {
    groups: [{ name: group.name, ...(group.interval ? { interval: group.interval } : {}), rules: body }],
  };
  return { text: writeYaml(file), rules, dropped };
}
