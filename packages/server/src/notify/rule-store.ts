import { sql } from 'drizzle-orm';
import type { Matcher } from '../alerts/matchers.ts';
import { parseMatcher } from '../alerts/matchers.ts';
import type { Db } from '../db/database.ts';
import { pgArray } from '../db/pg-array.ts';
import { rowsOf } from '../db/rows.ts';
import { badRequest, conflict, type FieldProblem, notFound } from '../http/problem.ts';
import { knownTemplate } from './channel-store.ts';
import type { TimeWindow } from './routing.ts';

/** One escalation step: `afterMinutes` from the group's first message, if still not acknowledged. */
export interface Step {
  afterMinutes: number;
  channelIds: string[];
}

/** A notification rule as the API reads and writes it; matchers are text (`team="db"`). */
export interface RuleInput {
  name: string;
  enabled: boolean;
  matchers: string[];
  severities: string[];
  windows: TimeWindow[];
  groupBy: string[];
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
  steps: Step[];
  templateId: string | null;
}

export interface Rule extends RuleInput {
  id: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** A rule ready for routing: matchers parsed. */
export interface LoadedRule extends Rule {
  parsed: Matcher[];
}

type Spec = Omit<RuleInput, 'name' | 'enabled' | 'templateId'>;

interface Row {
  id: string;
  name: string;
  enabled: boolean;
  spec: Spec | string;
  template_id: string | null;
  created_by: string;
  created_at: string | Date;
  updated_at: string | Date;
}

const toRule = (r: Row): Rule => ({
  id: r.id,
  name: r.name,
  enabled: r.enabled,
  ...(typeof r.spec === 'string' ? JSON.parse(r.spec) : r.spec),
  templateId: r.template_id,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with a rule beyond its shape, by field; channels are checked against the store. */
export function ruleProblems(input: RuleInput, channelIds: Set<string>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path: `body.${path}`, message });
  input.matchers.forEach((m, i) => {
    try {
      parseMatcher(m);
    } catch (err) {
      add(`matchers[${i}]`, (err as Error).message);
    }
  });
  input.windows.forEach((w, i) => {
    if (!HHMM.test(w.from)) add(`windows[${i}].from`, 'write the time as HH:MM, 00:00 to 23:59');
    if (!HHMM.test(w.to)) add(`windows[${i}].to`, 'write the time as HH:MM, 00:00 to 23:59');
    if (!validZone(w.timeZone))
      add(`windows[${i}].timeZone`, `unknown time zone; use an IANA name such as Asia/Shanghai`);
    if (!w.days.length) add(`windows[${i}].days`, 'list at least one weekday, 0 = Sunday … 6 = Saturday');
  });
  if (!input.steps.length) add('steps', 'add a step with at least one channel');
  input.steps.forEach((s, i) => {
    if (i === 0 && s.afterMinutes !== 0)
      add('steps[0].afterMinutes', 'the first step notifies at once: use 0');
    if (i > 0 && s.afterMinutes <= input.steps[i - 1]!.afterMinutes)
      add(`steps[${i}].afterMinutes`, 'each escalation step must come later than the one before');
    if (!s.channelIds.length) add(`steps[${i}].channelIds`, 'pick at least one channel');
    s.channelIds.forEach((id, j) => {
      if (!channelIds.has(id)) add(`steps[${i}].channelIds[${j}]`, `no channel ${id}`);
    });
  });
  if (input.groupIntervalSeconds <= 0) add('groupIntervalSeconds', 'must be more than 0');
  if (input.repeatIntervalSeconds < input.groupIntervalSeconds)
    add('repeatIntervalSeconds', 'must be at least groupIntervalSeconds');
  return problems;
}

const specOf = (r: RuleInput): string =>
  JSON.stringify({
    matchers: r.matchers,
    severities: r.severities,
    windows: r.windows,
    groupBy: r.groupBy,
    groupWaitSeconds: r.groupWaitSeconds,
    groupIntervalSeconds: r.groupIntervalSeconds,
    repeatIntervalSeconds: r.repeatIntervalSeconds,
    steps: r.steps,
  } satisfies Spec);

/** Notification rules; the router reads the enabled ones. */
export class RuleStore {
  constructor(private readonly db: Db) {}

  private async checked(input: RuleInput): Promise<RuleInput> {
    const ids = [...new Set(input.steps.flatMap((s) => s.channelIds))];
    const known = rowsOf<{ id: string }>(
      await this.db.execute(
        sql`SELECT id::text FROM notify_channels WHERE id::text = ANY(${pgArray(ids)}::text[])`,
      ),
    );
    const problems = ruleProblems(input, new Set(known.map((k) => k.id)));
    if (problems.length) throw badRequest(`rule ${input.name} is not usable`, problems);
    return { ...input, templateId: await knownTemplate(this.db, input.templateId) };
  }

  async list(): Promise<Rule[]> {
    return rowsOf<Row>(await this.db.execute(sql`SELECT * FROM notify_rules ORDER BY name`)).map(toRule);
  }

  async enabled(): Promise<LoadedRule[]> {
    return rowsOf<Row>(await this.db.execute(sql`SELECT * FROM notify_rules WHERE enabled ORDER BY name`))
      .map(toRule)
      .map((r) => ({ ...r, parsed: r.matchers.map(parseMatcher) }));
  }

  async get(id: string): Promise<Rule> {
    const [row] = rowsOf<Row>(await this.db.execute(sql`SELECT * FROM notify_rules WHERE id = ${id}::uuid`));
    if (!row) throw notFound(`no rule ${id}`);
    return toRule(row);
  }

  async create(input: RuleInput, actor: string): Promise<Rule> {
    const r = await this.checked(input);
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`
        INSERT INTO notify_rules (name, enabled, spec, template_id, created_by)
        VALUES (${r.name}, ${r.enabled}, ${specOf(r)}::jsonb, ${r.templateId}::uuid, ${actor})
        ON CONFLICT (name) DO NOTHING RETURNING *`),
    );
    if (!row) throw conflict(`a rule named ${input.name} exists already`);
    return toRule(row);
  }

  async replace(id: string, input: RuleInput) {
    const before = await this.get(id);
    const r = await this.checked(input);
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`
        UPDATE notify_rules SET name = ${r.name}, enabled = ${r.enabled}, spec = ${specOf(r)}::jsonb,
          template_id = ${r.templateId}::uuid, updated_at = now()
        WHERE id = ${id}::uuid RETURNING *`),
    );
    return { before, after: toRule(row!) };
  }

  async remove(id: string): Promise<Rule> {
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`DELETE FROM notify_rules WHERE id = ${id}::uuid RETURNING *`),
    );
    if (!row) throw notFound(`no rule ${id}`);
    return toRule(row);
  }
}
