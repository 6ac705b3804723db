import type { CommandService, OutputLine } from '../commands/service.ts';
import type { Db } from '../db/database.ts';
import { pageOf } from '../http/list-query.ts';
import { badRequest, conflict, notFound, Problem } from '../http/problem.ts';
import { planBatches, type Strategy } from './plan.ts';
import { autoSelect } from './select.ts';
import { type FailureStrategy, type TaskEvent, taskStep } from './state.ts';
import {
  type EnvironmentRow,
  type InstallationRow,
  type ProjectRow,
  releaseStore as store,
  type TargetRow,
  type TaskRow,
  type TaskTargetRow,
  type VersionInput,
  type VersionRow,
} from './store.ts';
import { describeWindow, type ReleaseWindow, windowState } from './window.ts';

/** Who writes the audit log: the identity service's `audit`. */
export type Audit = (
  actor: string,
  action: string,
  resource: string,
  before?: unknown,
  after?: unknown,
) => Promise<void>;

export const OPERATIONS = ['deploy', 'install', 'update', 'rollback', 'uninstall'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Which targets a task is for: named agents, or those auto-select takes. */
export interface TaskSelection {
  project: string;
  environment: string;
  clientIds?: string[];
  autoSelectClients?: boolean;
  sourceVersion?: string;
  strategy: Strategy;
}

export interface TaskInput extends TaskSelection {
  version: string;
  operation: Operation;
  failureStrategy: FailureStrategy;
  scheduledAt?: string;
}

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
const parsed = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
const field = (path: string, message: string) => badRequest(`${path}: ${message}`, [{ path, message }]);

export const projectView = (r: ProjectRow) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  containerNaming: parsed(r.container_naming) as Record<string, unknown>,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

export const environmentView = (r: EnvironmentRow) => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  releaseWindow: (parsed(r.release_window) ?? null) as Record<string, unknown> | null,
  approvalRequired: r.approval_required,
  approvers: parsed(r.approvers) as string[],
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

export const targetView = (r: TargetRow) => ({
  id: r.id,
  projectId: r.project_id,
  environment: { id: r.environment_id, name: r.environment_name },
  agent: { id: r.agent_id, name: r.agent_name },
  labels: parsed(r.labels) as Record<string, string>,
  priority: r.priority,
  createdAt: iso(r.created_at)!,
});

export const versionView = (r: VersionRow) => ({
  id: r.id,
  projectId: r.project_id,
  version: r.version,
  installScript: r.install_script,
  updateScript: r.update_script,
  rollbackScript: r.rollback_script,
  uninstallScript: r.uninstall_script,
  artifactUrl: r.artifact_url,
  artifactSha256: r.artifact_sha256,
  processConfig: parsed(r.process_config) as Record<string, unknown>,
  status: r.status,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

export const installationView = (r: InstallationRow) => ({
  targetId: r.target_id,
  environment: { id: r.environment_id, name: r.environment_name },
  agent: { id: r.agent_id, name: r.agent_name },
  version: r.version,
  state: r.state,
  previousVersion: r.previous_version,
  taskId: r.task_id,
  updatedAt: iso(r.updated_at)!,
});

const taskTargetView = (r: TaskTargetRow) => ({
  targetId: r.target_id,
  agent: { id: r.agent_id, name: r.agent_name },
  batch: r.batch,
  state: r.state,
  commandId: r.command_id,
  error: r.error,
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
});

/**
 * Why a task that is not over does not move now, in a sentence for people; null when it moves
 * (or is over, or paused: its state says why).
 */
export function blockedBy(r: TaskRow, now: Date): string | null {
  const window = parsed(r.release_window) as ReleaseWindow | null;
  switch (r.state) {
    case 'awaiting_approval':
      return 'awaiting approval (POST …/approve by someone with release:approve other than its creator)';
    case 'awaiting_promotion':
      return 'the canary batch is over: promote the task (POST …/promote) to deploy to the other targets';
    case 'pending':
      if (r.scheduled_at && new Date(r.scheduled_at) > now)
        return `scheduled to start at ${iso(r.scheduled_at)}`;
      break;
    case 'running':
      break;
    default:
      return null;
  }
  const state = windowState(window, now);
  if (state.open || !window) return null;
  const opens = state.opensAt ? `; it opens at ${state.opensAt.toISOString()}` : '';
  return `outside environment ${r.environment_name}'s release window (${describeWindow(window)}): ${
    r.state === 'pending' ? 'the task starts' : 'the next batch starts'
  } when it opens${opens}`;
}

export const taskView = (r: TaskRow, targets?: TaskTargetRow[], now = new Date()) => ({
  id: r.id,
  projectId: r.project_id,
  environment: { id: r.environment_id, name: r.environment_name },
  version: { id: r.version_id, version: r.version },
  operation: r.operation as Operation,
  autoSelectClients: r.auto_select_clients,
  sourceVersion: r.source_version,
  strategy: parsed(r.strategy) as Strategy,
  failureStrategy: r.failure_strategy,
  state: r.state,
  scheduledAt: iso(r.scheduled_at),
  approvedBy: r.approved_by,
  approvedAt: iso(r.approved_at),
  promotedBy: r.promoted_by,
  promotedAt: iso(r.promoted_at),
  blockedBy: blockedBy(r, now),
  createdBy: r.created_by,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
  finishedAt: iso(r.finished_at),
  ...(targets ? { targets: targets.map(taskTargetView) } : {}),
});

/**
 * Projects, their environments, targets and versions; installations; deploy tasks. Every change
 * is audited. The runner (runner.ts) carries tasks out.
 */
export class ReleaseService {
  constructor(
    private readonly db: Db,
    private readonly commands: CommandService,
    private readonly audit: Audit,
    /** Tells the runner a task may have work now (created, approved, resumed). */
    private readonly onTaskChange: () => void = () => {},
  ) {}

  // Projects

  async createProject(actor: string, p: { name: string; description: string; containerNaming: unknown }) {
    const row = await store.insertProject(this.db, p);
    await this.audit(actor, 'release.project.create', `release-project:${row.id}`, undefined, {
      name: row.name,
    });
    return projectView(row);
  }

  async project(id: string): Promise<ProjectRow> {
    const row = await store.project(this.db, id);
    if (!row) throw notFound(`no release project ${id}`);
    return row;
  }

  async listProjects(limit: number, cursor?: string) {
    return pageOf(await store.projects(this.db, limit, cursor), limit, projectView);
  }

  async updateProject(
    actor: string,
    id: string,
    p: { name?: string; description?: string; containerNaming?: unknown },
  ) {
    const before = await this.project(id);
    const row = await store.updateProject(this.db, id, p);
    if (!row) throw notFound(`no release project ${id}`);
    await this.audit(actor, 'release.project.update', `release-project:${id}`, { name: before.name }, p);
    return projectView(row);
  }

  async deleteProject(actor: string, id: string) {
    const before = await this.project(id);
    await store.deleteProject(this.db, id);
    await this.audit(actor, 'release.project.delete', `release-project:${id}`, { name: before.name });
  }

  // Environments

  private async environmentOf(projectId: string, id: string): Promise<EnvironmentRow> {
    const row = await store.environment(this.db, id);
    if (!row || row.project_id !== projectId) throw notFound(`no environment ${id} in project ${projectId}`);
    return row;
  }

  async createEnvironment(
    actor: string,
    projectId: string,
    e: { name: string; releaseWindow: unknown; approvalRequired: boolean; approvers: string[] },
  ) {
    await this.project(projectId);
    const row = await store.insertEnvironment(this.db, projectId, e);
    await this.audit(actor, 'release.environment.create', `release-environment:${row.id}`, undefined, e);
    return environmentView(row);
  }

  async listEnvironments(projectId: string) {
    await this.project(projectId);
    return (await store.environments(this.db, projectId)).map(environmentView);
  }

  async updateEnvironment(
    actor: string,
    projectId: string,
    id: string,
    e: { name?: string; releaseWindow?: unknown; approvalRequired?: boolean; approvers?: string[] },
  ) {
    const before = await this.environmentOf(projectId, id);
    const row = (await store.updateEnvironment(this.db, id, e))!;
    await this.audit(
      actor,
      'release.environment.update',
      `release-environment:${id}`,
      environmentView(before),
      e,
    );
    // A window or approval change can let waiting tasks go.
    this.onTaskChange();
    return environmentView(row);
  }

  async deleteEnvironment(actor: string, projectId: string, id: string) {
    const before = await this.environmentOf(projectId, id);
    await store.deleteEnvironment(this.db, id);
    await this.audit(actor, 'release.environment.delete', `release-environment:${id}`, { name: before.name });
  }

  // Targets

  private async targetOf(projectId: string, id: string): Promise<TargetRow> {
    const row = await store.target(this.db, id);
    if (!row || row.project_id !== projectId) throw notFound(`no target ${id} in project ${projectId}`);
    return row;
  }

  async createTarget(
    actor: string,
    projectId: string,
    t: { environment: string; agent: string; labels: Record<string, string>; priority: number },
  ) {
    await this.project(projectId);
    const env = await store.environment(this.db, t.environment);
    if (!env || env.project_id !== projectId)
      throw field('body.environment', `no environment ${t.environment} in this project`);
    if (!(await store.agentName(this.db, t.agent)))
      throw field('body.agent', `no agent ${t.agent}: a target is a registered agent (GET /api/v1/agents)`);
    const row = await store.insertTarget(this.db, {
      projectId,
      environmentId: env.id,
      agentId: t.agent,
      labels: t.labels,
      priority: t.priority,
    });
    await this.audit(actor, 'release.target.create', `release-target:${row.id}`, undefined, {
      environment: env.name,
      agent: row.agent_name,
    });
    return targetView(row);
  }

  async listTargets(projectId: string, f: { environmentId?: string; limit: number; cursor?: string }) {
    await this.project(projectId);
    return pageOf(await store.targets(this.db, projectId, f), f.limit, targetView);
  }

  async updateTarget(
    actor: string,
    projectId: string,
    id: string,
    t: { labels?: unknown; priority?: number },
  ) {
    await this.targetOf(projectId, id);
    const row = (await store.updateTarget(this.db, id, t))!;
    await this.audit(actor, 'release.target.update', `release-target:${id}`, undefined, t);
    return targetView(row);
  }

  async deleteTarget(actor: string, projectId: string, id: string) {
    const before = await this.targetOf(projectId, id);
    await store.deleteTarget(this.db, id);
    await this.audit(actor, 'release.target.delete', `release-target:${id}`, { agent: before.agent_name });
  }

  // Versions

  private async versionOf(projectId: string, id: string): Promise<VersionRow> {
    const row = await store.version(this.db, id);
    if (!row || row.project_id !== projectId) throw notFound(`no version ${id} in project ${projectId}`);
    return row;
  }

  async createVersion(actor: string, projectId: string, v: VersionInput) {
    await this.project(projectId);
    const row = await store.insertVersion(this.db, projectId, v);
    await this.audit(actor, 'release.version.create', `release-version:${row.id}`, undefined, {
      version: row.version,
      status: row.status,
    });
    return versionView(row);
  }

  async getVersion(projectId: string, id: string) {
    return versionView(await this.versionOf(projectId, id));
  }

  async listVersions(projectId: string, limit: number, cursor?: string) {
    await this.project(projectId);
    return pageOf(await store.versions(this.db, projectId, limit, cursor), limit, versionView);
  }

  async updateVersion(actor: string, projectId: string, id: string, v: Partial<VersionInput>) {
    const before = await this.versionOf(projectId, id);
    const row = (await store.updateVersion(this.db, id, v))!;
    await this.audit(
      actor,
      'release.version.update',
      `release-version:${id}`,
      { version: before.version, status: before.status },
      { version: row.version, status: row.status },
    );
    return versionView(row);
  }

  async deleteVersion(actor: string, projectId: string, id: string) {
    const before = await this.versionOf(projectId, id);
    await store.deleteVersion(this.db, id);
    await this.audit(actor, 'release.version.delete', `release-version:${id}`, { version: before.version });
  }

  // Installations

  async listInstallations(
    projectId: string,
    f: { sourceVersion?: string; environmentId?: string; limit: number; cursor?: string },
  ) {
    await this.project(projectId);
    return pageOf(await store.installations(this.db, projectId, f), f.limit, installationView);
  }

  // Tasks

  /**
   * The targets a task would take, in batches; a 400 that says why when none would be taken or
   * the request names targets that are not the environment's.
   */
  async preview(s: TaskSelection) {
    await this.project(s.project);
    const env = await store.environment(this.db, s.environment);
    if (!env || env.project_id !== s.project)
      throw field('body.environment', `no environment ${s.environment} in project ${s.project}`);
    const targets = (await store.targets(this.db, s.project, { environmentId: env.id })).map((t) => ({
      ...t,
      id: t.id,
      agentId: t.agent_id,
      environmentId: t.environment_id,
    }));
    let chosen: typeof targets;
    if (s.autoSelectClients) {
      if (s.clientIds?.length)
        throw field(
          'body.client_ids',
          'leave it out with auto_select_clients: true, or set auto_select_clients to false',
        );
      const installations = (await store.installations(this.db, s.project, { environmentId: env.id })).map(
        (i) => ({
          targetId: i.target_id,
          version: i.version,
          state: i.state,
        }),
      );
      const got = autoSelect({
        targets,
        installations,
        environment: { id: env.id, name: env.name },
        sourceVersion: s.sourceVersion,
      });
      if (!got.ok)
        throw badRequest(`auto_select_clients selected no target: ${got.reason}`, [
          { path: 'body.auto_select_clients', message: got.reason },
        ]);
      chosen = got.targets;
    } else {
      if (!s.clientIds?.length)
        throw field('body.client_ids', 'name the agents to act on, or set auto_select_clients: true');
      if (s.sourceVersion !== undefined)
        throw field('body.source_version', 'only used with auto_select_clients: true');
      const byAgent = new Map(targets.map((t) => [t.agentId, t]));
      const strangers = s.clientIds.filter((a) => !byAgent.has(a));
      if (strangers.length)
        throw field(
          'body.client_ids',
          `${strangers.join(', ')} ${strangers.length === 1 ? 'is not a target' : 'are not targets'} of environment ${env.name}: add ${strangers.length === 1 ? 'it' : 'them'} as a target first`,
        );
      chosen = [...new Set(s.clientIds)].map((a) => byAgent.get(a)!);
    }
    const plan = planBatches(chosen, s.strategy);
    if (!plan.ok) throw field(plan.field, plan.reason);
    return {
      env,
      batches: plan.batches,
      view: {
        environment: { id: env.id, name: env.name },
        targets: plan.batches.flatMap((batch, i) =>
          batch.map((t) => ({ targetId: t.id, agent: { id: t.agent_id, name: t.agent_name }, batch: i })),
        ),
      },
    };
  }

  async createTask(actor: string, k: TaskInput) {
    const version = await store.version(this.db, k.version);
    if (!version || version.project_id !== k.project)
      throw field('body.version', `no version ${k.version} in project ${k.project}`);
    if (version.status === 'deprecated' && k.operation !== 'uninstall')
      throw field(
        'body.version',
        `version ${version.version} is deprecated: make it active to ${k.operation} it`,
      );
    if (version.artifact_url && !version.artifact_sha256)
      throw field(
        'body.version',
        `version ${version.version} has an artifact_url without its artifact_sha256: agents check every download against it`,
      );
    const { env, batches } = await this.preview(k);
    const id = await this.db.transaction((tx) =>
      store.insertTask(tx, {
        projectId: k.project,
        environmentId: env.id,
        versionId: version.id,
        operation: k.operation,
        autoSelect: k.autoSelectClients ?? false,
        sourceVersion: k.sourceVersion ?? null,
        strategy: k.strategy,
        failureStrategy: k.failureStrategy,
        state: env.approval_required ? 'awaiting_approval' : 'pending',
        scheduledAt: k.scheduledAt ?? null,
        createdBy: actor,
        targets: batches.flatMap((b, i) => b.map((t) => ({ targetId: t.id, agentId: t.agent_id, batch: i }))),
      }),
    );
    this.onTaskChange();
    const view = await this.getTask(id);
    await this.audit(actor, 'release.task.create', `release-task:${id}`, undefined, {
      operation: view.operation,
      version: view.version.version,
      environment: view.environment.name,
      state: view.state,
      targets: view.targets?.length,
    });
    return view;
  }

  async getTask(id: string) {
    const row = await store.task(this.db, id);
    if (!row) throw notFound(`no release task ${id}`);
    return taskView(row, await store.taskTargets(this.db, id));
  }

  async listTasks(projectId: string, limit: number, cursor?: string) {
    await this.project(projectId);
    return pageOf(await store.tasks(this.db, projectId, limit, cursor), limit, (r) => taskView(r));
  }

  /**
   * What the agent printed while it deployed this target (the latest attempt's command, after a
   * retry), in order from `after`; empty until the command is sent.
   */
  async targetLog(
    taskId: string,
    targetId: string,
    after: number,
    limit: number,
  ): Promise<{ items: OutputLine[]; nextAfter: number | null; commandId: string | null }> {
    await this.getTask(taskId);
    const target = await store.targetCommand(this.db, taskId, targetId);
    if (!target) throw notFound(`no target ${targetId} in task ${taskId}`);
    if (!target.command_id) return { items: [], nextAfter: null, commandId: null };
    return { ...(await this.commands.output(target.command_id, after, limit)), commandId: target.command_id };
  }

  /**
   * Approve, pause, resume, promote, cancel or retry (the failed targets, and those an abort
   * skipped). Approval is refused to the task's creator, and to anyone not among the
   * environment's approvers when it names some. A cancel also cancels the commands of the targets
   * running now (the agent stops their scripts); those targets fail, and so do their installations,
   * since how far a stopped script got is unknown.
   */
  async step(actor: string, id: string, event: Exclude<TaskEvent, 'start'>) {
    const { before, cancelled } = await this.db.transaction(async (tx) => {
      const row = await store.task(tx, id, true);
      if (!row) throw notFound(`no release task ${id}`);
      const next = taskStep(row.state, event);
      if (!next.ok) throw conflict(`task ${id} cannot ${event}: ${next.reason}`);
      if (event === 'approve') {
        const env = (await store.environment(tx, row.environment_id))!;
        const approvers = parsed(env.approvers) as string[];
        if (actor === row.created_by)
          throw new Problem(403, 'Forbidden', 'a task is approved by someone other than who created it');
        if (approvers.length && !approvers.includes(actor))
          throw new Problem(
            403,
            'Forbidden',
            `environment ${env.name} is approved by ${approvers.join(', ')} only`,
          );
      }
      if (event === 'retry' && !(await store.retryFailed(tx, id)))
        throw conflict(`task ${id} has no failed targets to retry`);
      await store.setTaskState(tx, id, next.state, {
        approvedBy: event === 'approve' ? actor : undefined,
        promotedBy: event === 'promote' ? actor : undefined,
      });
      const cancelled: string[] = [];
      if (next.state === 'cancelled') {
        for (const t of await store.runningCommands(tx, id)) {
          if (await this.commands.cancelIn(tx, actor, t.command_id)) cancelled.push(t.command_id);
          await store.setTarget(tx, id, t.target_id, 'failed', {
            error: `cancelled by ${actor} with the task`,
          });
          await store.recordInstallation(tx, {
            targetId: t.target_id,
            version: row.version,
            state: 'failed',
            taskId: id,
          });
        }
        await store.skipPending(tx, id);
      }
      return { before: row.state, cancelled };
    });
    this.onTaskChange();
    for (const commandId of cancelled) await this.commands.auditCancel(actor, commandId);
    const view = await this.getTask(id);
    await this.audit(
      actor,
      `release.task.${event}`,
      `release-task:${id}`,
      { state: before },
      { state: view.state },
    );
    return view;
  }
}
