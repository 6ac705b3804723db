import { lineDiff, unifiedDiff } from '@opsfleet/core';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { CommandService } from '../commands/service.ts';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { loggableError } from '../http/log-error.ts';
import { badRequest, conflict, notFound, Problem } from '../http/problem.ts';
import type { SecretBox } from '../identity/secret-box.ts';
import type { IdentityService } from '../identity/service.ts';
import type { Audit } from '../release/service.ts';
import type { GroupContent } from './store.ts';
import { type GenericReport, nextStreak, syncReport } from './sync-alert.ts';
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

const desiredOf = (r: SyncTargetRow) => r.pinned_version ?? r.latest_version;

/** The people-facing view: whether an ingest key exists, never the key. */
export const syncTargetView = (r: SyncTargetRow) => {
  const desired = desiredOf(r);
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    agentId: r.agent_id,
    datasourceId: r.datasource_id,
    baseConfig: r.base_config,
    webhookUrl: r.webhook_url,
    passwordFile: r.password_file,
    hasIngestKey: r.sealed_ingest_key !== null,
    latestVersion: r.latest_version,
    pinnedVersion: r.pinned_version,
    desiredVersion: desired,
    appliedVersion: r.applied_version,
    inSync: desired !== null && r.applied_version === desired,
    lastAttemptAt: iso(r.last_attempt_at),
    lastError: r.last_error,
    peer: r.peer_health ? { ...parsed<PeerHealth>(r.peer_health), checkedAt: iso(r.peer_checked_at)! } : null,
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

/** What config sync uses of the rest of the server. */
export interface SyncDeps {
  /** Seals Alertmanager targets' ingest keys. */
  box: SecretBox;
  /** Mints and revokes those keys. */
  keys: Pick<IdentityService, 'createApiKey' | 'revokeApiKey'>;
  /** Tells a ConfigAgent that a target's desired version changed. */
  commands: Pick<CommandService, 'create'>;
  /** Raises (or resolves) an alert in the alert center. */
  raise: (report: GenericReport) => Promise<void>;
  log: Pick<Logger, 'warn'>;
}

/** The command a ConfigAgent gets when one of its targets has a new desired version. */
export const SYNC_COMMAND = 'config.sync';
const SYNC_COMMAND_TIMEOUT_MS = 5 * 60_000;

/** What a ConfigAgent reports after applying (or failing to apply) a target's configuration. */
/** What the ConfigAgent sees of the peer: whether its /metrics answers, and its own last reload verdict. */
export interface PeerHealth {
  up: boolean;
  reloadSuccessful: boolean | null;
  error?: string;
}

export interface SyncStatus {
  appliedVersion: number | null;
  attemptedVersion: number | null;
  ok: boolean;
  error?: string;
  peer?: PeerHealth;
}

/**
 * Config sync targets: the peers whose configuration opsfleet renders. A target's versions are
 * the distinct configurations it was given (added only when the hash changes, after any rule
 * group of its data source or its own settings change); its desired version is the pinned one,
 * else the newest. The ConfigAgent on its host is told of a new desired version by a command,
 * and polls too; it fetches the desired version, applies it and reports back (issue 16 §4).
 */
export class SyncService {
  constructor(
    private readonly db: Db,
    private readonly audit: Audit,
    private readonly deps: SyncDeps,
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
    for (const id of await store.byDatasource(this.db, datasourceId)) {
      const before = await store.get(this.db, id);
      await this.refresh(id);
      await this.announce(id, before);
    }
  }

  /**
   * Queues `config.sync` for the target's agent when what it should load changed since `before`
   * (or it has a new agent). The agent polls as well, so a command that cannot be queued (the
   * agent was deleted) is logged and fails nothing.
   */
  private async announce(id: string, before: SyncTargetRow | undefined): Promise<void> {
    const r = await store.get(this.db, id);
    if (!r?.agent_id || desiredOf(r) === null) return;
    if (before && before.agent_id === r.agent_id && desiredOf(before) === desiredOf(r)) return;
    try {
      await this.deps.commands.create(`synctarget:${r.name}`, {
        agentId: r.agent_id,
        kind: SYNC_COMMAND,
        payload: { targetId: id },
        timeoutMs: SYNC_COMMAND_TIMEOUT_MS,
      });
    } catch (err) {
      this.deps.log.warn(
        { err: loggableError(err), target: r.name, agent: r.agent_id },
        'config.sync command not queued; the agent finds the new version when it polls',
      );
    }
  }

  private sealKey(id: string, key: string): string {
    return this.deps.box.seal(JSON.stringify({ synctarget: id, key }));
  }

  private ingestKey(r: SyncTargetRow): string | null {
    if (!r.sealed_ingest_key) return null;
    const { synctarget, key } = JSON.parse(this.deps.box.open(r.sealed_ingest_key)) as {
      synctarget: string;
      key: string;
    };
    if (synctarget !== r.id)
      throw new Error(`the sealed ingest key of sync target ${r.id} belongs to another one`);
    return key;
  }

  /**
   * An Alertmanager target gets an API key of role ingest for its webhook (kept sealed, handed
   * only to its agent), a new one when its key was revoked by hand; a target that is no longer
   * one has its key revoked.
   */
  private async keepIngestKey(actor: string, id: string): Promise<void> {
    const r = await this.row(id);
    const live = r.ingest_key_id !== null && (await store.keyActive(this.db, r.ingest_key_id));
    if (r.kind === 'alertmanager' && !live) {
      const k = await this.deps.keys.createApiKey(actor, `sync-target:${r.name}`, 'ingest');
      await store.setIngestKey(this.db, id, { id: k.id, sealed: this.sealKey(id, k.key) });
    } else if (r.kind !== 'alertmanager' && r.ingest_key_id) {
      await store.setIngestKey(this.db, id, null);
      await this.revokeKey(actor, r.ingest_key_id);
    }
  }

  /** An admin may have revoked it by hand already. */
  private async revokeKey(actor: string, keyId: string): Promise<void> {
    try {
      await this.deps.keys.revokeApiKey(actor, keyId);
    } catch (err) {
      if (!(err instanceof Problem && err.status === 404)) throw err;
    }
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
    await this.keepIngestKey(actor, id);
    await this.audit(actor, 'synctarget.create', `synctarget:${id}`, undefined, {
      name: t.name,
      kind: t.kind,
    });
    await this.announce(id, undefined);
    return this.get(id);
  }

  async update(actor: string, id: string, t: SyncTargetWrite) {
    const before = await this.row(id);
    await this.check(t);
    await store.update(this.db, id, t);
    await this.refresh(id);
    await this.keepIngestKey(actor, id);
    await this.audit(actor, 'synctarget.update', `synctarget:${id}`, undefined, {
      name: t.name,
      kind: t.kind,
    });
    await this.announce(id, before);
    return this.get(id);
  }

  async remove(actor: string, id: string) {
    const before = await this.row(id);
    await store.remove(this.db, id);
    if (before.ingest_key_id) await this.revokeKey(actor, before.ingest_key_id);
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
    const before = await this.row(id);
    if (version !== null) await this.versionRow(id, version);
    await store.pin(this.db, id, version);
    await this.audit(
      actor,
      version === null ? 'synctarget.unpin' : 'synctarget.pin',
      `synctarget:${id}`,
      undefined,
      { version },
    );
    await this.announce(id, before);
    return this.get(id);
  }

  /**
   * What a ConfigAgent is to load: each of its targets that has a desired version, with that
   * version's files; an Alertmanager target's also with its ingest key and where to write it.
   */
  async agentTargets(agentId: string) {
    const items = [];
    for (const r of await store.ofAgent(this.db, agentId)) {
      const desired = desiredOf(r);
      if (desired === null) continue;
      const v = await this.versionRow(r.id, desired);
      const am = r.kind === 'alertmanager';
      items.push({
        id: r.id,
        name: r.name,
        kind: r.kind,
        version: v.version,
        hash: v.hash,
        files: parsed<Record<string, string>>(v.files),
        passwordFile: am ? r.password_file : null,
        ingestKey: am ? this.ingestKey(r) : null,
      });
    }
    return { items };
  }

  /**
   * A ConfigAgent's report on one of its targets: the version now loaded (null when it could
   * not tell), and whether the attempt worked. A failure raises an alert, a success after
   * failures resolves it (see sync-alert.ts).
   */
  async report(
    agent: { id: string; actor: string },
    id: string,
    s: SyncStatus,
  ): Promise<{ inSync: boolean }> {
    const mine = (r: SyncTargetRow | undefined): SyncTargetRow => {
      if (!r || r.agent_id !== agent.id) throw notFound(`no sync target ${id} for this agent`);
      return r;
    };
    const r = mine(await store.get(this.db, id));
    if (s.appliedVersion !== null && !(await store.version(this.db, id, s.appliedVersion)))
      throw field('body.appliedVersion', `sync target ${r.name} has no version ${s.appliedVersion}`);
    const error = s.ok ? null : s.error?.trim() || 'the agent reported a failure without a message';
    const now = new Date();
    const { before, after, streak } = await this.db.transaction(async (tx) => {
      // Read again under the lock: two reports at once must not both start a streak.
      const locked = mine(await store.get(tx, id, true));
      const since = locked.failing_since === null ? null : new Date(locked.failing_since);
      const streak = nextStreak(since, s.ok, now);
      await store.report(tx, id, {
        appliedVersion: s.appliedVersion,
        error,
        failingSince: streak.failingSince,
        ...(s.peer ? { peer: s.peer } : {}),
      });
      return { before: { since, error: locked.last_error }, after: (await store.get(tx, id))!, streak };
    });
    if (streak.report) {
      const target = {
        name: r.name,
        kind: r.kind,
        agent: (await store.agentName(this.db, agent.id)) ?? agent.actor,
      };
      const report =
        streak.report === 'firing'
          ? syncReport(target, error!, streak.failingSince!)
          : syncReport(target, before.error ?? '', before.since!, now);
      await this.deps
        .raise(report)
        .catch((err) =>
          this.deps.log.warn(
            { err: loggableError(err), target: r.name },
            `${report.status === 'firing' ? 'raising' : 'resolving'} the config sync alert failed`,
          ),
        );
    }
    const desired = desiredOf(after);
    return { inSync: desired !== null && after.applied_version === desired };
  }
}
