import { EventEmitter } from 'node:events';
import { backoffDelay } from '@opsfleet/core';
import { pause, ServerApi, ServerCallError } from '../server-api.ts';
import {
  type AgentFacts,
  quietLog,
  type RegistrationLog,
  type ReportedService,
  type ServicesSource,
  wireService,
} from './report.ts';

export interface ServerRegistrationOptions extends AgentFacts {
  /** The name the server lists this agent under (`agent.name`, default the hostname). */
  name?: string;
  /** The server's base URL (`agent.server.url`). */
  url: string;
  /** An API key of the role `agent` (`agent.server.token`): it is who this agent is. */
  token: string;
  /** How often to heartbeat (`agent.server.heartbeat`); a server expecting more often wins. */
  heartbeatMs: number;
  services: ServicesSource;
  /** When this agent process started (default: when this object was made). */
  startedAt?: Date;
  log?: RegistrationLog;
  /** After a failed call: wait `initialMs`, doubling up to `maxMs` (default 1 s and the heartbeat interval), half of it random. */
  retry?: { initialMs?: number; maxMs?: number };
  /** One call may take this long (default 10 s, at most the heartbeat interval). */
  requestTimeoutMs?: number;
}

/** What the server answers to a registration or heartbeat. */
export interface ServerAnswer {
  serverTime: string;
  heartbeatMs: number;
  offlineAfterMs: number;
  /** Registration only: the agent as the server knows it (its key's id and name). */
  id?: string;
  name?: string;
}

export type LinkState = 'idle' | 'registering' | 'registered' | 'retrying' | 'closed';

export interface LinkStatus {
  state: LinkState;
  /** The agent's id and name at the server (its key's). */
  id?: string;
  name?: string;
  registrations: number;
  heartbeats: number;
  /** Failed calls in a row. */
  failures: number;
  lastError?: string;
  lastHeartbeatAt?: string;
  /** The heartbeat interval in force. */
  heartbeatMs: number;
  /** Server time minus local time, from the last answer (roughly: half a round trip off). */
  clockSkewMs?: number;
}

/**
 * The agent's link to the server: registers at start, then heartbeats with the services every
 * `heartbeatMs`. While the server cannot be reached (or answers 5xx, 429), calls are retried
 * with a growing, randomised delay capped at the heartbeat interval, so an agent is back within
 * one interval of the server; a server that no longer knows the agent (404, 410) gets a new
 * registration at once. A refused key (401, 403) is retried the same way and logged, because
 * only people can fix it. Events: `registered`, `heartbeat` (each with the answer), `failure`.
 */
export class ServerRegistration extends EventEmitter {
  private readonly stop = new AbortController();
  private readonly startedAt: Date;
  private readonly api: ServerApi;
  private loop?: Promise<void>;
  private lastServices: ReturnType<typeof wireService>[] = [];
  private interval: number;
  private lastLogged?: string;
  readonly status: LinkStatus;

  constructor(private readonly opts: ServerRegistrationOptions) {
    super();
    if (!(opts.heartbeatMs > 0)) throw new Error('the heartbeat interval must be positive');
    this.startedAt = opts.startedAt ?? new Date();
    this.api = new ServerApi(opts.url, opts.token);
    this.interval = opts.heartbeatMs;
    this.status = {
      state: 'idle',
      registrations: 0,
      heartbeats: 0,
      failures: 0,
      heartbeatMs: opts.heartbeatMs,
    };
  }

  private get log(): RegistrationLog {
    return this.opts.log ?? quietLog;
  }

  /** Starts registering and heartbeating in the background. */
  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** Stops heartbeating (an in-flight call is abandoned); the server lists the agent offline after its threshold. */
  async close(): Promise<void> {
    this.stop.abort();
    this.status.state = 'closed';
    await this.loop;
  }

  private services(): ReturnType<typeof wireService>[] {
    try {
      this.lastServices = this.opts.services().map(wireService);
    } catch (err) {
      // Keep reporting what was last known rather than an empty list that would wipe it.
      this.log.warn(
        { err: (err as Error).message },
        'could not read the service list; reporting the last one',
      );
    }
    return this.lastServices;
  }

  private async call(path: string, body: unknown): Promise<ServerAnswer> {
    const timeout = Math.min(this.opts.requestTimeoutMs ?? 10_000, Math.max(1000, this.interval));
    const sentAt = Date.now();
    const answer = await this.api.call<ServerAnswer>(
      'POST',
      path,
      body,
      AbortSignal.any([this.stop.signal, AbortSignal.timeout(timeout)]),
    );
    const server = Date.parse(answer.serverTime);
    if (Number.isFinite(server)) this.status.clockSkewMs = Math.round(server - (sentAt + Date.now()) / 2);
    // The server's threshold assumes its interval: never beat less often than it expects.
    if (answer.heartbeatMs > 0 && answer.heartbeatMs < this.interval) {
      this.log.info(
        { configured: this.opts.heartbeatMs, server: answer.heartbeatMs },
        'heartbeating as often as the server expects',
      );
      this.interval = answer.heartbeatMs;
      this.status.heartbeatMs = answer.heartbeatMs;
    }
    return answer;
  }

  private async register(): Promise<void> {
    this.status.state = 'registering';
    const answer = await this.call('/api/v1/agents/register', {
      ...(this.opts.name ? { name: this.opts.name } : {}),
      hostname: this.opts.hostname,
      version: this.opts.version,
      labels: this.opts.labels,
      services: this.services(),
      startedAt: this.startedAt.toISOString(),
      ...(this.opts.grpcAddress ? { grpcAddress: this.opts.grpcAddress } : {}),
    });
    Object.assign(this.status, { state: 'registered', id: answer.id, name: answer.name });
    this.status.registrations += 1;
    this.log.info(
      { id: answer.id, name: answer.name, heartbeatMs: this.interval },
      'registered with the server',
    );
    this.emit('registered', answer);
  }

  private async heartbeat(): Promise<void> {
    const answer = await this.call('/api/v1/agents/heartbeat', { services: this.services() });
    this.status.state = 'registered';
    this.status.heartbeats += 1;
    this.status.lastHeartbeatAt = new Date().toISOString();
    this.emit('heartbeat', answer);
  }

  private failed(err: unknown): number {
    const message = (err as Error).message;
    this.status.failures += 1;
    this.status.lastError = message;
    if (this.status.state !== 'closed') this.status.state = 'retrying';
    const delay = backoffDelay(
      this.status.failures,
      this.opts.retry?.initialMs ?? 1000,
      this.opts.retry?.maxMs ?? this.interval,
      0.5,
    );
    // One line per kind of failure, not one per retry.
    if (message !== this.lastLogged) {
      const refused = err instanceof ServerCallError && (err.status === 401 || err.status === 403);
      this.log.warn(
        {
          err: message,
          retryInMs: Math.round(delay),
          ...(refused
            ? { hint: 'the agent key is refused: check agent.server.token (an API key of the role agent)' }
            : {}),
        },
        'server call failed',
      );
      this.lastLogged = message;
    }
    this.emit('failure', err);
    return delay;
  }

  private async run(): Promise<void> {
    let registered = false;
    while (!this.stop.signal.aborted) {
      try {
        if (registered) await this.heartbeat();
        else {
          await this.register();
          registered = true;
        }
        if (this.status.failures > 0)
          this.log.info({ after: this.status.failures }, 'server reachable again');
        this.status.failures = 0;
        this.lastLogged = undefined;
        await pause(this.interval, this.stop.signal);
      } catch (err) {
        if (this.stop.signal.aborted) break;
        if (err instanceof ServerCallError && err.unknownAgent && registered) {
          // The server forgot this agent: register again right away.
          this.log.info({ err: err.message }, 'the server does not know this agent; registering again');
          registered = false;
          continue;
        }
        await pause(this.failed(err), this.stop.signal);
      }
    }
    this.status.state = 'closed';
  }
}

export type { ReportedService };
