import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';

type Tx = Pick<Db, 'execute'>;

export const TARGET_KINDS = ['prometheus', 'vmalert', 'alertmanager'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface SyncTargetRow {
  id: string;
  name: string;
  kind: TargetKind;
  agent_id: string | null;
  datasource_id: string | null;
  base_config: string;
  webhook_url: string;
  password_file: string;
  pinned_version: number | null;
  applied_version: number | null;
  last_attempt_at: string | Date | null;
  last_error: string | null;
  ingest_key_id: string | null;
  sealed_ingest_key: string | null;
  failing_since: string | Date | null;
  peer_health: unknown;
  peer_checked_at: string | Date | null;
  latest_version: number | null;
  created_at: string | Date;
  updated_at: string | Date;
}

export interface SyncTargetWrite {
  name: string;
  kind: TargetKind;
  agentId: string | null;
  datasourceId: string | null;
  baseConfig: string;
  webhookUrl: string;
  passwordFile: string;
}

export interface VersionRow {
  version: number;
  hash: string;
  files: unknown;
  created_at: string | Date;
}

const COLUMNS = sql`t.id, t.name, t.kind, t.agent_id, t.datasource_id, t.base_config, t.webhook_url, t.password_file,
  t.pinned_version,
  t.applied_version, t.last_attempt_at, t.last_error, t.ingest_key_id, t.sealed_ingest_key, t.failing_since, t.peer_health, t.peer_checked_at,
  t.created_at, t.updated_at,
  (SELECT max(version) FROM sync_target_versions v WHERE v.target_id = t.id) AS latest_version`;

export const syncStore = {
  async list(db: Tx): Promise<SyncTargetRow[]> {
    return rowsOf(await db.execute(sql`SELECT ${COLUMNS} FROM sync_targets t ORDER BY t.name`));
  },

  /** The targets a ConfigAgent applies. */
  async ofAgent(db: Tx, agentId: string): Promise<SyncTargetRow[]> {
    return rowsOf(
      await db.execute(
        sql`SELECT ${COLUMNS} FROM sync_targets t WHERE t.agent_id = ${agentId}::uuid ORDER BY t.name`,
      ),
    );
  },

  async agentName(db: Tx, agentId: string): Promise<string | undefined> {
    return rowsOf<{ name: string }>(
      await db.execute(sql`SELECT name FROM agents WHERE id = ${agentId}::uuid`),
    )[0]?.name;
  },

  async get(db: Tx, id: string, lock = false): Promise<SyncTargetRow | undefined> {
    return rowsOf<SyncTargetRow>(
      await db.execute(
        sql`SELECT ${COLUMNS} FROM sync_targets t WHERE t.id = ${id}::uuid ${lock ? sql`FOR UPDATE OF t` : sql``}`,
      ),
    )[0];
  },

  async insert(db: Tx, t: SyncTargetWrite): Promise<string> {
    return rowsOf<{ id: string }>(
      await db.execute(sql`
        INSERT INTO sync_targets (name, kind, agent_id, datasource_id, base_config, webhook_url, password_file)
        VALUES (${t.name}, ${t.kind}, ${t.agentId}::uuid, ${t.datasourceId}::uuid, ${t.baseConfig}, ${t.webhookUrl},
          ${t.passwordFile})
        RETURNING id`),
    )[0]!.id;
  },

  async update(db: Tx, id: string, t: SyncTargetWrite): Promise<void> {
    await db.execute(sql`
      UPDATE sync_targets SET name = ${t.name}, kind = ${t.kind}, agent_id = ${t.agentId}::uuid,
        datasource_id = ${t.datasourceId}::uuid, base_config = ${t.baseConfig}, webhook_url = ${t.webhookUrl},
        password_file = ${t.passwordFile},
        updated_at = now()
      WHERE id = ${id}::uuid`);
  },

  async remove(db: Tx, id: string): Promise<boolean> {
    return (
      rowsOf(await db.execute(sql`DELETE FROM sync_targets WHERE id = ${id}::uuid RETURNING id`)).length > 0
    );
  },

  async pin(db: Tx, id: string, version: number | null): Promise<void> {
    await db.execute(
      sql`UPDATE sync_targets SET pinned_version = ${version}, updated_at = now() WHERE id = ${id}::uuid`,
    );
  },

  /** False once the key was revoked (by hand: the target then gets a new one at its next save). */
  async keyActive(db: Tx, keyId: string): Promise<boolean> {
    return (
      rowsOf(await db.execute(sql`SELECT 1 FROM api_keys WHERE id = ${keyId}::uuid AND revoked_at IS NULL`))
        .length > 0
    );
  },

  async setIngestKey(db: Tx, id: string, key: { id: string; sealed: string } | null): Promise<void> {
    await db.execute(sql`
      UPDATE sync_targets SET ingest_key_id = ${key?.id ?? null}::uuid, sealed_ingest_key = ${key?.sealed ?? null}
      WHERE id = ${id}::uuid`);
  },

  /** A ConfigAgent's report of one attempt; `failingSince` is null after a success. */
  async report(
    tx: Tx,
    id: string,
    r: { appliedVersion: number | null; error: string | null; failingSince: Date | null; peer?: object },
  ): Promise<void> {
    const peer = r.peer ? JSON.stringify(r.peer) : null;
    await tx.execute(sql`
      UPDATE sync_targets SET applied_version = COALESCE(${r.appliedVersion}::integer, applied_version),
        last_attempt_at = now(), last_error = ${r.error},
        failing_since = ${r.failingSince?.toISOString() ?? null}::timestamptz,
        peer_health = COALESCE(${peer}::jsonb, peer_health),
        peer_checked_at = CASE WHEN ${peer}::jsonb IS NULL THEN peer_checked_at ELSE now() END
      WHERE id = ${id}::uuid`);
  },

  async versions(db: Tx, id: string): Promise<VersionRow[]> {
    return rowsOf(
      await db.execute(sql`
        SELECT version, hash, files, created_at FROM sync_target_versions WHERE target_id = ${id}::uuid
        ORDER BY version DESC`),
    );
  },

  async version(db: Tx, id: string, version: number): Promise<VersionRow | undefined> {
    return rowsOf<VersionRow>(
      await db.execute(sql`
        SELECT version, hash, files, created_at FROM sync_target_versions
        WHERE target_id = ${id}::uuid AND version = ${version}`),
    )[0];
  },

  async addVersion(
    tx: Tx,
    id: string,
    version: number,
    hash: string,
    files: Record<string, string>,
  ): Promise<void> {
    await tx.execute(sql`
      INSERT INTO sync_target_versions (target_id, version, hash, files)
      VALUES (${id}::uuid, ${version}, ${hash}, ${JSON.stringify(files)}::jsonb)`);
  },

  /** The targets whose rules come from this data source (a rule group changed). */
  async byDatasource(db: Tx, datasourceId: string | null): Promise<string[]> {
    if (!datasourceId) return [];
    return rowsOf<{ id: string }>(
      await db.execute(sql`SELECT id FROM sync_targets WHERE datasource_id = ${datasourceId}::uuid`),
    ).map((r) => r.id);
  },

  /** The current content of every rule group of a data source. */
  async groupsOf(db: Tx, datasourceId: string): Promise<unknown[]> {
    return rowsOf<{ content: unknown }>(
      await db.execute(sql`
        SELECT r.content FROM rule_groups g JOIN rule_group_revisions r ON r.group_id = g.id AND r.revision = g.revision
        WHERE g.datasource_id = ${datasourceId}::uuid`),
    ).map((r) => r.content);
  },
};
