import { lineDiff, unifiedDiff } from '@opsfleet/core';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import type { Audit } from '../release/service.ts';
import type { GroupContent } from './store.ts';
import {
  type SyncTargetRow,
  type SyncTargetWrite,
  syncStore as store,
  type VersionRow,
} from './sync-store.ts';
import { alertmanagerConfig, type DesiredConfig, rulesConfig } from './target-config.ts';

const parsed = <T>(v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
const field = (path: string, message: string) => badRequest(`${path}: ${message}`, [{ path, message }]);

export const syncTargetView = (r: SyncTargetRow) => {
  const desired = r.pinned_version ?? r.latest_version;
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    agentId: r.agent_id,
    datasourceId: r.datasource_id,
    baseConfig: r.base_config,
    webhookUrl: r.webhook_url,
    passwordFile: r.password_file,
    latestVersion: r.latest_version,
    pinnedVersion: r.pinned_version,
    desiredVersion: desired,
    appliedVersion: r.applied_version,
    inSync: desired !== null && r.applied_version === desired,
    lastAttemptAt: iso(r.last_attempt_at),
    lastError: r.last_error,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
};

/** Two configurations' files as one diff, a `--- name` header before each file that changed. */
export function filesDiff(before: Record<string, string>, after: Record<string, string>): string {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .map((name) => {
      const d = unifiedDiff(lineDiff(before[name] ?? '', after[name] ?? ''));
      return d
        ? `--- ${name}${name in before ? '' : ' (new)'}${name in after ? '' : ' (removed)'}\n${d}`
        : '';
    })
    .join('');
}

/**
 * Config sync targets: the peers whose configuration opsfleet renders. A target's versions are
 * the distinct configurations it was given (added only when the hash changes, after any rule
 * group of its data source or its own settings change); its desired version is the pinned one,
 * else the newest. The ConfigAgent on its host applies it and reports back (issue 16 §4).
 */
export class SyncService {
  constructor(
    private readonly db: Db,
    private readonly audit: Audit,
  ) {}

  private async row(id: string): Promise<SyncTargetRow> {
    const r = await store.get(this.db, id);
    if (!r) throw notFound(`no sync target ${id}`);
    return r;
  }

  private async check(t: SyncTargetWrite): Promise<void> {
    if (t.agentId) {
      const known = rowsOf(
        await this.db.execute(sql`SELECT 1 FROM agents WHERE id = ${t.agentId}::uuid`),
      ).length;
      if (!known)
        throw field('body.agent_id', 'no such agent (GET /api/v1/agents): the ConfigAgent that applies it');
    }
    if (t.kind === 'alertmanager') {
      if (!/^https?:\/\//.test(t.webhookUrl))
        throw field(
          'body.webhook_url',
          "the server's URL as Alertmanager reaches it, e.g. http://opsfleet:8080/api/v1/webhooks/alertmanager",
        );
      if (!t.passwordFile.startsWith('/'))
        throw field(
          'body.password_file',
          'an absolute path on the Alertmanager host, where the ConfigAgent writes the ingest key',
        );
      const merged = alertmanagerConfig(t.baseConfig, t);
      if (!merged.ok) throw field('body.base_config', merged.problem);
    } else if (!t.datasourceId)
      throw field('body.datasource_id', `a ${t.kind} target takes the rule groups of a data source`);
  }

  /** What the target should load now. */
  private async desired(r: SyncTargetRow): Promise<DesiredConfig> {
    if (r.kind === 'alertmanager') {
      const merged = alertmanagerConfig(r.base_config, {
        webhookUrl: r.webhook_url,
        passwordFile: r.password_file,
      });
      if (!merged.ok) throw conflict(`sync target ${r.name}: ${merged.problem}`);
      return merged.config;
    }
    const groups = r.datasource_id ? await store.groupsOf(this.db, r.datasource_id) : [];
    return rulesConfig(
      r.kind,
      groups.map((g) => parsed<GroupContent>(g)),
    );
  }

  /** Adds a version when the desired configuration's hash differs from the newest one's; answers its number. */
  async refresh(id: string): Promise<{ version: number; created: boolean }> {
    const r = await this.row(id);
    const want = await this.desired(r);
    return this.db.transaction(async (tx) => {
      const locked = (await store.get(tx, id, true))!;
      const latest = locked.latest_version ? await store.version(tx, id, locked.latest_version) : undefined;
      if (latest?.hash === want.hash) return { version: latest.version, created: false };
      const version = (locked.latest_version ?? 0) + 1;
      await store.addVersion(tx, id, version, want.hash, want.files);
      return { version, created: true };
    });
  }

  /** After rule groups of a data source changed: refreshes the targets that take them. */
  async refreshDatasource(datasourceId: string | null): Promise<void> {
    for (const id of await store.byDatasource(this.db, datasourceId)) await this.refresh(id);
  }

  async list() {
    return (await store.list(this.db)).map(syncTargetView);
  }

  async get(id: string) {
    return syncTargetView(await this.row(id));
  }

  async create(actor: string, t: SyncTargetWrite) {
    await this.check(t);
    const id = await store.insert(this.db, t);
    await this.refresh(id);
    await this.audit(actor, 'synctarget.create', `synctarget:${id}`, undefined, {
      name: t.name,
      kind: t.kind,
    });
    return this.get(id);
  }

  async update(actor: string, id: string, t: SyncTargetWrite) {
    await this.row(id);
    await this.check(t);
    await store.update(this.db, id, t);
    await this.refresh(id);
    await this.audit(actor, 'synctarget.update', `synctarget:${id}`, undefined, {
      name: t.name,
      kind: t.kind,
    });
    return this.get(id);
  }

  async remove(actor: string, id: string) {
    const before = await this.row(id);
    await store.remove(this.db, id);
    await this.audit(actor, 'synctarget.delete', `synctarget:${id}`, { name: before.name });
  }

  async versions(id: string) {
    await this.row(id);
    return (await store.versions(this.db, id)).map((v) => ({
      version: v.version,
      hash: v.hash,
      files: Object.keys(parsed<Record<string, string>>(v.files)),
      createdAt: iso(v.created_at)!,
    }));
  }

  private async versionRow(id: string, version: number): Promise<VersionRow> {
    const v = await store.version(this.db, id, version);
    if (!v) throw notFound(`sync target ${id} has no version ${version}`);
    return v;
  }

  async version(id: string, version: number) {
    const v = await this.versionRow(id, version);
    return {
      version: v.version,
      hash: v.hash,
      files: parsed<Record<string, string>>(v.files),
      createdAt: iso(v.created_at)!,
    };
  }

  async diff(id: string, from: number, to: number) {
    const [a, b] = [await this.versionRow(id, from), await this.versionRow(id, to)];
    return { from, to, diff: filesDiff(parsed(a.files), parsed(b.files)) };
  }

  /** What a sync would change on the peer now: its applied version against what it should load now. */
  async dryRun(id: string) {
    const r = await this.row(id);
    const applied = r.applied_version
      ? parsed<Record<string, string>>((await this.versionRow(id, r.applied_version)).files)
      : {};
    const pinned = r.pinned_version
      ? parsed<Record<string, string>>((await this.versionRow(id, r.pinned_version)).files)
      : undefined;
    const want = pinned ?? (await this.desired(r)).files;
    const diff = filesDiff(applied, want);
    return { appliedVersion: r.applied_version, changed: diff !== '', diff };
  }

  /** Pins a version (a rollback: the target is to load that one until unpinned), or unpins with null. */
  async pin(actor: string, id: string, version: number | null) {
    await this.row(id);
    if (version !== null) await this.versionRow(id, version);
    await store.pin(this.db, id, version);
    await this.audit(
      actor,
      version === null ? 'synctarget.unpin' : 'synctarget.pin',
      `synctarget:${id}`,
      undefined,
      { version },
    );
    return this.get(id);
  }
}
