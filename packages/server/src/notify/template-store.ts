import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import { checkTemplate, fromMustache, type NotifyEvent, type Template } from './templates.ts';

/** A named set of templates overriding the defaults for some events; rules and channels pick one. */
export interface TemplateSet {
  id: string;
  name: string;
  templates: Partial<Record<NotifyEvent, Template>>;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  name: string;
  templates: TemplateSet['templates'] | string;
  syntax: string;
  created_by: string;
  created_at: string | Date;
  updated_at: string | Date;
}

/**
 * A stored set's templates in Liquid. Sets saved before the switch from Mustache (migration 0012
 * marks them) are converted as they are read, and stored in Liquid the next time they are saved.
 */
export function readStoredSet(
  stored: TemplateSet['templates'] | string,
  syntax: string,
): TemplateSet['templates'] {
  const templates: TemplateSet['templates'] = typeof stored === 'string' ? JSON.parse(stored) : stored;
  if (syntax !== 'mustache') return templates;
  return Object.fromEntries(Object.entries(templates).map(([event, t]) => [event, fromMustache(t)]));
}

const toSet = (r: Row): TemplateSet => ({
  id: r.id,
  name: r.name,
  templates: readStoredSet(r.templates, r.syntax),
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

function checked(templates: TemplateSet['templates']) {
  const problems = Object.entries(templates).flatMap(([event, t]) =>
    checkTemplate(t).map((p) => ({ path: `body.templates.${event}.${p.path}`, message: p.message })),
  );
  if (problems.length) throw badRequest('a template cannot be used', problems);
  return JSON.stringify(templates);
}

export class TemplateStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<TemplateSet[]> {
    return rowsOf<Row>(await this.db.execute(sql`SELECT * FROM notify_templates ORDER BY name`)).map(toSet);
  }

  async get(id: string): Promise<TemplateSet> {
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`SELECT * FROM notify_templates WHERE id = ${id}::uuid`),
    );
    if (!row) throw notFound(`no template set ${id}`);
    return toSet(row);
  }

  async create(input: Pick<TemplateSet, 'name' | 'templates'>, actor: string): Promise<TemplateSet> {
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`
        INSERT INTO notify_templates (name, templates, created_by) VALUES (${input.name}, ${checked(input.templates)}::jsonb, ${actor})
        ON CONFLICT (name) DO NOTHING RETURNING *`),
    );
    if (!row) throw conflict(`a template set named ${input.name} exists already`);
    return toSet(row);
  }

  async replace(id: string, input: Pick<TemplateSet, 'name' | 'templates'>) {
    const before = await this.get(id);
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`
        UPDATE notify_templates SET name = ${input.name}, templates = ${checked(input.templates)}::jsonb, syntax = 'liquid', updated_at = now()
        WHERE id = ${id}::uuid RETURNING *`),
    );
    return { before, after: toSet(row!) };
  }

  /** Refused while a rule or channel uses the set, so no notification loses its templates. */
  async remove(id: string): Promise<TemplateSet> {
    const set = await this.get(id);
    const [use] = rowsOf<{ what: string }>(
      await this.db.execute(sql`
        SELECT 'rule ' || name AS what FROM notify_rules WHERE template_id = ${id}::uuid
        UNION ALL SELECT 'channel ' || name FROM notify_channels WHERE template_id = ${id}::uuid LIMIT 1`),
    );
    if (use) throw conflict(`the ${use.what} uses template set ${set.name}; pick another set there first`);
    await this.db.execute(sql`DELETE FROM notify_templates WHERE id = ${id}::uuid`);
    return set;
  }
}
