import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import type { Outbound } from '../http/outbound.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import type { SecretBox } from '../identity/secret-box.ts';
import { CHANNELS } from './channels/index.ts';
import { maskConfig, splitSecrets, unmask } from './secrets.ts';

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
  /** The configuration with its secrets masked: what a database reader sees. */
  config: Record<string, unknown> | string;
  /** The secret fields, sealed (secrets.ts); null in rows written before 0011 until the start-up pass. */
  secrets: string | null;
  template_id: string | null;
  created_by: string;
  created_at: string | Date;
  updated_at: string | Date;
}

/** A row's whole configuration: the readable part with the sealed secrets opened over it. */
export function openConfig(
  box: SecretBox,
  r: { id: string; config: Record<string, unknown> | string; secrets: string | null },
): Record<string, unknown> {
  const config = typeof r.config === 'string' ? JSON.parse(r.config) : r.config;
  if (!r.secrets) return config;
  const { channel, values } = JSON.parse(box.open(r.secrets)) as { channel: string; values: object };
  // Sealed with the channel's id inside: secrets copied onto another row in the database do not open.
  if (channel !== r.id) throw new Error(`the sealed secrets of channel ${r.id} belong to another channel`);
  return { ...config, ...values };
}

function sealed(box: SecretBox, id: string, config: Record<string, unknown>) {
  const { shown, secret } = splitSecrets(config);
  return {
    config: JSON.stringify(shown),
    secrets: box.seal(JSON.stringify({ channel: id, values: secret })),
  };
}

const toChannel = (box: SecretBox, r: Row): StoredChannel => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  config: openConfig(box, r),
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

function checked(kind: string, config: Record<string, unknown>, net: Outbound) {
  const problems = channelKind(kind).check(config);
  // An address literal the policy refuses is refused now rather than at the first alert.
  for (const field of ['url', 'host'] as const) {
    const value = config[field];
    if (typeof value !== 'string' || problems.some((p) => p.path === field)) continue;
    const why = net.hostRefusal(field === 'url' ? new URL(value).hostname : value);
    if (why) problems.push({ path: field, message: why });
  }
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
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly net: Outbound,
  ) {}

  static masked(c: StoredChannel): StoredChannel {
    return { ...c, config: maskConfig(c.config) };
  }

  async create(
    input: { name: string; kind: string; config: Record<string, unknown>; templateId?: string | null },
    actor: string,
  ) {
    const config = checked(input.kind, input.config, this.net);
    const templateId = await knownTemplate(this.db, input.templateId);
    // The id is made here because the sealed secrets are bound to it.
    const id = randomUUID();
    const row = sealed(this.box, id, config);
    const rows = rowsOf<Row>(
      await this.db.execute(sql`
        INSERT INTO notify_channels (id, name, kind, config, secrets, template_id, created_by)
        VALUES (${id}::uuid, ${input.name}, ${input.kind}, ${row.config}::jsonb, ${row.secrets}, ${templateId}::uuid, ${actor})
        ON CONFLICT (name) DO NOTHING RETURNING *`),
    );
    if (!rows[0]) throw conflict(`a channel named ${input.name} exists already`);
    return toChannel(this.box, rows[0]);
  }

  async get(id: string): Promise<StoredChannel> {
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`SELECT * FROM notify_channels WHERE id = ${id}::uuid`),
    );
    if (!row) throw notFound(`no channel ${id}`);
    return toChannel(this.box, row);
  }

  async list(): Promise<StoredChannel[]> {
    return rowsOf<Row>(await this.db.execute(sql`SELECT * FROM notify_channels ORDER BY name`)).map((r) =>
      toChannel(this.box, r),
    );
  }

  /** Replaces the configuration; masked values sent back keep what is stored. */
  async update(
    id: string,
    change: { name?: string; config?: Record<string, unknown>; templateId?: string | null },
  ) {
    const before = await this.get(id);
    const config = change.config
      ? checked(before.kind, unmask(change.config, before.config), this.net)
      : before.config;
    const templateId =
      change.templateId === undefined ? before.templateId : await knownTemplate(this.db, change.templateId);
    const s = sealed(this.box, id, config);
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`
        UPDATE notify_channels SET name = ${change.name ?? before.name}, config = ${s.config}::jsonb,
          secrets = ${s.secrets}, template_id = ${templateId}::uuid, updated_at = now()
        WHERE id = ${id}::uuid RETURNING *`),
    );
    return { before, after: toChannel(this.box, row!) };
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
    return toChannel(this.box, row);
  }

  /**
   * Seals, with the current key, every channel whose secrets are in clear (rows older than
   * migration 0011) or sealed with another key: key rotation's second half, run at each start.
   * Throws, naming the channels, when a row's key is missing, so a server without the right key
   * does not start and quietly fail every notification.
   */
  async reseal(): Promise<{ resealed: number }> {
    const stale = rowsOf<Row>(
      await this.db.execute(sql`
        SELECT id, config, secrets FROM notify_channels
        WHERE secrets IS NULL OR secrets NOT LIKE ${`v1.${this.box.keyId}.%`}`),
    );
    const unreadable: string[] = [];
    for (const r of stale) {
      let config: Record<string, unknown>;
      try {
        config = openConfig(this.box, r);
      } catch (err) {
        unreadable.push(`${r.id}: ${(err as Error).message}`);
        continue;
      }
      const s = sealed(this.box, r.id, config);
      // Only if nobody changed the row meanwhile (another replica resealing, an edit).
      await this.db.execute(sql`
        UPDATE notify_channels SET config = ${s.config}::jsonb, secrets = ${s.secrets}
        WHERE id = ${r.id}::uuid AND secrets IS NOT DISTINCT FROM ${r.secrets}`);
    }
    if (unreadable.length)
      throw new Error(`channel secrets cannot be opened: channel ${unreadable.join('; channel ')}`);
    return { resealed: stale.length };
  }
}
