import { join } from 'node:path';
import { backoffDelay } from '@opsfleet/core';
import { pause, ServerApi, ServerCallError } from '../server-api.ts';
import type { CommandHandler, CommandHost, OutputLevel } from './handler.ts';
import { Journal, type JournalEntry, type Outcome } from './journal.ts';
import { HANDLERS } from './kinds.ts';
import { OutputStream } from './output.ts';

/** A command as the server hands it out. */
export interface Delivered {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  deadline: string;
  attempt: number;
}

export interface CommandLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CommandChannelOptions {
  /** The server's base URL and this agent's API key (`agent.server`). */
  url: string;
  token: string;
  /** The journal goes to `<dataDir>/commands`. */
  dataDir: string;
  host: CommandHost;
  log: CommandLog;
  /** Default: every kind in kinds.ts. */
  handlers?: readonly CommandHandler[];
  /** How long one poll waits at the server for a command (default 30 s, at most 60 s). */
  waitMs?: number;
  /** After a failed call: wait `initialMs`, doubling up to `maxMs` (default 1 s and 30 s), half of it random. */
  retry?: { initialMs?: number; maxMs?: number };
  /** Journal entries older than this are forgotten (default 8 days: past any deadline). */
  keepMs?: number;
}

export interface ChannelStatus {
  polls: number;
  /** Failed calls in a row. */
  failures: number;
  lastError?: string;
  ran: number;
  /** Commands answered from the journal instead of run again. */
  answeredFromJournal: number;
  running: number;
}

/** Numbers per delivery attempt: each attempt's lines start at `(attempt - 1) × this + 1`. */
const SEQ_PER_ATTEMPT = 1_000_000;
const HOUR = 3_600_000;

/**
 * The agent's end of the command channel: keeps a long poll open to the server, runs each
 * command it is handed through the handler of its kind, streams the output and answers with
 * the outcome. Delivery is at least once, so every id goes through the journal first: a command
 * already run is answered with its stored outcome, and one that was running when the agent
 * stopped is answered failed rather than run again (it may have done part of its work).
 */
export class CommandChannel {
  private readonly stop = new AbortController();
  private readonly client: ServerApi;
  private readonly handlers: Map<string, CommandHandler>;
  readonly journal: Journal;
  /** Ids being run or answered by this process: handed out again meanwhile, they are skipped. */
  private readonly busy = new Map<string, Promise<void>>();
  private loop?: Promise<void>;
  private pruneTimer?: NodeJS.Timeout;
  private lastLogged?: string;
  /** Server time minus local time, from the last poll answer. */
  private skewMs = 0;
  readonly status: ChannelStatus = { polls: 0, failures: 0, ran: 0, answeredFromJournal: 0, running: 0 };

  constructor(private readonly opts: CommandChannelOptions) {
    this.client = new ServerApi(opts.url, opts.token);
    this.handlers = new Map((opts.handlers ?? HANDLERS).map((h) => [h.kind, h]));
    this.journal = new Journal(join(opts.dataDir, 'commands'));
  }

  start(): this {
    const keep = this.opts.keepMs ?? 8 * 24 * HOUR;
    this.journal.prune(keep);
    this.pruneTimer = setInterval(() => this.journal.prune(keep), HOUR);
    this.pruneTimer.unref();
    this.loop ??= this.run();
    return this;
  }

  /** Stops polling and abandons the commands in progress (their journal says they started). */
  async close(): Promise<void> {
    this.stop.abort(new Error('the agent stopped while this command ran'));
    clearInterval(this.pruneTimer);
    await this.loop;
    await Promise.allSettled([...this.busy.values()]);
  }

  private delay(failures: number): number {
    return backoffDelay(failures, this.opts.retry?.initialMs ?? 1000, this.opts.retry?.maxMs ?? 30_000, 0.5);
  }

  /** Logs a failure once per kind of failure, not once per retry. */
  private failed(err: unknown, what: string): void {
    const message = (err as Error).message;
    this.status.lastError = message;
    if (message === this.lastLogged) return;
    this.lastLogged = message;
    const refused = err instanceof ServerCallError && (err.status === 401 || err.status === 403);
    this.opts.log.warn(
      {
        err: message,
        ...(refused
          ? { hint: 'the agent key is refused: check agent.server.token (an API key of the role agent)' }
          : {}),
      },
      what,
    );
  }

  private async run(): Promise<void> {
    const waitMs = Math.min(60_000, this.opts.waitMs ?? 30_000);
    const signal = this.stop.signal;
    while (!signal.aborted) {
      try {
        const answer = await this.client.call<{ commands: Delivered[]; serverTime: string }>(
          'GET',
          `/api/v1/agent/commands?wait=${waitMs}ms`,
          undefined,
          AbortSignal.any([signal, AbortSignal.timeout(waitMs + 15_000)]),
        );
        this.status.polls += 1;
        const server = Date.parse(answer.serverTime);
        if (Number.isFinite(server)) this.skewMs = server - Date.now();
        if (this.status.failures > 0)
          this.opts.log.info({ after: this.status.failures }, 'command poll works again');
        this.status.failures = 0;
        this.lastLogged = undefined;
        for (const c of answer.commands) this.take(c);
      } catch (err) {
        if (signal.aborted) break;
        this.status.failures += 1;
        this.failed(err, 'command poll failed');
        await pause(this.delay(this.status.failures), this.stop.signal);
      }
    }
  }

  /** Runs or answers a command, unless this process is already at it. */
  private take(c: Delivered): void {
    if (this.busy.has(c.id)) return;
    const work = this.handle(c)
      .catch((err) =>
        this.opts.log.warn({ id: c.id, kind: c.kind, err: (err as Error).message }, 'command failed'),
      )
      .finally(() => this.busy.delete(c.id));
    this.busy.set(c.id, work);
  }

  private async handle(c: Delivered): Promise<void> {
    const abort = new AbortController();
    const output = new OutputStream({
      send: (lines) =>
        this.client.call<{ state: string }>(
          'POST',
          `/api/v1/agent/commands/${c.id}/output`,
          { lines },
          AbortSignal.any([this.stop.signal, AbortSignal.timeout(10_000)]),
        ),
      onOver: (state) => abort.abort(new Error(`the command was ${state} at the server`)),
      firstSeq: (Math.min(c.attempt, 2000) - 1) * SEQ_PER_ATTEMPT + 1,
    });
    const print = (line: string, stage = 'run', level: OutputLevel = 'info') =>
      output.print(line, stage, level);
    let entry: JournalEntry | undefined;
    try {
      entry = this.journal.get(c.id);
    } catch (err) {
      // A command id that is not a uuid is nothing this server sends: refuse it, run nothing.
      print(`refused: ${(err as Error).message}`, 'agent', 'error');
      await output.close();
      return this.answer(c, { status: 'failed', error: (err as Error).message });
    }
    let outcome: Outcome;
    if (entry?.state === 'done') {
      this.status.answeredFromJournal += 1;
      print(
        `already run (finished ${entry.finishedAt}): answering with the stored outcome, not running it again`,
        'agent',
      );
      outcome = { status: entry.status, result: entry.result, error: entry.error };
    } else if (entry?.state === 'started') {
      outcome = {
        status: 'failed',
        error: `the agent stopped while this command ran (started ${entry.startedAt}); not run again, as it may have done part of its work`,
      };
      print(outcome.error!, 'agent', 'error');
      this.journal.finished(c.id, c.kind, entry.startedAt, outcome);
    } else {
      const started = this.journal.started(c.id, c.kind);
      outcome = await this.execute(c, abort, print);
      this.journal.finished(c.id, c.kind, started.startedAt, outcome);
    }
    await output.close();
    await this.answer(c, outcome);
  }

  /** Runs the handler of the command's kind until it answers, the deadline passes or it is cancelled. */
  private async execute(
    c: Delivered,
    abort: AbortController,
    print: (line: string, stage?: string, level?: OutputLevel) => void,
  ): Promise<Outcome> {
    const handler = this.handlers.get(c.kind);
    if (!handler) {
      const error = `no handler for the kind ${c.kind} on this agent (version ${this.opts.host.version}); it runs: ${[...this.handlers.keys()].join(', ')}`;
      print(error, 'agent', 'error');
      return { status: 'failed', error };
    }
    const deadline = new Date(c.deadline);
    const left = deadline.getTime() - this.skewMs - Date.now();
    const timer = setTimeout(() => abort.abort(new Error('the deadline passed')), Math.max(0, left));
    const signal = AbortSignal.any([abort.signal, this.stop.signal]);
    this.status.running += 1;
    try {
      print(`running ${c.kind} (attempt ${c.attempt})`, 'agent', 'debug');
      const run = handler.run({
        id: c.id,
        attempt: c.attempt,
        deadline,
        payload: c.payload ?? {},
        host: this.opts.host,
        dataDir: this.opts.dataDir,
        signal,
        print: (line, o) => print(line, o?.stage ?? c.kind, o?.level ?? 'info'),
      });
      // A handler that ignores its signal still lets the command end when it is stopped.
      const stopped = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      const result = await Promise.race([run, stopped]);
      this.status.ran += 1;
      return { status: 'succeeded', ...(result === undefined ? {} : { result }) };
    } catch (err) {
      this.status.ran += 1;
      const error = (err as Error)?.message ?? String(err);
      print(error, 'agent', 'error');
      return { status: 'failed', error };
    } finally {
      clearTimeout(timer);
      this.status.running -= 1;
    }
  }

  /**
   * Sends the outcome until the server takes it. 404 or 409 (another agent's command, or one
   * cancelled or expired meanwhile) are final; anything else is retried while the agent runs.
   */
  private async answer(c: Delivered, outcome: Outcome): Promise<void> {
    for (let failures = 0; !this.stop.signal.aborted; ) {
      try {
        await this.client.call(
          'POST',
          `/api/v1/agent/commands/${c.id}/result`,
          outcome,
          AbortSignal.any([this.stop.signal, AbortSignal.timeout(10_000)]),
        );
        return;
      } catch (err) {
        if (this.stop.signal.aborted) return;
        if (err instanceof ServerCallError && (err.status === 404 || err.status === 409)) {
          this.opts.log.info(
            { id: c.id, kind: c.kind, err: err.message },
            'the server takes no result for this command',
          );
          return;
        }
        failures += 1;
        this.failed(err, 'sending a command result failed');
        await pause(this.delay(failures), this.stop.signal);
      }
    }
  }
}
