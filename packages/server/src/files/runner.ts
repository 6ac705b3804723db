import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Database, Db } from '../db/database.ts';
import { loggableError } from '../http/log-error.ts';
import type { Outbound } from '../http/outbound.ts';
import { conflict, notFound } from '../http/problem.ts';
import type { ActionOutcome } from './actions/action.ts';
import { actionKind } from './actions/index.ts';
import type { ActionStore } from './actions/store.ts';
import { FILES_CHANNEL } from './file-service.ts';
import type { RouteStore } from './route-store.ts';
import { routeFor } from './routing.ts';
import { routedFile, taskStore as store, type TaskRow, uploadedFile } from './task-store.ts';
import { type TaskEvent, type TaskStep, taskStep } from './transitions.ts';

type Tx = Pick<Db, 'execute'>;

export interface FileRunnerOptions {
  database: Database;
  actions: ActionStore;
  routes: RouteStore;
  net: Outbound;
  log: Logger;
  /** A pass runs at least this often, besides the wake-ups (default 2 s). */
  pollMs?: number;
  /** How often a running attempt's output is saved and its cancel flag read (default 1 s). */
  heartbeatMs?: number;
  /** A processing task whose runner showed no life for this long is taken again (default 60 s). */
  staleMs?: number;
  /** Attempts this runner runs at once, over all actions (default 8). */
  slots?: number;
  /** The clock routing windows are judged by. */
  now?: () => Date;
}

/** Why an attempt's signal aborted. */
type Stop = 'cancel' | 'timeout';

interface Attempt {
  stop: AbortController;
  output: string;
  done: Promise<void>;
}

const taskFacts = (t: TaskRow) => ({
  state: t.state,
  attempts: t.attempts,
  maxAttempts: t.max_attempts,
  cancelRequested: t.cancel_requested,
});

/**
 * Turns uploaded files into tasks and runs them. A pass (on a timer, on a NOTIFY, after an
 * attempt ends) routes unrouted files, takes back tasks whose runner died, and claims due tasks
 * up to its slots; each attempt runs with a signal that aborts on the action's timeout, on a
 * cancel and on shutdown. Claims are row locks skipped by other replicas, so one task is never
 * run by two; the attempt's end is recorded only if the task is still this runner's.
 */
export class FileRunner {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly attempts = new Map<string, Attempt>();
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];
  private unlisten: (() => Promise<void>) | undefined;
  private readonly db: Db;

  constructor(private readonly o: FileRunnerOptions) {
    this.db = o.database.db;
  }

  async start(): Promise<void> {
    this.unlisten = await this.o.database.listen(FILES_CHANNEL, () => {
      this.kick();
      this.heartbeat();
    });
    this.timers.push(setInterval(() => this.kick(), this.o.pollMs ?? 2000));
    this.timers.push(setInterval(() => this.heartbeat(), this.o.heartbeatMs ?? 1000));
    this.kick();
  }

  /** A pass soon; calls made while one runs fold into one more. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass().catch((err) =>
          this.o.log.warn({ err: loggableError(err) }, 'file runner pass failed'),
        );
      } while (this.again && !this.closed);
      this.running = undefined;
    })();
  }

  /** Resolves when no pass and no attempt is under way. */
  async idle(): Promise<void> {
    while (this.running || this.attempts.size) {
      await this.running;
      await Promise.all([...this.attempts.values()].map((a) => a.done));
    }
  }

  /**
   * Stops passes and gives running attempts `drainMs` to end and be recorded. One still running
   * then is left as it is, not aborted (a Jenkins build goes on): its task stays processing, and
   * once its heartbeat has been silent for `staleMs` a runner takes it again, counting the
   * attempt — the same path as a crash, so a stop within the 10 s a shutdown has loses nothing.
   */
  async close(drainMs = 5000): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.unlisten?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
  }

  private async announce(): Promise<void> {
    await this.o.database
      .notify(FILES_CHANNEL, 'tasks')
      .catch((err) => this.o.log.warn({ err: loggableError(err) }, 'file task notify failed'));
  }

  async pass(): Promise<void> {
    await this.recoverStale();
    if (await this.route()) await this.announce();
    while (!this.closed && this.attempts.size < (this.o.slots ?? 8)) {
      const claimed = await this.db.transaction(async (tx) => {
        const task = await store.claimable(tx);
        if (!task) return undefined;
        const step = taskStep(taskFacts(task), { type: 'claim' });
        if (!step.ok) return undefined;
        await store.update(tx, task.id, {
          state: step.state,
          attempts: step.attempts,
          claimedBy: this.id,
          started: true,
          error: null,
          errorCause: null,
        });
        await store.history(
          tx,
          task.id,
          task.state,
          step.state,
          `attempt ${step.attempts}`,
          `runner:${this.id}`,
        );
        return { ...task, attempts: step.attempts, state: step.state };
      });
      if (!claimed) break;
      this.begin(claimed);
    }
  }

  /** Tasks for uploaded files no route has seen; true when some were made. */
  private async route(): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const files = await store.unroutedFiles(tx, 100);
      if (!files.length) return false;
      const routes = await this.o.routes.list(tx);
      const now = (this.o.now ?? (() => new Date()))();
      let made = false;
      for (const f of files) {
        const route = routeFor(routes, routedFile(f), now);
        let before: string | null = null;
        for (const actionId of route?.actionIds ?? []) {
          const key = `${f.id}:${actionId}`;
          const id: string | undefined =
            (await store.insert(tx, {
              eventId: f.id,
              actionId,
              routeId: route!.id,
              afterTaskId: route!.mode === 'sequence' ? before : null,
              key,
              trigger: 'route',
              actor: `route:${route!.name}`,
            })) ?? (await store.taskIdOfKey(tx, key));
          made ||= id !== undefined;
          before = id ?? before;
        }
        await store.markRouted(tx, f.id);
      }
      return made;
    });
  }

  /** A processing task nobody has shown life for: its attempt ended with its server. */
  private async recoverStale(): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const t of await store.stale(tx, this.o.staleMs ?? 60_000)) {
        if (this.attempts.has(t.id)) continue;
        await this.settle(
          tx,
          t,
          { type: 'fail', retryable: true },
          {
            error: `the attempt was lost: runner ${t.claimed_by ?? '?'} stopped answering`,
            cause: 'interrupted',
          },
        );
      }
    });
  }

  private begin(task: TaskRow): void {
    const stop = new AbortController();
    const attempt: Attempt = { stop, output: '', done: Promise.resolve() };
    this.attempts.set(task.id, attempt);
    attempt.done = this.run(task, attempt)
      .catch((err) =>
        this.o.log.error({ err: loggableError(err), task: task.id }, 'file task attempt not recorded'),
      )
      .finally(() => {
        this.attempts.delete(task.id);
        this.kick();
      });
  }

  private async run(task: TaskRow, attempt: Attempt): Promise<void> {
    const timer = setTimeout(() => attempt.stop.abort('timeout' satisfies Stop), task.timeout_ms);
    let outcome: ActionOutcome;
    try {
      const action = await this.o.actions.get(task.action_id);
      const kind = actionKind(action.kind);
      const file = await store.file(this.db, task.event_id);
      if (!kind || !file) throw new Error(kind ? 'the file is gone' : `no action kind ${action.kind}`);
      outcome = await kind.run(
        {
          file: uploadedFile(file),
          idempotencyKey: task.idempotency_key,
          attempt: task.attempts,
          signal: attempt.stop.signal,
          output: (text) => {
            attempt.output += text;
          },
          net: this.o.net,
        },
        action.config,
      );
    } catch (err) {
      outcome = { ok: false, retryable: true, error: (err as Error).message, cause: 'exception' };
    } finally {
      clearTimeout(timer);
    }
    const why = attempt.stop.signal.reason as Stop | undefined;
    await this.db.transaction(async (tx) => {
      await this.flush(tx, task.id, attempt);
      const now = await store.get(tx, task.id, true);
      // Taken back as stale meanwhile (this runner stalled): the attempt is no longer ours.
      if (now?.state !== 'processing' || now.claimed_by !== this.id) return;
      if (outcome.ok) return this.settle(tx, now, { type: 'succeed' }, { result: outcome.result });
      if (why === 'cancel' || (now.cancel_requested && why !== 'timeout'))
        return this.settle(
          tx,
          now,
          { type: 'aborted' },
          { error: 'cancelled', cause: 'cancelled', result: outcome.result },
        );
      const seconds = Math.round(task.timeout_ms / 1000);
      const [error, cause, retryable] =
        why === 'timeout'
          ? [`no result within the action's timeout (${seconds} s): ${outcome.error}`, 'timeout', true]
          : [outcome.error, outcome.cause, outcome.retryable];
      return this.settle(tx, now, { type: 'fail', retryable }, { error, cause, result: outcome.result });
    });
  }

  /** Applies an event, with its history, and what follows from a task's end. */
  private async settle(
    tx: Tx,
    t: TaskRow,
    event: TaskEvent,
    detail: { error?: string; cause?: string; result?: Record<string, unknown>; reason?: string },
    actor = `runner:${this.id}`,
  ): Promise<TaskStep> {
    const step = taskStep(taskFacts(t), event);
    if (!step.ok) return step;
    const ended = step.state !== 'processing';
    await store.update(tx, t.id, {
      state: step.state,
      attempts: step.attempts,
      maxAttempts: step.maxAttempts,
      cancelRequested: step.cancelRequested,
      ...(step.delayMs !== undefined ? { delayMs: step.delayMs } : {}),
      ...(ended && t.state === 'processing' ? { finished: true, claimedBy: null } : {}),
      ...(detail.error !== undefined ? { error: detail.error, errorCause: detail.cause ?? null } : {}),
      ...(detail.result !== undefined ? { result: detail.result } : {}),
    });
    const retryIn =
      step.state === 'retrying' && step.delayMs ? ` (next attempt in ${step.delayMs / 1000} s)` : '';
    await store.history(
      tx,
      t.id,
      t.state,
      step.state,
      `${detail.reason ?? detail.error ?? event.type}${retryIn}`,
      actor,
    );
    if (step.state === 'failed' || step.state === 'cancelled') {
      for (const f of await store.followers(tx, t.id, ['pending', 'retrying'])) {
        await store.update(tx, f.id, {
          state: 'cancelled',
          error: `an earlier task of its sequence ended ${step.state}`,
          errorCause: 'earlier_task_ended',
        });
        await store.history(
          tx,
          f.id,
          f.state,
          'cancelled',
          `task ${t.id} before it ended ${step.state}`,
          actor,
        );
      }
    }
    if (step.state === 'failed' && t.trigger !== 'fallback') {
      const fallback = await store.fallbackOf(tx, t.action_id);
      if (fallback)
        await store.insert(tx, {
          eventId: t.event_id,
          actionId: fallback,
          fallbackOf: t.id,
          key: `${t.id}:fallback`,
          trigger: 'fallback',
          actor,
        });
    }
    return step;
  }

  private async flush(tx: Tx, id: string, attempt: Attempt): Promise<void> {
    if (!attempt.output) return;
    const text = attempt.output;
    attempt.output = '';
    await store.appendOutput(tx, id, text);
  }

  private beating = false;
  /** Saves running attempts' output, shows they are alive, and aborts those asked to cancel. */
  private heartbeat(): void {
    if (this.beating || !this.attempts.size) return;
    this.beating = true;
    (async () => {
      const ids = [...this.attempts.keys()];
      for (const [id, a] of this.attempts) await this.flush(this.db, id, a);
      await store.touch(this.db, ids);
      for (const id of await store.cancelRequested(this.db, ids))
        this.attempts.get(id)?.stop.abort('cancel' satisfies Stop);
    })()
      .catch((err) => this.o.log.warn({ err: loggableError(err) }, 'file runner heartbeat failed'))
      .finally(() => {
        this.beating = false;
      });
  }

  /** A person's cancel: at once when waiting, cooperatively when running. 409 when refused. */
  async cancel(id: string, actor: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const t = await store.get(tx, id, true);
      if (!t) throw notFound(`no file task ${id}`);
      const step = await this.settle(
        tx,
        t,
        { type: 'cancel' },
        t.state === 'processing'
          ? { reason: 'cancel requested: the running attempt is being stopped' }
          : { error: `cancelled by ${actor}`, cause: 'cancelled' },
        actor,
      );
      if (!step.ok) throw conflict(step.reason);
    });
    await this.announce();
    this.heartbeat();
  }

  /** One more attempt of an ended task; the tasks after it in its sequence wait for it again. */
  async retry(id: string, actor: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const t = await store.get(tx, id, true);
      if (!t) throw notFound(`no file task ${id}`);
      const followers = await store.followers(tx, id, ['cancelled']);
      const step = await this.settle(tx, t, { type: 'retry' }, {}, actor);
      if (!step.ok) throw conflict(step.reason);
      await store.update(tx, id, { error: null, errorCause: null });
      for (const f of followers) {
        await store.update(tx, f.id, { state: 'pending', error: null, errorCause: null });
        await store.history(tx, f.id, 'cancelled', 'pending', `task ${id} before it is retried`, actor);
      }
    });
    await this.announce();
    this.kick();
  }

  /** A person runs an action on a file: a new task, whatever ran before. */
  async trigger(fileId: string, actionId: string, actor: string): Promise<string> {
    const id = await this.db.transaction(async (tx) => {
      const file = await store.file(tx, fileId);
      if (!file) throw notFound(`no file ${fileId}`);
      if (file.state !== 'uploaded')
        throw conflict(`the file is ${file.state}: actions run on uploaded files only`);
      const made = await store.insert(tx, {
        eventId: fileId,
        actionId,
        key: `${fileId}:${actionId}:manual:${randomUUID()}`,
        trigger: 'manual',
        actor,
      });
      if (!made) throw notFound(`no file action ${actionId}`);
      return made;
    });
    await this.announce();
    this.kick();
    return id;
  }
}
