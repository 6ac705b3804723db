import type { Logger } from 'pino';
import type { CommandService, CommandView } from '../commands/service.ts';
import type { Db } from '../db/database.ts';
import { loggableError } from '../http/log-error.ts';
import type { Strategy } from './plan.ts';
import type { Audit, Operation } from './service.ts';
import { batchHold, settle } from './state.ts';
import { releaseStore as store, type VersionRow } from './store.ts';
import { type ReleaseWindow, windowState } from './window.ts';

/** The command kind the agent's deploy handler takes. */
export const DEPLOY_KIND = 'deploy.run';
/** A deploy step must be over within this, or its command expires and the target fails. */
const DEPLOY_TIMEOUT_MS = 30 * 60_000;

const parsed = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function scriptFor(op: Operation, v: VersionRow, previous: string | null): string {
  if (op === 'uninstall') return v.uninstall_script;
  if (op === 'rollback') return v.rollback_script;
  if (op === 'update' || (op === 'deploy' && previous !== null)) return v.update_script || v.install_script;
  return v.install_script;
}

/**
 * Moves tasks along: starts pending tasks whose time has come inside the release window, sends
 * `deploy.run` for the pending targets of the current batch once the batch before is over (and,
 * rolling, its interval has passed; canary, it was promoted; always, inside the window), and
 * settles the task from its targets' states. A target's outcome is
 * recorded, with its installation row, in the transaction that stores the command's result.
 * Each task is advanced under its row lock, skipped by a replica that finds it held.
 */
export class ReleaseRunner {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly db: Db,
    private readonly commands: CommandService,
    private readonly audit: Audit,
    private readonly log: Logger,
  ) {
    commands.onFinish((tx, command) => this.recordOutcome(tx, command));
  }

  /** Advances tasks soon; calls made while a pass runs fold into one more pass. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.tick().catch((err) =>
          this.log.warn({ err: loggableError(err) }, 'release runner pass failed'),
        );
      } while (this.again);
      this.running = undefined;
    })();
  }

  /** Resolves when the pass under way (if any) is over. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async tick(): Promise<void> {
    for (const id of await store.activeTaskIds(this.db)) await this.advance(id);
  }

  private async advance(id: string): Promise<void> {
    const sent = await this.db.transaction(async (tx) => {
      const task = await store.claimTask(tx, id);
      if (!task) return [];
      let state = task.state;
      const opening = windowState(parsed(task.release_window) as ReleaseWindow | null, new Date());
      const due = !task.scheduled_at || new Date(task.scheduled_at) <= new Date();
      if (state === 'pending' && due && opening.open) {
        state = 'running';
        await store.setTaskState(tx, id, state);
      }
      if (state !== 'running') return [];
      // A command that expired or was cancelled brings no result: its target failed.
      for (const lost of await store.lostTargets(tx, id)) {
        await store.setTarget(tx, id, lost.target_id, 'failed', { error: `its command was ${lost.state}` });
        await store.recordInstallation(tx, {
          targetId: lost.target_id,
          version: task.version,
          state: 'failed',
          taskId: id,
        });
      }
      const targets = await store.taskTargets(tx, id);
      const since = new Date(task.updated_at).getTime();
      const next = settle(
        state,
        task.failure_strategy,
        targets.map((t) => t.state),
        targets.some(
          (t) => t.state === 'failed' && t.finished_at && new Date(t.finished_at).getTime() > since,
        ),
      );
      if (next.state !== 'running') {
        await store.setTaskState(tx, id, next.state);
        if (next.skipPending) await store.skipPending(tx, id);
        return [];
      }
      const open = targets.filter((t) => t.state === 'pending' || t.state === 'running');
      const batch = Math.min(...open.map((t) => t.batch));
      const current = open.filter((t) => t.batch === batch);
      if (current.some((t) => t.state === 'running')) return [];
      const strategy = parsed(task.strategy) as Strategy;
      const hold = batchHold({
        canary: strategy.type === 'canary',
        batch,
        promoted: task.promoted_at !== null,
        window: opening,
      });
      if (hold === 'promotion') await store.setTaskState(tx, id, 'awaiting_promotion');
      if (hold) return [];
      if (strategy.type === 'rolling' && batch > 0) {
        const since = await store.secondsSinceBatch(tx, id, batch - 1);
        if (since !== null && since < strategy.intervalSeconds) return [];
      }
      const version = (await store.version(tx, task.version_id))!;
      const project = (await store.project(tx, task.project_id))!;
      const out: CommandView[] = [];
      for (const t of current) {
        const previous = await store.installedVersion(tx, t.target_id);
        const command = await this.commands.createIn(tx, `release-task:${id}`, {
          agentId: t.agent_id,
          agentName: t.agent_name,
          kind: DEPLOY_KIND,
          timeoutMs: DEPLOY_TIMEOUT_MS,
          payload: {
            project: project.name,
            env: task.environment_name,
            version: version.version,
            previousVersion: previous,
            target: t.agent_name,
            operation: task.operation,
            artifact: version.artifact_url
              ? { url: version.artifact_url, sha256: version.artifact_sha256 }
              : null,
            script: scriptFor(task.operation as Operation, version, previous),
          },
        });
        await store.setTarget(tx, id, t.target_id, 'running', { commandId: command.id });
        out.push(command);
      }
      return out;
    });
    for (const c of sent) {
      await this.audit(`release-task:${id}`, 'command.create', `command:${c.id}`, undefined, {
        agent: c.agent,
        kind: c.kind,
        deadline: c.deadline,
      });
      await this.commands.announce(c.agent.id);
    }
  }

  /**
   * A `deploy.run` result: the target succeeded or failed, and its installation says so, in the
   * transaction that stores the result. The task moves on after it has committed.
   */
  private async recordOutcome(
    tx: Pick<Db, 'execute'>,
    command: CommandView,
  ): Promise<(() => void) | undefined> {
    if (command.kind !== DEPLOY_KIND) return undefined;
    const target = await store.targetOfCommand(tx, command.id);
    if (target?.state !== 'running') return undefined;
    const task = (await store.task(tx, target.task_id))!;
    const ok = command.state === 'succeeded';
    await store.setTarget(tx, task.id, target.target_id, ok ? 'succeeded' : 'failed', {
      error: ok ? null : (command.error ?? 'the deploy step failed'),
    });
    await store.recordInstallation(tx, {
      targetId: target.target_id,
      version: task.version,
      state: ok ? (task.operation === 'uninstall' ? 'uninstalled' : 'installed') : 'failed',
      taskId: task.id,
    });
    return () => this.kick();
  }
}
