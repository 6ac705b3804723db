/**
 * Alerting rule groups (docs/rules.md): every save a revision checked by promtool and vmalert,
 * revisions, their diff and restore, and a rule's test on its data source. Bodies use the
 * server's snake_case names, answers are camelCase.
 */
import { api } from './client.ts';

const G = '/api/v1/rule-groups';
const id = encodeURIComponent;

export interface AlertRule {
  id: string;
  name: string;
  expr: string;
  for: string;
  keepFiringFor: string;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  enabled: boolean;
}

export interface RuleGroup {
  id: string;
  name: string;
  datasourceId: string | null;
  interval: string;
  rules: AlertRule[];
  revision: number;
  author: string;
  comment: string;
  createdAt: string;
  updatedAt: string;
}

export interface AlertRuleBody {
  id?: string;
  name: string;
  expr: string;
  for: string;
  keep_firing_for: string;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  enabled: boolean;
}

export interface RuleGroupBody {
  name: string;
  datasource_id: string | null;
  interval: string;
  rules: AlertRuleBody[];
  comment: string;
}

export interface Revision {
  revision: number;
  author: string;
  comment: string;
  createdAt: string;
}

/** A stretch of time the expression returned the series; it fires from `firingAt` if it lasted `for`. */
export interface Episode {
  start: number;
  end: number;
  firingAt: number | null;
}

export interface RuleTest {
  step: number;
  start: number;
  end: number;
  firingNow: number;
  series: { labels: Record<string, string>; episodes: Episode[] }[];
  truncated: boolean;
}

export const listRuleGroups = (signal?: AbortSignal) => api<{ items: RuleGroup[] }>(G, { signal });
export const getRuleGroup = (groupId: string, signal?: AbortSignal) =>
  api<RuleGroup>(`${G}/${id(groupId)}`, { signal });
export const createRuleGroup = (body: RuleGroupBody) => api<RuleGroup>(G, { body });
export const updateRuleGroup = (groupId: string, body: RuleGroupBody) =>
  api<RuleGroup>(`${G}/${id(groupId)}`, { method: 'PUT', body });
export const deleteRuleGroup = (groupId: string) => api<void>(`${G}/${id(groupId)}`, { method: 'DELETE' });
export const ruleGroupRevisions = (groupId: string, signal?: AbortSignal) =>
  api<{ items: Revision[] }>(`${G}/${id(groupId)}/revisions`, { signal });
export const ruleGroupDiff = (groupId: string, from: number, to: number, signal?: AbortSignal) =>
  api<{ diff: string; changed: boolean }>(`${G}/${id(groupId)}/diff`, {
    query: { from: String(from), to: String(to) },
    signal,
  });
export const restoreRevision = (groupId: string, revision: number, comment: string) =>
  api<RuleGroup>(`${G}/${id(groupId)}/revisions/${revision}/restore`, { body: { comment } });
export const testRule = (body: { datasource_id: string; expr: string; for: string; hours: number }) =>
  api<RuleTest>(`${G}/test-rule`, { body });
