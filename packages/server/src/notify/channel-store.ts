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
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown> | string;
  created_by: string;
  created_at: string | Date;
  updated_at: string | Date;
}

const toChannel = (r: Row): StoredChannel => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  config: typeof r.config === 'string' ? JSON.parse(r.config) : r.config,
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

/** Notification channels; answers carry configurations with their secrets masked. */
export class ChannelStore {
  constructor(private readonly db: Db) {}

  static masked(c: StoredChannel): StoredChannel {
    return { ...c, config: maskConfig(c.config) };
  }

  async create(input: { name: string; kind: string; config: Record<string, unknown> }, actor: string) {
    const config = checked(input.kind, input.config);
    const rows = rowsOf<Row>(
      await this.db.execute(sql`
        INSERT INTO notify_channels (name, kind, config, created_by) VALUES (${input.name}, ${input.kind}, ${JSON.stringify(config)}::jsonb, ${actor})
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
  async update(id: string, change: { name?: string; config?: Record<string, unknown> }) {
    const before = await this.get(id);
    const config = change.config ? checked(before.kind, unmask(change.config, before.config)) : before.config;
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`
        UPDATE notify_channels SET name = ${change.name ?? before.name}, config = ${JSON.stringify(config)}::jsonb, updated_at = now()
        WHERE id = ${id}::uuid RETURNING *`),
    );
    return { before, after: toChannel(row!) };
  }

  async remove(id: string): Promise<StoredChannel> {
    const [row] = rowsOf<Row>(
      await this.db.execute(sql`DELETE FROM notify_channels WHERE id = ${id}::uuid RETURNING *`),
    );
    if (!row) throw notFound(`no channel ${id}`);
    return toChannel(row);
  }
}
