import { backoffDelay } from '@opsfleet/core';
import { Etcd3, type Lease } from 'etcd3';
import { type AgentFacts, quietLog, type RegistrationLog, type ServicesSource, summarize } from './report.ts';

export interface EtcdRegistrationOptions extends AgentFacts {
  /** `agent.etcd.endpoints`: `http://10.0.0.1:2379`, … */
  endpoints: string[];
  /** `agent.etcd.prefix` (default `/opsfleet/agents/`): the key is `<prefix><name>`. */
  prefix: string;
  /** `agent.name`: the last part of the key. */
  name: string;
  /** `agent.etcd.ttl`: the lease's time to live; the key outlives a dead agent this long at most. */
  ttlMs: number;
  services: ServicesSource;
  /** How often the value is rewritten when the services summary changed (default 15 s). */
  refreshMs?: number;
  /** Between attempts to (re)create the lease: `initialMs` doubling to `maxMs` (default 1 s to 30 s). */
  retry?: { initialMs?: number; maxMs?: number };
  startedAt?: Date;
  log?: RegistrationLog;
  /** How long one etcd call may take (default 5 s). */
  callTimeoutMs?: number;
}

/** The JSON value under the agent's key. */
export interface EtcdAgentValue {
  name: string;
  hostname: string;
  version: string;
  labels: Record<string, string>;
  grpcAddress: string | null;
  services: ReturnType<typeof summarize>;
  startedAt: string;
}

export type EtcdState = 'idle' | 'granting' | 'registered' | 'retrying' | 'closed';

/** The key is held by an agent on another host under the same name. */
export class EtcdKeyTaken extends Error {
  constructor(key: string, hostname: string) {
    super(`${key} is registered by an agent on ${hostname}: give this agent another agent.name`);
    this.name = 'EtcdKeyTaken';
  }
}

/**
 * Optional registration in etcd: the key `<prefix><name>` holds the agent's facts as JSON, bound
 * to a lease of `ttl` that etcd3 keeps alive. When the lease is lost (etcd unreachable for longer
 * than the TTL, or revoked from outside) a new one is made and the key written again; `close()`
 * revokes it so the key disappears at once, and an agent that dies leaves it for the TTL at most.
 * A key held by an agent on another host is not taken over (two agents with one name would
 * remove each other's key): this one waits and tries again, and says why.
 */
export class EtcdRegistration {
  readonly key: string;
  private readonly client: Etcd3;
  private readonly startedAt: Date;
  private lease?: Lease;
  private leaseId?: string;
  private written?: string;
  private refresher?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private attempts = 0;
  private closed = false;
  private establishing?: Promise<void>;
  state: EtcdState = 'idle';
  lastError?: string;
  /** Leases granted so far: more than one means a lost lease was replaced. */
  leasesGranted = 0;

  constructor(private readonly opts: EtcdRegistrationOptions) {
    if (!opts.endpoints.length) throw new Error('etcd registration needs at least one endpoint');
    if (!opts.name) throw new Error('etcd registration needs the agent name');
    this.key = `${opts.prefix}${opts.name}`;
    this.startedAt = opts.startedAt ?? new Date();
    const timeout = opts.callTimeoutMs ?? 5000;
    this.client = new Etcd3({
      hosts: opts.endpoints,
      dialTimeout: timeout,
      // Every call but the keepalive stream gives up after the timeout, so a dead etcd is noticed.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    });
  }

  private get log(): RegistrationLog {
    return this.opts.log ?? quietLog;
  }

  private get ttlSeconds(): number {
    // etcd counts leases in whole seconds.
    return Math.max(1, Math.ceil(this.opts.ttlMs / 1000));
  }

  /** The value as it would be written now. */
  value(): EtcdAgentValue {
    let services: ReturnType<typeof summarize>;
    try {
      services = summarize(this.opts.services());
    } catch {
      services = this.written ? (JSON.parse(this.written) as EtcdAgentValue).services : summarize([]);
    }
    return {
      name: this.opts.name,
      hostname: this.opts.hostname,
      version: this.opts.version,
      labels: this.opts.labels,
      grpcAddress: this.opts.grpcAddress ?? null,
      services,
      startedAt: this.startedAt.toISOString(),
    };
  }

  /** Registers in the background; `ready()` waits for the first success. */
  start(): this {
    if (this.state === 'idle') {
      this.establishing = this.establish();
      const every = this.opts.refreshMs ?? 15_000;
      this.refresher = setInterval(() => void this.refresh(), every);
      this.refresher.unref();
    }
    return this;
  }

  /** Resolves once the key has been written (or the registration is closed). */
  async ready(): Promise<void> {
    const done = () => this.closed || this.state === 'registered';
    while (!done()) {
      await this.establishing;
      if (!done()) await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Grants a lease and writes the key with it; on failure, tries again later. */
  private async establish(): Promise<void> {
    if (this.closed) return;
    this.state = this.leasesGranted ? 'retrying' : 'granting';
    const lease = this.client.lease(this.ttlSeconds, {
      deadline: Date.now() + (this.opts.callTimeoutMs ?? 5000),
    });
    // Until this lease holds the key, its loss is this attempt's failure, handled below.
    lease.on('lost', (err) => this.onLost(lease, err));
    try {
      const id = String(await lease.grant());
      this.leasesGranted += 1;
      const text = JSON.stringify(this.value());
      const put = this.client.put(this.key).value(text).lease(id);
      const txn = await this.client
        .if(this.key, 'Create', '==', 0)
        .then(put)
        .else(this.client.get(this.key))
        .commit();
      if (!txn.succeeded) {
        const held = txn.responses[0]?.response_range?.kvs?.[0];
        let holder: string | undefined;
        try {
          holder = (JSON.parse(held?.value.toString('utf8') ?? '{}') as Partial<EtcdAgentValue>).hostname;
        } catch {}
        // The same host: a previous life of this agent whose lease has not run out yet.
        if (holder !== this.opts.hostname) throw new EtcdKeyTaken(this.key, holder ?? 'an unknown host');
        await this.client.put(this.key).value(text).lease(id);
      }
      if (this.closed) {
        await lease.revoke().catch(() => undefined);
        return;
      }
      this.lease = lease;
      this.leaseId = id;
      this.written = text;
      this.attempts = 0;
      this.lastError = undefined;
      this.state = 'registered';
      this.log.info({ key: this.key, lease: id, ttlSeconds: this.ttlSeconds }, 'registered in etcd');
    } catch (err) {
      if (lease !== this.lease) await lease.revoke().catch(() => lease.release());
      if (this.closed) return;
      this.attempts += 1;
      this.lastError = (err as Error).message;
      this.state = 'retrying';
      const delay = backoffDelay(
        this.attempts,
        this.opts.retry?.initialMs ?? 1000,
        this.opts.retry?.maxMs ?? 30_000,
        0.5,
      );
      this.log.warn(
        { key: this.key, err: this.lastError, retryInMs: Math.round(delay) },
        'etcd registration failed',
      );
      this.retryTimer = setTimeout(() => {
        this.establishing = this.establish();
      }, delay);
    }
  }

  private onLost(lease: Lease, err: Error): void {
    if (this.closed || lease !== this.lease) return;
    this.log.warn(
      { key: this.key, lease: this.leaseId, err: err.message },
      'etcd lease lost; registering again',
    );
    this.lease = undefined;
    this.leaseId = undefined;
    this.written = undefined;
    this.lastError = err.message;
    this.state = 'retrying';
    this.establishing = this.establish();
  }

  /** Rewrites the value if the services summary changed since it was written. */
  async refresh(): Promise<void> {
    const lease = this.lease;
    if (!lease || this.closed) return;
    const text = JSON.stringify(this.value());
    if (text === this.written) return;
    try {
      await lease.put(this.key).value(text);
      this.written = text;
    } catch (err) {
      // A lost lease is handled by its event; anything else is tried at the next refresh.
      this.log.debug({ key: this.key, err: (err as Error).message }, 'could not update the etcd value');
    }
  }

  /** Revokes the lease (the key disappears at once) and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.refresher);
    clearTimeout(this.retryTimer);
    await this.establishing?.catch(() => undefined);
    const lease = this.lease;
    this.lease = undefined;
    if (lease)
      await lease.revoke().catch((err: Error) => {
        lease.release();
        this.log.warn(
          { key: this.key, err: err.message },
          'could not revoke the etcd lease; the key lapses with its TTL',
        );
      });
    this.state = 'closed';
    this.client.close();
  }
}
