import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { type PageKey, timeKeyset } from '../http/list-query.ts';
import type { Strategy } from './plan.ts';
import type { InstallationState } from './select.ts';
import type { FailureStrategy, TargetState, TaskState } from './state.ts';

type Tx = Pick<Db, 'execute'>;
type Time = string | Date;

export interface ProjectRow {
  id: string;
  name: string;
  description: string;
  container_naming: unknown;
  created_at: Time;
  updated_at: Time;
}

export interface EnvironmentRow {
  id: string;
  project_id: string;
  name: string;
  release_window: unknown;
  approval_required: boolean;
  approvers: unknown;
  created_at: Time;
  updated_at: Time;
}

export interface TargetRow {
  id: string;
  project_id: string;
  environment_id: string;
  environment_name: string;
  agent_id: string;
  agent_name: string;
  labels: unknown;
  priority: number;
  created_at: Time;
}

export interface VersionRow {
  id: string;
  project_id: string;
  version: string;
  install_script: string;
  update_script: string;
  rollback_script: string;
  uninstall_script: string;
  artifact_url: string | null;
  artifact_sha256: string | null;
  process_config: unknown;
  status: 'draft' | 'active' | 'deprecated';
  created_at: Time;
  updated_at: Time;
}

export interface InstallationRow {
  target_id: string;
  project_id: string;
  environment_id: string;
  environment_name: string;
  agent_id: string;
  agent_name: string;
  version: string;
  state: InstallationState;
  previous_version: string | null;
  task_id: string | null;
  updated_at: Time;
}

export interface TaskRow {
  id: string;
  project_id: string;
  environment_id: string;
  environment_name: string;
  version_id: string;
  version: string;
  operation: string;
  auto_select_clients: boolean;
  source_version: string | null;
  strategy: unknown;
  failure_strategy: FailureStrategy;
  state: TaskState;
  scheduled_at: Time | null;
  approved_by: string | null;
  approved_at: Time | null;
  promoted_by: string | null;
  promoted_at: Time | null;
  created_by: string;
  created_at: Time;
  updated_at: Time;
  finished_at: Time | null;
  /** The environment's, read with the task: the runner and the view need it. */
  release_window: unknown;
}

export interface TaskTargetRow {
  task_id: string;
  target_id: string;
  agent_id: string;
  agent_name: string;
  batch: number;
  state: TargetState;
  command_id: string | null;
  error: string | null;
  started_at: Time | null;
  finished_at: Time | null;
}

const json = (v: unknown) => JSON.stringify(v ?? null);
const oldestFirst = (alias: string) =>
  timeKeyset(sql.raw(`${alias}.created_at`), sql.raw(`${alias}.id`), 'uuid', 'asc');
const PROJECTS = oldestFirst('p');
const TARGETS = oldestFirst('t');
const VERSIONS = oldestFirst('v');
const TASKS = timeKeyset(sql`k.created_at`, sql`k.id`, 'uuid', 'desc');
const INSTALLATIONS = TARGETS;

const TARGET_COLUMNS = sql`t.id, t.project_id, t.environment_id, e.name AS environment_name, t.agent_id,
  a.name AS agent_name, t.labels, t.priority, t.created_at`;
const TARGET_FROM = sql`release_targets t JOIN release_environments e ON e.id = t.environment_id
  JOIN agents a ON a.id = t.agent_id`;
const TASK_COLUMNS = sql`k.id, k.project_id, k.environment_id, e.name AS environment_name, k.version_id,
  v.version, k.operation, k.auto_select_clients, k.source_version, k.strategy, k.failure_strategy, k.state,
  k.scheduled_at, k.approved_by, k.approved_at, k.promoted_by, k.promoted_at, k.created_by, k.created_at,
  k.updated_at, k.finished_at, e.release_window`;
const TASK_FROM = sql`release_tasks k JOIN release_environments e ON e.id = k.environment_id
  JOIN release_versions v ON v.id = k.version_id`;

const sets = (fields: Record<string, SQL | undefined>): SQL =>
  sql.join(
    [
      ...Object.entries(fields).flatMap(([column, value]) =>
        value === undefined ? [] : [sql`${sql.identifier(column)} = ${value}`],
      ),
      sql`updated_at = now()`,
    ],
    sql`, `,
  );

/** The release manager's tables. */
export const releaseStore = {
  async insertProject(
    tx: Tx,
    p: { name: string; description: string; containerNaming: unknown },
  ): Promise<ProjectRow> {
    return rowsOf<ProjectRow>(
      await tx.execute(sql`
        INSERT INTO release_projects (name, description, container_naming)
        VALUES (${p.name}, ${p.description}, ${json(p.containerNaming)}::jsonb) RETURNING *`),
    )[0]!;
  },

  async updateProject(
    tx: Tx,
    id: string,
    p: { name?: string; description?: string; containerNaming?: unknown },
  ): Promise<ProjectRow | undefined> {
    return rowsOf<ProjectRow>(
      await tx.execute(sql`
        UPDATE release_projects SET ${sets({
          name: p.name === undefined ? undefined : sql`${p.name}`,
          description: p.description === undefined ? undefined : sql`${p.description}`,
          container_naming:
            p.containerNaming === undefined ? undefined : sql`${json(p.containerNaming)}::jsonb`,
        })}
        WHERE id = ${id}::uuid RETURNING *`),
    )[0];
  },

  async project(db: Tx, id: string): Promise<ProjectRow | undefined> {
    return rowsOf<ProjectRow>(
      await db.execute(sql`SELECT * FROM release_projects WHERE id = ${id}::uuid`),
    )[0];
  },

  async projects(db: Tx, limit: number, cursor?: string): Promise<(ProjectRow & PageKey)[]> {
    return rowsOf(
      await db.execute(sql`
        SELECT p.*, ${PROJECTS.key} FROM release_projects p WHERE ${PROJECTS.after(cursor)}
        ORDER BY ${PROJECTS.orderBy} LIMIT ${limit + 1}`),
    );
  },

  async deleteProject(db: Tx, id: string): Promise<boolean> {
    return (
      rowsOf(await db.execute(sql`DELETE FROM release_projects WHERE id = ${id}::uuid RETURNING id`)).length >
      0
    );
  },

  async insertEnvironment(
    tx: Tx,
    projectId: string,
    e: { name: string; releaseWindow: unknown; approvalRequired: boolean; approvers: string[] },
  ): Promise<EnvironmentRow> {
    return rowsOf<EnvironmentRow>(
      await tx.execute(sql`
        INSERT INTO release_environments (project_id, name, release_window, approval_required, approvers)
        VALUES (${projectId}::uuid, ${e.name}, ${e.releaseWindow === null ? null : json(e.releaseWindow)}::jsonb,
                ${e.approvalRequired}, ${json(e.approvers)}::jsonb)
        RETURNING *`),
    )[0]!;
  },

  async updateEnvironment(
    tx: Tx,
    id: string,
    e: { name?: string; releaseWindow?: unknown; approvalRequired?: boolean; approvers?: string[] },
  ): Promise<EnvironmentRow | undefined> {
    return rowsOf<EnvironmentRow>(
      await tx.execute(sql`
        UPDATE release_environments SET ${sets({
          name: e.name === undefined ? undefined : sql`${e.name}`,
          release_window:
            e.releaseWindow === undefined
              ? undefined
              : sql`${e.releaseWindow === null ? null : json(e.releaseWindow)}::jsonb`,
          approval_required: e.approvalRequired === undefined ? undefined : sql`${e.approvalRequired}`,
          approvers: e.approvers === undefined ? undefined : sql`${json(e.approvers)}::jsonb`,
        })}
        WHERE id = ${id}::uuid RETURNING *`),
    )[0];
  },

  async environment(db: Tx, id: string): Promise<EnvironmentRow | undefined> {
    return rowsOf<EnvironmentRow>(
      await db.execute(sql`SELECT * FROM release_environments WHERE id = ${id}::uuid`),
    )[0];
  },

  /** A project has a handful of environments: no paging. */
  async environments(db: Tx, projectId: string): Promise<EnvironmentRow[]> {
    return rowsOf(
      await db.execute(
        sql`SELECT * FROM release_environments WHERE project_id = ${projectId}::uuid ORDER BY name, id`,
      ),
    );
  },

  async deleteEnvironment(db: Tx, id: string): Promise<boolean> {
    return (
      rowsOf(await db.execute(sql`DELETE FROM release_environments WHERE id = ${id}::uuid RETURNING id`))
        .length > 0
    );
  },

  async agentName(db: Tx, agentId: string): Promise<string | undefined> {
    return rowsOf<{ name: string }>(
      await db.execute(sql`SELECT name FROM agents WHERE id = ${agentId}::uuid`),
    )[0]?.name;
  },

  async insertTarget(
    tx: Tx,
    t: { projectId: string; environmentId: string; agentId: string; labels: unknown; priority: number },
  ): Promise<TargetRow> {
    const [{ id }] = rowsOf<{ id: string }>(
      await tx.execute(sql`
        INSERT INTO release_targets (project_id, environment_id, agent_id, labels, priority)
        VALUES (${t.projectId}::uuid, ${t.environmentId}::uuid, ${t.agentId}::uuid, ${json(t.labels)}::jsonb, ${t.priority})
        RETURNING id`),
    ) as [{ id: string }];
    return (await releaseStore.target(tx, id))!;
  },

  async updateTarget(
    tx: Tx,
    id: string,
    t: { labels?: unknown; priority?: number },
  ): Promise<TargetRow | undefined> {
    const done = rowsOf(
      await tx.execute(sql`
        UPDATE release_targets SET ${sets({
          labels: t.labels === undefined ? undefined : sql`${json(t.labels)}::jsonb`,
          priority: t.priority === undefined ? undefined : sql`${t.priority}`,
        })}
        WHERE id = ${id}::uuid RETURNING id`),
    );
    return done.length ? releaseStore.target(tx, id) : undefined;
  },

  async target(db: Tx, id: string): Promise<TargetRow | undefined> {
    return rowsOf<TargetRow>(
      await db.execute(sql`SELECT ${TARGET_COLUMNS} FROM ${TARGET_FROM} WHERE t.id = ${id}::uuid`),
    )[0];
  },

  async targets(
    db: Tx,
    projectId: string,
    f: { environmentId?: string; limit?: number; cursor?: string },
  ): Promise<(TargetRow & PageKey)[]> {
    return rowsOf(
      await db.execute(sql`
        SELECT ${TARGET_COLUMNS}, ${TARGETS.key} FROM ${TARGET_FROM}
        WHERE t.project_id = ${projectId}::uuid AND ${TARGETS.after(f.cursor)}
          ${f.environmentId ? sql`AND t.environment_id = ${f.environmentId}::uuid` : sql``}
        ORDER BY ${TARGETS.orderBy} ${f.limit === undefined ? sql`` : sql`LIMIT ${f.limit + 1}`}`),
    );
  },

  async deleteTarget(db: Tx, id: string): Promise<boolean> {
    return (
      rowsOf(await db.execute(sql`DELETE FROM release_targets WHERE id = ${id}::uuid RETURNING id`)).length >
      0
    );
  },

  async insertVersion(tx: Tx, projectId: string, v: VersionInput): Promise<VersionRow> {
    return rowsOf<VersionRow>(
      await tx.execute(sql`
        INSERT INTO release_versions (project_id, version, install_script, update_script, rollback_script,
          uninstall_script, artifact_url, artifact_sha256, process_config, status)
        VALUES (${projectId}::uuid, ${v.version}, ${v.installScript ?? ''}, ${v.updateScript ?? ''},
          ${v.rollbackScript ?? ''}, ${v.uninstallScript ?? ''}, ${v.artifactUrl ?? null}, ${v.artifactSha256 ?? null},
          ${json(v.processConfig ?? {})}::jsonb, ${v.status ?? 'draft'})
        RETURNING *`),
    )[0]!;
  },

  async updateVersion(tx: Tx, id: string, v: Partial<VersionInput>): Promise<VersionRow | undefined> {
    const text = (x: string | null | undefined) => (x === undefined ? undefined : sql`${x}`);
    return rowsOf<VersionRow>(
      await tx.execute(sql`
        UPDATE release_versions SET ${sets({
          version: text(v.version),
          install_script: text(v.installScript),
          update_script: text(v.updateScript),
          rollback_script: text(v.rollbackScript),
          uninstall_script: text(v.uninstallScript),
          artifact_url: text(v.artifactUrl),
          artifact_sha256: text(v.artifactSha256),
          process_config: v.processConfig === undefined ? undefined : sql`${json(v.processConfig)}::jsonb`,
          status: text(v.status),
        })}
        WHERE id = ${id}::uuid RETURNING *`),
    )[0];
  },

  async version(db: Tx, id: string): Promise<VersionRow | undefined> {
    return rowsOf<VersionRow>(
      await db.execute(sql`SELECT * FROM release_versions WHERE id = ${id}::uuid`),
    )[0];
  },

  async versions(
    db: Tx,
    projectId: string,
    limit: number,
    cursor?: string,
  ): Promise<(VersionRow & PageKey)[]> {
    return rowsOf(
      await db.execute(sql`
        SELECT v.*, ${VERSIONS.key} FROM release_versions v
        WHERE v.project_id = ${projectId}::uuid AND ${VERSIONS.after(cursor)}
        ORDER BY ${VERSIONS.orderBy} LIMIT ${limit + 1}`),
    );
  },

  async deleteVersion(db: Tx, id: string): Promise<boolean> {
    return (
      rowsOf(await db.execute(sql`DELETE FROM release_versions WHERE id = ${id}::uuid RETURNING id`)).length >
      0
    );
  },

  /** Installations of the project in target order; `limit` unset reads them all (auto-select). */
  async installations(
    db: Tx,
    projectId: string,
    f: { sourceVersion?: string; environmentId?: string; limit?: number; cursor?: string },
  ): Promise<(InstallationRow & PageKey)[]> {
    return rowsOf(
      await db.execute(sql`
        SELECT i.target_id, i.project_id, i.environment_id, e.name AS environment_name, t.agent_id,
          a.name AS agent_name, i.version, i.state, i.previous_version, i.task_id, i.updated_at,
          ${INSTALLATIONS.key}
        FROM release_installations i JOIN ${TARGET_FROM} ON t.id = i.target_id
        WHERE i.project_id = ${projectId}::uuid AND ${INSTALLATIONS.after(f.cursor)}
          ${f.sourceVersion === undefined ? sql`` : sql`AND i.version = ${f.sourceVersion}`}
          ${f.environmentId ? sql`AND i.environment_id = ${f.environmentId}::uuid` : sql``}
        ORDER BY ${INSTALLATIONS.orderBy} ${f.limit === undefined ? sql`` : sql`LIMIT ${f.limit + 1}`}`),
    );
  },

  /** What a target has now; written with the outcome of the task step that changed it. */
  async recordInstallation(
    tx: Tx,
    i: { targetId: string; version: string; state: InstallationState; taskId: string | null },
  ): Promise<void> {
    await tx.execute(sql`
      INSERT INTO release_installations (target_id, project_id, environment_id, version, state, task_id)
      SELECT t.id, t.project_id, t.environment_id, ${i.version}, ${i.state}, ${i.taskId}::uuid
      FROM release_targets t WHERE t.id = ${i.targetId}::uuid
      ON CONFLICT (target_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state,
        task_id = EXCLUDED.task_id, updated_at = now(),
        previous_version = CASE
          WHEN release_installations.state = 'installed' AND release_installations.version <> EXCLUDED.version
          THEN release_installations.version ELSE release_installations.previous_version END`);
  },

  async insertTask(
    tx: Tx,
    k: {
      projectId: string;
      environmentId: string;
      versionId: string;
      operation: string;
      autoSelect: boolean;
      sourceVersion: string | null;
      strategy: Strategy;
      failureStrategy: FailureStrategy;
      state: TaskState;
      scheduledAt: string | null;
      createdBy: string;
      targets: { targetId: string; agentId: string; batch: number }[];
    },
  ): Promise<string> {
    const [{ id }] = rowsOf<{ id: string }>(
      await tx.execute(sql`
        INSERT INTO release_tasks (project_id, environment_id, version_id, operation, auto_select_clients,
          source_version, strategy, failure_strategy, state, scheduled_at, created_by)
        VALUES (${k.projectId}::uuid, ${k.environmentId}::uuid, ${k.versionId}::uuid, ${k.operation}, ${k.autoSelect},
          ${k.sourceVersion}, ${json(k.strategy)}::jsonb, ${k.failureStrategy}, ${k.state},
          ${k.scheduledAt}::timestamptz, ${k.createdBy})
        RETURNING id`),
    ) as [{ id: string }];
    await tx.execute(sql`
      INSERT INTO release_task_targets (task_id, target_id, agent_id, batch, state)
      VALUES ${sql.join(
        k.targets.map(
          (t) => sql`(${id}::uuid, ${t.targetId}::uuid, ${t.agentId}::uuid, ${t.batch}, 'pending')`,
        ),
        sql`, `,
      )}`);
    return id;
  },

  async task(db: Tx, id: string, lock = false): Promise<TaskRow | undefined> {
    return rowsOf<TaskRow>(
      await db.execute(
        sql`SELECT ${TASK_COLUMNS} FROM ${TASK_FROM} WHERE k.id = ${id}::uuid ${lock ? sql`FOR UPDATE OF k` : sql``}`,
      ),
    )[0];
  },

  async taskTargets(db: Tx, taskId: string): Promise<TaskTargetRow[]> {
    return rowsOf(
      await db.execute(sql`
        SELECT r.task_id, r.target_id, r.agent_id, coalesce(a.name, '') AS agent_name, r.batch, r.state,
          r.command_id, r.error, r.started_at, r.finished_at
        FROM release_task_targets r LEFT JOIN agents a ON a.id = r.agent_id
        WHERE r.task_id = ${taskId}::uuid ORDER BY r.batch, a.name, r.target_id`),
    );
  },

  async tasks(db: Tx, projectId: string, limit: number, cursor?: string): Promise<(TaskRow & PageKey)[]> {
    return rowsOf(
      await db.execute(sql`
        SELECT ${TASK_COLUMNS}, ${TASKS.key} FROM ${TASK_FROM}
        WHERE k.project_id = ${projectId}::uuid AND ${TASKS.after(cursor)}
        ORDER BY ${TASKS.orderBy} LIMIT ${limit + 1}`),
    );
  },

  async setTaskState(
    tx: Tx,
    id: string,
    state: TaskState,
    by: { approvedBy?: string; promotedBy?: string } = {},
  ): Promise<void> {
    const [approved, promoted] = [by.approvedBy ?? null, by.promotedBy ?? null];
    await tx.execute(sql`
      UPDATE release_tasks SET state = ${state}, updated_at = now(),
        approved_by = coalesce(${approved}, approved_by),
        approved_at = CASE WHEN ${approved}::text IS NULL THEN approved_at ELSE now() END,
        promoted_by = coalesce(${promoted}, promoted_by),
        promoted_at = CASE WHEN ${promoted}::text IS NULL THEN promoted_at ELSE now() END,
        finished_at = CASE WHEN ${state} IN ('succeeded', 'failed', 'cancelled') THEN now() ELSE NULL END
      WHERE id = ${id}::uuid`);
  },

  /** Pending tasks whose start time has come, and running ones: what the runner looks at. */
  async activeTaskIds(db: Tx): Promise<string[]> {
    return rowsOf<{ id: string }>(
      await db.execute(sql`
        SELECT id FROM release_tasks
        WHERE state = 'running' OR (state = 'pending' AND (scheduled_at IS NULL OR scheduled_at <= now()))
        ORDER BY created_at, id`),
    ).map((r) => r.id);
  },

  /** The task for the runner, locked; undefined when another replica holds it now. */
  async claimTask(tx: Tx, id: string): Promise<TaskRow | undefined> {
    return rowsOf<TaskRow>(
      await tx.execute(
        sql`SELECT ${TASK_COLUMNS} FROM ${TASK_FROM} WHERE k.id = ${id}::uuid FOR UPDATE OF k SKIP LOCKED`,
      ),
    )[0];
  },

  async setTarget(
    tx: Tx,
    taskId: string,
    targetId: string,
    state: TargetState,
    extra: { commandId?: string; error?: string | null } = {},
  ): Promise<void> {
    await tx.execute(sql`
      UPDATE release_task_targets SET state = ${state},
        command_id = coalesce(${extra.commandId ?? null}::uuid, command_id),
        error = ${extra.error ?? null},
        started_at = CASE WHEN ${state} = 'running' THEN now() ELSE started_at END,
        finished_at = CASE WHEN ${state} IN ('succeeded', 'failed', 'skipped') THEN now() ELSE finished_at END
      WHERE task_id = ${taskId}::uuid AND target_id = ${targetId}::uuid`);
  },

  /** The task target a command was sent for, locked with its task. */
  async targetOfCommand(tx: Tx, commandId: string): Promise<TaskTargetRow | undefined> {
    return rowsOf<TaskTargetRow>(
      await tx.execute(sql`
        SELECT r.task_id, r.target_id, r.agent_id, '' AS agent_name, r.batch, r.state, r.command_id, r.error,
          r.started_at, r.finished_at
        FROM release_task_targets r WHERE r.command_id = ${commandId}::uuid FOR UPDATE`),
    )[0];
  },

  /** The task's running targets whose command will bring no result: expired or cancelled. */
  async lostTargets(tx: Tx, taskId: string): Promise<{ target_id: string; state: string }[]> {
    return rowsOf(
      await tx.execute(sql`
        SELECT r.target_id, CASE WHEN c.state = 'cancelled' THEN 'cancelled' ELSE 'expired' END AS state
        FROM release_task_targets r JOIN commands c ON c.id = r.command_id
        WHERE r.task_id = ${taskId}::uuid AND r.state = 'running'
          AND (c.state IN ('expired', 'cancelled')
            OR (c.state IN ('queued', 'delivered', 'running') AND c.deadline <= now()))`),
    );
  },

  /** When the batch before this one ended, in seconds ago; null if it has not. */
  async secondsSinceBatch(db: Tx, taskId: string, batch: number): Promise<number | null> {
    const [row] = rowsOf<{ s: number | null }>(
      await db.execute(sql`
        SELECT extract(epoch FROM now() - max(finished_at))::float8 AS s FROM release_task_targets
        WHERE task_id = ${taskId}::uuid AND batch = ${batch}`),
    );
    return row?.s === null || row?.s === undefined ? null : Number(row.s);
  },

  /**
   * The version a target runs as far as we know: the installed one, or after a failed step the
   * one it had before; null when nothing is (or after an uninstall).
   */
  async installedVersion(db: Tx, targetId: string): Promise<string | null> {
    return (
      rowsOf<{ version: string | null }>(
        await db.execute(sql`
          SELECT CASE state WHEN 'installed' THEN version WHEN 'failed' THEN previous_version END AS version
          FROM release_installations WHERE target_id = ${targetId}::uuid`),
      )[0]?.version ?? null
    );
  },

  /** Failed targets, and those an abort skipped, are to run again; answers how many. */
  async retryFailed(tx: Tx, taskId: string): Promise<number> {
    return rowsOf(
      await tx.execute(sql`
        UPDATE release_task_targets SET state = 'pending', command_id = NULL, error = NULL, started_at = NULL,
          finished_at = NULL
        WHERE task_id = ${taskId}::uuid AND state IN ('failed', 'skipped') RETURNING target_id`),
    ).length;
  },

  /** The command sent to one target of a task (the latest, after a retry); undefined if none yet. */
  async targetCommand(
    db: Tx,
    taskId: string,
    targetId: string,
  ): Promise<{ command_id: string | null } | undefined> {
    return rowsOf<{ command_id: string | null }>(
      await db.execute(sql`
        SELECT command_id FROM release_task_targets
        WHERE task_id = ${taskId}::uuid AND target_id = ${targetId}::uuid`),
    )[0];
  },

  /** The running targets' commands, for a cancel to stop them. */
  async runningCommands(tx: Tx, taskId: string): Promise<{ target_id: string; command_id: string }[]> {
    return rowsOf(
      await tx.execute(sql`
        SELECT target_id, command_id FROM release_task_targets
        WHERE task_id = ${taskId}::uuid AND state = 'running' AND command_id IS NOT NULL`),
    );
  },

  /** Targets not started yet will not be: a cancelled or aborted task. */
  async skipPending(tx: Tx, taskId: string): Promise<void> {
    await tx.execute(sql`
      UPDATE release_task_targets SET state = 'skipped', finished_at = now()
      WHERE task_id = ${taskId}::uuid AND state = 'pending'`);
  },
};

export interface VersionInput {
  version: string;
  installScript?: string;
  updateScript?: string;
  rollbackScript?: string;
  uninstallScript?: string;
  artifactUrl?: string | null;
  artifactSha256?: string | null;
  processConfig?: unknown;
  status?: 'draft' | 'active' | 'deprecated';
}
