import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import { CHANNELS } from './channels/index.ts';
import { maskConfig, unmask } from './secrets.ts';

export interface StoredChannel {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  /** The channel's template set; a rule's set wins over it. */
  templateId: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown> | string;
  template_id: string | null;
  created_by: string;
  created_at: string | Date;
  updated_at: string | Date;
}

const toChannel = (r: Row): StoredChannel => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  config: typeof r.config === 'string' ? JSON.parse(r.config) : r.config,
  templateId: r.template_id,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

/** The channel implementation of a kind, or a 400 naming the kinds on offer. */
export function channelKind(kind: string) {
  const channel = CHANNELS.find((c) => c.kind === kind);
  if (!channel)
    throw badRequest(`unknown channel kind ${kind}`, [
      { path: 'body.kind', message: `use one of ${CHANNELS.map((c) => c.kind).join(', ')}` },
    ]);
  return channel;
}

function checked(kind: string, config: Record<string, unknown>) {
  const problems = channelKind(kind).check(config);
  if (problems.length)
    throw badRequest(
      `the ${kind} configuration is not usable`,
      problems.map((p) => ({ path: `body.config.${p.path}`, message: p.message })),
    );
  return config;
}

/** The template set id when it exists (null stays null), or a 400 that names the field. */
export async function knownTemplate(db: Db, id: string | null | undefined): Promise<string | null> {
  if (!id) return null;
  const [row] = rowsOf(await db.execute(sql`SELECT 1 FROM notify_templates WHERE id = ${id}::uuid`));
  if (!row)
    throw badRequest(`no template set ${id}`, [
      { path: 'body.templateId', message: 'pick an existing template set or null' },
    ]);
  return id;
}

/** Notification channels; answers carry configurations with their secrets masked. */
export class ChannelStore {
  constructor(private readonly db: Db) {}

  static masked(c: StoredChannel): StoredChannel {
    return { ...c, config: maskConfig(c.config) };
  }

  async create(
    input: { name: string; kind: string; config: Record<string, unknown>; templateId?: string | null },
    actor: string,
  ) {
    const config = checked(input.kind, input.config);
    const templateId = await knownTemplate(this.db, input.templateId);
    const rows = rowsOf<Row>(
      await this.db.execute(sql`
        INSERT INTO notify_channels (name, kind, config, template_id, created_by)
        VALUES (${input.name}, ${input.kind}, ${JSON.stringify(config)}::jsonb, ${templateId}::uuid, ${actor})
        ON CONFLICT (name) DO NOTHING RETURNING *`),
    );
    if (!rows[0]) throw conflict(`a channel named ${input.name} exists already`);
    return toChannel(rows[0]);
  }

  async get(id: string): Promise<StoredChannel> {
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`SELECT * FROM notify_channels WHERE id = ${id}::uuid`),
    );
    if (!row) throw notFound(`no channel ${id}`);
    return toChannel(row);
  }

  async list(): Promise<StoredChannel[]> {
    return rowsOf<Row>(await this.db.execute(sql`SELECT * FROM notify_channels ORDER BY name`)).map(
      toChannel,
    );
  }

  /** Replaces the configuration; masked values sent back keep what is stored. */
  async update(
    id: string,
    change: { name?: string; config?: Record<string, unknown>; templateId?: string | null },
  ) {
    const before = await this.get(id);
    const config = change.config ? checked(before.kind, unmask(change.config, before.config)) : before.config;
    const templateId =
      change.templateId === undefined ? before.templateId : await knownTemplate(this.db, change.templateId);
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`
        UPDATE notify_channels SET name = ${change.name ?? before.name}, config = ${JSON.stringify(config)}::jsonb,
          template_id = ${templateId}::uuid, updated_at = now()
        WHERE id = ${id}::uuid RETURNING *`),
    );
    return { before, after: toChannel(row!) };
  }

  /** Refused while a rule sends to the channel, so no rule is left pointing nowhere. */
  async remove(id: string): Promise<StoredChannel> {
    const [user] = rowsOf<{ name: string }>(
      await this.db.execute(sql`
        SELECT name FROM notify_rules r, jsonb_array_elements(r.spec->'steps') s
        WHERE s->'channelIds' ? ${id} LIMIT 1`),
    );
    if (user) throw conflict(`rule ${user.name} sends to this channel; take it out of the rule first`);
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`DELETE FROM notify_channels WHERE id = ${id}::uuid RETURNING *`),
    );
    if (!row) throw notFound(`no channel ${id}`);
    return toChannel(row);
  }
}
