import { randomUUID } from 'node:crypto';
import { lineDiff, unifiedDiff } from '@opsfleet/core';
import type { DatasourceService } from '../datasources/service.ts';
import { datasourceStore } from '../datasources/store.ts';
import type { Db } from '../db/database.ts';
import { badRequest, type FieldProblem, notFound, Problem } from '../http/problem.ts';
import type { Audit } from '../release/service.ts';
import { durationSeconds, episodes, previewStep, type RangeSeries } from './firing.ts';
import { type AlertRule, type Flavor, renderGroup } from './render.ts';
import { type GroupContent, type GroupRow, type RevisionRow, ruleStore as store } from './store.ts';
import { type RuleProblem, validateGroup } from './validate.ts';

export type RuleInput = Omit<AlertRule, 'id'> & { id?: string };

export interface GroupInput {
  name: string;
  datasourceId: string | null;
  interval: string;
  rules: RuleInput[];
  comment: string;
}

/** JSON with object keys sorted: jsonb gives keys back in its own order. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
const parsed = <T>(v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const iso = (v: string | Date) => new Date(v).toISOString();

export const groupView = (r: GroupRow) => {
  const c = parsed<GroupContent>(r.content);
  return {
    id: r.id,
    name: r.name,
    datasourceId: r.datasource_id,
    interval: c.interval,
    rules: c.rules,
    revision: r.revision,
    author: r.author,
    comment: r.comment,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
};

const revisionView = (r: RevisionRow) => ({
  revision: r.revision,
  author: r.author,
  comment: r.comment,
  createdAt: iso(r.created_at),
  rules: parsed<GroupContent>(r.content).rules.length,
});

/** Problems as 400 field errors: `body.rules[i].expr`, the index being the rule's place in the request. */
function problemsAsFields(problems: RuleProblem[], rules: AlertRule[]): FieldProblem[] {
  return problems.map((p) => {
    const i = p.rule === undefined ? -1 : rules.findIndex((r) => r.id === p.rule);
    const path =
      i < 0 ? `body${p.field ? `.${p.field}` : ''}` : `body.rules[${i}]${p.field ? `.${p.field}` : ''}`;
    return { path, message: `${p.tool}: ${p.message}` };
  });
}

/**
 * Alerting rule groups with their revisions. A save is checked by promtool and vmalert first and
 * refused with their problems mapped to the rules' fields; an unchanged save adds no revision.
 */
export class RuleService {
  constructor(
    private readonly db: Db,
    private readonly sources: DatasourceService,
    private readonly audit: Audit,
    /** The groups of these data sources changed: config sync renders their targets again. */
    private readonly onChange: (datasourceIds: (string | null)[]) => Promise<void> = async () => {},
  ) {}

  private async row(id: string): Promise<GroupRow> {
    const row = await store.get(this.db, id);
    if (!row) throw notFound(`no rule group ${id}`);
    return row;
  }

  /** The content to store: rules keep their ids when the group had them, new ones get one. */
  private async content(g: GroupInput, current?: GroupContent): Promise<GroupContent> {
    if (g.datasourceId && !(await datasourceStore.get(this.db, g.datasourceId)))
      throw badRequest(`body.datasource_id: no data source ${g.datasourceId}`, [
        { path: 'body.datasource_id', message: 'no such data source (GET /api/v1/datasources)' },
      ]);
    const known = new Set(current?.rules.map((r) => r.id));
    const rules = g.rules.map((r) => ({ ...r, id: r.id && known.has(r.id) ? r.id : randomUUID() }));
    const names = rules.map((r) => r.name);
    const twice = names.findIndex((n, i) => names.indexOf(n) !== i);
    if (twice >= 0)
      throw badRequest(`body.rules[${twice}].name: "${names[twice]}" is in the group already`, [
        { path: `body.rules[${twice}].name`, message: 'another rule of the group has this name' },
      ]);
    const content = { name: g.name, datasourceId: g.datasourceId, interval: g.interval, rules };
    const problems = await validateGroup(content);
    if (problems.length)
      throw badRequest(
        `the rules do not pass promtool/vmalert: ${problems.map((p) => p.message).join('; ')}`.slice(0, 2000),
        problemsAsFields(problems, rules),
      );
    return content;
  }

  async list() {
    return (await store.list(this.db)).map(groupView);
  }

  /** The rule an alert's `opsfleet_rule` label names, for the alert detail's link. */
  async ruleOf(ruleId: string) {
    const r = await store.rule(this.db, ruleId);
    return r ? { groupId: r.group_id, group: r.group_name, ruleId, name: r.name } : null;
  }

  async get(id: string) {
    return groupView(await this.row(id));
  }

  async create(actor: string, g: GroupInput) {
    const content = await this.content(g);
    const id = randomUUID();
    await this.db.transaction((tx) => store.insert(tx, id, content, actor, g.comment));
    await this.audit(actor, 'rulegroup.create', `rulegroup:${id}`, undefined, { name: g.name, revision: 1 });
    await this.onChange([content.datasourceId]);
    return this.get(id);
  }

  async update(actor: string, id: string, g: GroupInput) {
    const current = parsed<GroupContent>((await this.row(id)).content);
    const content = await this.content(g, current);
    const revision = await this.db.transaction(async (tx) => {
      const row = await store.get(tx, id, true);
      if (!row) throw notFound(`no rule group ${id}`);
      if (canonical(parsed(row.content)) === canonical(content)) return null;
      await store.revise(tx, id, row.revision + 1, content, actor, g.comment);
      return row.revision + 1;
    });
    if (revision !== null) await this.onChange([current.datasourceId, content.datasourceId]);
    if (revision !== null)
      await this.audit(actor, 'rulegroup.update', `rulegroup:${id}`, undefined, {
        name: g.name,
        revision,
        comment: g.comment,
      });
    return this.get(id);
  }

  async remove(actor: string, id: string) {
    const before = await this.row(id);
    await store.remove(this.db, id);
    await this.onChange([parsed<GroupContent>(before.content).datasourceId]);
    await this.audit(actor, 'rulegroup.delete', `rulegroup:${id}`, {
      name: before.name,
      revision: before.revision,
    });
  }

  async revisions(id: string) {
    await this.row(id);
    return (await store.revisions(this.db, id)).map(revisionView);
  }

  private async contentAt(id: string, revision: number): Promise<GroupContent> {
    const r = await store.revision(this.db, id, revision);
    if (!r) throw notFound(`rule group ${id} has no revision ${revision}`);
    return parsed<GroupContent>(r.content);
  }

  /** The rule file for a peer at a revision (default: the current one). */
  async rendered(id: string, flavor: Flavor, revision?: number) {
    const content = revision
      ? await this.contentAt(id, revision)
      : parsed<GroupContent>((await this.row(id)).content);
    const r = renderGroup(content, flavor);
    return { text: r.text, dropped: r.dropped };
  }

  /** What changed between two revisions, as the rule files for `flavor` differ. */
  async diff(id: string, from: number, to: number, flavor: Flavor) {
    const [a, b] = [await this.contentAt(id, from), await this.contentAt(id, to)];
    const lines = lineDiff(renderGroup(a, flavor).text, renderGroup(b, flavor).text);
    return { from, to, flavor, diff: unifiedDiff(lines), changed: lines.some((l) => l.op !== ' ') };
  }

  /** A new revision with an earlier one's content, checked again like any save. */
  async restore(actor: string, id: string, revision: number, comment: string) {
    const old = await this.contentAt(id, revision);
    return this.update(actor, id, {
      ...old,
      comment: comment || `restored revision ${revision}`,
    });
  }

  /**
   * What a rule would do on its data source, without saving it: the series its expression
   * returns now, and over the last `hours` when each would have been pending and firing.
   * opsfleet evaluates nothing itself: both answers are the data source's.
   */
  async testRule(t: { datasourceId: string; expr: string; for: string; hours: number }) {
    if (t.for && !/^(\d+(ms|s|m|h|d|w|y))+$/.test(t.for))
      throw badRequest(`body.for: "${t.for}" is not a duration`, [
        { path: 'body.for', message: 'a duration such as 5m' },
      ]);
    const client = await this.sources.client(t.datasourceId, ['prometheus', 'victoriametrics']);
    const end = Math.floor(Date.now() / 1000);
    const range = t.hours * 3600;
    const step = previewStep(range);
    const [now, past] = await Promise.all([
      client.query(t.expr),
      client.queryRange(t.expr, String(end - range), String(end), String(step)),
    ]);
    for (const [what, a] of [
      ['query', now],
      ['range query', past],
    ] as const)
      if (!a.ok) throw new Problem(502, 'Bad Gateway', `${what}: ${a.error}`);
    const matrix = (past.ok ? past.data : { result: [] }) as { resultType?: string; result: RangeSeries[] };
    const instant = (now.ok ? now.data : { result: [] }) as { resultType?: string; result: unknown[] };
    if (instant.resultType !== 'vector')
      throw badRequest(
        `body.expr: an alerting rule's expression must give an instant vector; this gives ${instant.resultType ?? 'something else'}`,
        [{ path: 'body.expr', message: 'must give an instant vector (series), not a scalar or string' }],
      );
    const forSeconds = durationSeconds(t.for);
    return {
      step,
      start: end - range,
      end,
      firingNow: instant.result.length,
      series: matrix.result
        .slice(0, 500)
        .map((s) => ({ labels: s.metric, episodes: episodes(s.values, step, forSeconds) })),
      truncated: matrix.result.length > 500,
    };
  }
}
