import { sql } from 'drizzle-orm';
import type { Database, Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { pageOf } from '../http/list-query.ts';
import { conflict, notFound } from '../http/problem.ts';
import { type CommandState, effectiveState, transition } from './state.ts';
import { type CommandFilter, type CommandRow, commandStore, type OutputLine } from './store.ts';

export type { OutputLine } from './store.ts';

export interface CommandOptions {
  /** A delivered command without a result is handed out again after this long (default 60 s). */
  redeliverAfterMs?: number;
  /** Lines of output kept per command (default 20,000); more are dropped and counted. */
  maxOutputLines?: number;
}

/** Who writes the audit log: the identity service's `audit`. */
export type Audit = (
  actor: string,
  action: string,
  resource: string,
  before?: unknown,
  after?: unknown,
) => Promise<void>;

/**
 * Called with the finished command inside the transaction that records its result; what it
 * returns is called once that transaction has committed.
 */
export type FinishHook = (tx: Pick<Db, 'execute'>, command: CommandView) => Promise<(() => void) | undefined>;

/** The agent a request comes from (its API key). */
export interface CommandAgent {
  id: string;
  /** The principal's name, for the audit log: `apikey:web-1`. */
  actor: string;
}

export interface CommandView {
  id: string;
  agent: { id: string; name: string };
  kind: string;
  payload: unknown;
  state: CommandState;
  /** How many times it was handed to the agent. */
  attempts: number;
  deadline: string;
  deliveredAt: string | null;
  result: unknown;
  error: string | null;
  outputLines: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** A command as the agent receives it. */
export interface Delivery {
  id: string;
  kind: string;
  payload: unknown;
  deadline: string;
  /** 1 the first time it is handed out, more when handed out again. */
  attempt: number;
}

const iso = (v: string | Date) => new Date(v).toISOString();
const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
const resource = (id: string) => `command:${id}`;
/** Every replica hears here that an agent has new work; the payload is the agent's id. */
const CHANNEL = 'opsfleet_commands';
/** At most this many commands per poll answer: the agent asks again at once for more. */
const BATCH = 50;

function viewOf(r: CommandRow): CommandView {
  return {
    id: r.id,
    agent: { id: r.agent_id, name: r.agent_name },
    kind: r.kind,
    payload: json(r.payload),
    state: effectiveState(r.state, new Date(r.deadline), new Date(r.now)),
    attempts: r.attempts,
    deadline: iso(r.deadline),
    deliveredAt: r.delivered_at ? iso(r.delivered_at) : null,
    result: r.result === null ? null : json(r.result),
    error: r.error,
    outputLines: r.output_lines,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    finishedAt: r.finished_at ? iso(r.finished_at) : null,
  };
}

/**
 * The server → agent command channel. People (and later the release manager, config sync and
 * the file pipeline) create commands for one agent; the agent takes them over a long poll it
 * opens (so agents behind NAT work), streams output and answers with a result. Delivery is at
 * least once: a command without a result is handed out again after `redeliverAfterMs`, and the
 * agent's journal answers a repeated id with the result it stored. A new command wakes the
 * agent's poll on whichever replica holds it (LISTEN/NOTIFY).
 */
export class CommandService {
  readonly redeliverAfterMs: number;
  readonly maxOutputLines: number;
  private readonly waiters = new Map<string, Set<() => void>>();
  private unlisten?: () => Promise<void>;
  private closed = false;
  private readonly finishHooks: FinishHook[] = [];

  private constructor(
    private readonly database: Database,
    private readonly audit: Audit,
    opts: CommandOptions,
  ) {
    this.redeliverAfterMs = opts.redeliverAfterMs ?? 60_000;
    this.maxOutputLines = opts.maxOutputLines ?? 20_000;
    if (!(this.redeliverAfterMs > 0)) throw new Error('the command redelivery interval must be positive');
  }

  static async open(database: Database, audit: Audit, opts: CommandOptions = {}): Promise<CommandService> {
    const s = new CommandService(database, audit, opts);
    s.unlisten = await database.listen(CHANNEL, (agentId) => s.wake(agentId));
    return s;
  }

  private get db(): Db {
    return this.database.db;
  }

  /** Answers every waiting poll (empty) and stops listening; polls after this answer at once. */
  async close(): Promise<void> {
    this.closed = true;
    for (const agent of [...this.waiters.keys()]) this.wake(agent);
    await this.unlisten?.();
  }

  private wake(agentId: string): void {
    const set = this.waiters.get(agentId);
    if (!set) return;
    this.waiters.delete(agentId);
    for (const w of set) w();
  }

  /**
   * Resolves when the agent has new work, after `ms`, or when `signal` aborts; `done` ends the
   * wait early. Registered before the database is asked, so a command created in between wakes it.
   */
  private waitFor(agentId: string, ms: number, signal?: AbortSignal): { woken: Promise<void>; done(): void } {
    let done!: () => void;
    const woken = new Promise<void>((resolve) => {
      const set = this.waiters.get(agentId) ?? new Set();
      this.waiters.set(agentId, set);
      done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const mine = this.waiters.get(agentId);
        mine?.delete(done);
        if (mine?.size === 0) this.waiters.delete(agentId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
    return { woken, done };
  }

  /**
   * Runs `hook` in the transaction that records a command's result, so what a domain derives
   * from the outcome (a release target's installation) is stored with it or not at all.
   */
  onFinish(hook: FinishHook): void {
    this.finishHooks.push(hook);
  }

  /**
   * Queues a command in the caller's transaction, for work recorded with it (a release target
   * marked as sent); call `announce` with the agent's id once that transaction has committed.
   */
  async createIn(
    tx: Pick<Db, 'execute'>,
    actor: string,
    c: { agentId: string; agentName: string; kind: string; payload: unknown; timeoutMs: number },
  ): Promise<CommandView> {
    return viewOf(
      await commandStore.insert(tx, {
        agentId: c.agentId,
        agentName: c.agentName,
        kind: c.kind,
        payload: c.payload,
        deadlineMs: c.timeoutMs,
        createdBy: actor,
      }),
    );
  }

  /** Wakes the agent's poll on every replica: it has new work. */
  async announce(agentId: string): Promise<void> {
    this.wake(agentId);
    await this.database.notify(CHANNEL, agentId);
  }

  async create(
    actor: string,
    c: { agentId: string; kind: string; payload: unknown; timeoutMs: number },
  ): Promise<CommandView> {
    const [agent] = rowsOf<{ name: string }>(
      await this.db.execute(sql`SELECT name FROM agents WHERE id = ${c.agentId}::uuid`),
    );
    if (!agent)
      throw notFound(`no agent ${c.agentId}: an agent exists once it has registered (GET /api/v1/agents)`);
    const row = await commandStore.insert(this.db, {
      agentId: c.agentId,
      agentName: agent.name,
      kind: c.kind,
      payload: c.payload,
      deadlineMs: c.timeoutMs,
      createdBy: actor,
    });
    const view = viewOf(row);
    await this.audit(actor, 'command.create', resource(view.id), undefined, {
      agent: view.agent,
      kind: view.kind,
      deadline: view.deadline,
    });
    this.wake(c.agentId);
    await this.database.notify(CHANNEL, c.agentId);
    return view;
  }

  async get(id: string): Promise<CommandView> {
    const row = await commandStore.get(this.db, id);
    if (!row) throw notFound(`no command ${id}`);
    return viewOf(row);
  }

  async list(f: CommandFilter): Promise<{ items: CommandView[]; nextCursor: string | null }> {
    return pageOf(await commandStore.list(this.db, f), f.limit, viewOf);
  }

  /** Lines after `afterSeq`, in order; `nextAfter` is set when there are more. */
  async output(
    id: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ items: OutputLine[]; nextAfter: number | null }> {
    await this.get(id);
    const rows = await commandStore.output(this.db, id, afterSeq, limit);
    const items = rows.slice(0, limit);
    return { items, nextAfter: rows.length > limit ? items.at(-1)!.seq : null };
  }

  async cancel(actor: string, id: string): Promise<CommandView> {
    const { before, after } = await this.db.transaction(async (tx) => {
      const row = await commandStore.lock(tx, id);
      if (!row) throw notFound(`no command ${id}`);
      const t = transition(row.state, new Date(row.deadline), new Date(row.now), { type: 'cancel' });
      if (!t.ok) throw conflict(`command ${id} cannot be cancelled: ${t.reason}`);
      return {
        before: row.state,
        after: await commandStore.setState(tx, id, t.state, { error: `cancelled by ${actor}` }),
      };
    });
    await this.audit(actor, 'command.cancel', resource(id), { state: before }, { state: after.state });
    return viewOf(after);
  }

  /**
   * Cancels a command inside the caller's transaction (a release task's cancel), if it is still
   * open; answers whether it was. The caller audits it with `auditCancel` after its commit.
   */
  async cancelIn(tx: Pick<Db, 'execute'>, actor: string, id: string): Promise<boolean> {
    const row = await commandStore.lock(tx, id);
    if (!row) return false;
    const t = transition(row.state, new Date(row.deadline), new Date(row.now), { type: 'cancel' });
    if (!t.ok) return false;
    await commandStore.setState(tx, id, t.state, { error: `cancelled by ${actor}` });
    return true;
  }

  async auditCancel(actor: string, id: string): Promise<void> {
    await this.audit(actor, 'command.cancel', resource(id), undefined, { state: 'cancelled' });
  }

  /** Writes down the expiry of commands past their deadline (for the housekeeping job). */
  async housekeep(): Promise<number> {
    const expired = await commandStore.expireDue(this.db);
    for (const r of expired)
      await this.audit('system', 'command.expire', resource(r.id), undefined, {
        agent: { id: r.agent_id, name: r.agent_name },
        kind: r.kind,
        attempts: r.attempts,
      });
    return expired.length;
  }

  /**
   * The agent's work: its open commands within their deadline that are due (never handed out,
   * or handed out `redeliverAfterMs` ago without a result). With none, waits up to `waitMs` for
   * one to be created (on any replica) or to become due again, then answers, empty if none came.
   */
  async poll(agent: CommandAgent, waitMs: number, signal?: AbortSignal): Promise<Delivery[]> {
    const until = Date.now() + waitMs;
    for (;;) {
      const wait = this.waitFor(agent.id, Math.max(0, until - Date.now()), signal);
      let rows: CommandRow[];
      let due: number | null = null;
      try {
        rows = await commandStore.deliver(this.db, agent.id, this.redeliverAfterMs, BATCH);
        if (!rows.length) due = await commandStore.nextRedelivery(this.db, agent.id, this.redeliverAfterMs);
      } catch (err) {
        wait.done();
        throw err;
      }
      if (rows.length || this.closed || signal?.aborted || Date.now() >= until) {
        wait.done();
        return rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          payload: json(r.payload),
          deadline: iso(r.deadline),
          attempt: r.attempts,
        }));
      }
      // A command handed out before without a result is due again within the wait: wake for it.
      const timer = due === null ? undefined : setTimeout(wait.done, due + 10);
      await wait.woken;
      clearTimeout(timer);
    }
  }

  /** The command of this agent, locked; 404 for one of another agent, which it must not learn of. */
  private async own(tx: Pick<Db, 'execute'>, agent: CommandAgent, id: string): Promise<CommandRow> {
    const row = await commandStore.lock(tx, id);
    if (!row || row.agent_id !== agent.id) throw notFound(`no command ${id} for this agent`);
    return row;
  }

  /**
   * Output of a running command. Answers the command's state: an agent told `cancelled` or
   * `expired` stops the work. Lines of a command that is over are not kept.
   */
  async addOutput(
    agent: CommandAgent,
    id: string,
    lines: OutputLine[],
  ): Promise<{ state: CommandState; stored: number; dropped: number }> {
    return this.db.transaction(async (tx) => {
      const row = await this.own(tx, agent, id);
      const t = transition(row.state, new Date(row.deadline), new Date(row.now), { type: 'output' });
      if (!t.ok) return { state: t.state, stored: 0, dropped: lines.length };
      if (t.changed) await commandStore.setState(tx, id, t.state);
      const { added, dropped } = await commandStore.addOutput(tx, id, lines, this.maxOutputLines);
      return { state: t.state, stored: added, dropped };
    });
  }

  /**
   * The outcome of a command. The same outcome sent again (its answer was lost) is accepted;
   * one for a command cancelled or expired meanwhile is a 409, and not recorded.
   */
  async finish(
    agent: CommandAgent,
    id: string,
    outcome: { ok: boolean; result?: unknown; error?: string },
  ): Promise<CommandView> {
    const afterCommit: (() => void)[] = [];
    const { row, changed } = await this.db.transaction(async (tx) => {
      const row = await this.own(tx, agent, id);
      const t = transition(row.state, new Date(row.deadline), new Date(row.now), {
        type: 'result',
        ok: outcome.ok,
      });
      if (!t.ok) throw conflict(`command ${id} takes no result: ${t.reason}`);
      if (!t.changed) return { row, changed: false };
      const done = await commandStore.setState(tx, id, t.state, {
        result: outcome.result,
        error: outcome.error,
      });
      for (const hook of this.finishHooks) {
        const after = await hook(tx, viewOf(done));
        if (after) afterCommit.push(after);
      }
      return { row: done, changed: true };
    });
    for (const after of afterCommit) after();
    if (changed)
      await this.audit(agent.actor, 'command.result', resource(id), undefined, {
        state: row.state,
        attempts: row.attempts,
        ...(row.error ? { error: row.error } : {}),
      });
    return viewOf(row);
  }
}
