import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pause, ServerApi } from '../server-api.ts';
import type { ConfigSyncSettings, ConfigTarget } from '../spec.ts';
import { writeFileAtomic } from '../supervisor/state-file.ts';
import {
  type ApplyContext,
  applyVersion,
  type Desired,
  type Report,
  repairDrift,
  type TargetState,
} from './apply.ts';
import { peerHealth } from './peer-io.ts';

export interface ConfigSyncLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ConfigSyncOptions {
  settings: ConfigSyncSettings;
  server: { url: string; token: string };
  dataDir: string;
  /** This agent's name, in the problems it reports. */
  host: string;
  log: ConfigSyncLog;
}

/** One target's outcome of a pass, as the `config.sync` command answers it. */
export interface PassResult {
  target: string;
  version: number | null;
  ok: boolean;
  error?: string;
}

interface Saved {
  targets: Record<string, TargetState>;
}

/**
 * The ConfigAgent: every `interval` (and at once on a `config.sync` command) it puts back the
 * last good configuration of a peer whose files were changed by hand, asks the server for the
 * desired version of each target on this host, applies the ones that changed, and reports each
 * target's state until the server has it. With the server down it keeps the last good
 * configurations, and still repairs them.
 */
export class ConfigSync {
  private readonly stop = new AbortController();
  private readonly client: ServerApi;
  private readonly statePath: string;
  private saved: Saved;
  /** Reports not yet taken by the server, and the last one it took, per target id. */
  private readonly pending = new Map<string, Report>();
  private readonly acked = new Map<string, Report>();
  private pass: Promise<PassResult[]> = Promise.resolve([]);
  private loop?: Promise<void>;
  /** The last problem logged per call, so a server that stays down is one line, not one a pass. */
  private readonly problems = new Map<'fetch' | 'report', string>();

  constructor(private readonly opts: ConfigSyncOptions) {
    this.client = new ServerApi(opts.server.url, opts.server.token);
    this.statePath = join(opts.dataDir, 'config-sync', 'state.json');
    this.saved = this.load();
  }

  start(): this {
    this.loop = (async () => {
      while (!this.stop.signal.aborted) {
        await this.syncNow(false).catch(() => {});
        await pause(this.opts.settings.interval, this.stop.signal);
      }
    })();
    return this;
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
    await this.pass.catch(() => {});
  }

  /** One pass after the running one; `force` tries again versions that failed here. */
  syncNow(force = true): Promise<PassResult[]> {
    this.pass = this.pass.catch(() => []).then(() => this.runPass(force));
    return this.pass;
  }

  private async runPass(force: boolean): Promise<PassResult[]> {
    for (const target of this.opts.settings.targets) {
      const state = this.saved.targets[target.name];
      if (!state) continue;
      const report = await repairDrift(this.context(target), state);
      if (report) {
        this.opts.log.warn(
          { target: target.name, error: report.error },
          'config sync: repaired by hand-made change',
        );
        this.pending.set(state.targetId, report);
      }
    }
    let desired: Desired[] | undefined;
    try {
      desired = (
        await this.client.call<{ items: Desired[] }>(
          'GET',
          '/api/v1/agent/sync-targets',
          undefined,
          this.stop.signal,
        )
      ).items;
      this.problems.delete('fetch');
    } catch (err) {
      this.problem('fetch', (err as Error).message);
    }
    const results: PassResult[] = [];
    for (const want of desired ?? []) results.push(await this.one(want, force));
    await this.sendReports();
    return results;
  }

  private async one(want: Desired, force: boolean): Promise<PassResult> {
    const target = this.opts.settings.targets.find((t) => t.name === want.name);
    // Every report carries the peer as it is now, so a change of either is sent.
    const result = async (bare: Report): Promise<PassResult> => {
      const report =
        target && target.kind === want.kind
          ? { ...bare, peer: await peerHealth(target, this.opts.settings.timeout, this.stop.signal) }
          : bare;
      const old = this.pending.get(want.id);
      // A repair this pass stays the news until the server has it.
      if (report.ok && old && !old.ok && old.appliedVersion === report.appliedVersion)
        return resultOf(want, old);
      this.pending.set(want.id, report);
      return resultOf(want, report);
    };
    if (!target || target.kind !== want.kind)
      return result({
        appliedVersion: null,
        attemptedVersion: want.version,
        ok: false,
        error: target
          ? `${want.name} is a ${target.kind} in agent.yaml on ${this.opts.host}, a ${want.kind} on the server`
          : `${want.name} is not in configSync.targets of agent.yaml on ${this.opts.host}`,
      });
    const state = this.saved.targets[target.name] ?? {
      targetId: want.id,
      version: null,
      hash: null,
      good: {},
    };
    if (state.hash === want.hash) {
      // The same content under another number (a pin of an equal version): nothing to write.
      if (state.version !== want.version)
        this.save(target.name, { ...state, targetId: want.id, version: want.version });
      return result({ appliedVersion: want.version, attemptedVersion: want.version, ok: true });
    }
    if (state.failedHash === want.hash && !force) {
      const last = this.pending.get(want.id) ?? this.acked.get(want.id);
      return last && !last.ok ? result(last) : resultOf(want, failedAgain(state, want));
    }
    const out = await applyVersion(this.context(target), state, want);
    this.save(target.name, out.state);
    this.opts.log[out.report.ok ? 'info' : 'warn'](
      {
        target: target.name,
        version: want.version,
        ...(out.report.error ? { error: out.report.error } : {}),
      },
      out.report.ok ? 'config sync: applied' : 'config sync: not applied',
    );
    return result(out.report);
  }

  private async sendReports(): Promise<void> {
    for (const [id, report] of this.pending) {
      if (JSON.stringify(this.acked.get(id)) === JSON.stringify(report)) {
        this.pending.delete(id);
        continue;
      }
      try {
        await this.client.call('POST', `/api/v1/agent/sync-targets/${id}/status`, report, this.stop.signal);
        this.acked.set(id, report);
        this.pending.delete(id);
        this.problems.delete('report');
      } catch (err) {
        this.problem('report', (err as Error).message);
        return;
      }
    }
  }

  private context(target: ConfigTarget): ApplyContext {
    return {
      target,
      settings: this.opts.settings,
      stageDir: join(this.opts.dataDir, 'config-sync', 'stage', target.name.replace(/[^A-Za-z0-9._-]/g, '_')),
      stop: this.stop.signal,
    };
  }

  private problem(call: 'fetch' | 'report', message: string): void {
    if (this.problems.get(call) === message) return;
    this.problems.set(call, message);
    this.opts.log.warn(
      { err: message },
      call === 'fetch'
        ? 'config sync: the server did not answer; keeping the last good configurations'
        : 'config sync: a report did not reach the server; it is sent again next pass',
    );
  }

  private load(): Saved {
    try {
      return JSON.parse(readFileSync(this.statePath, 'utf8')) as Saved;
    } catch {
      return { targets: {} };
    }
  }

  private save(name: string, state: TargetState): void {
    this.saved = { targets: { ...this.saved.targets, [name]: state } };
    // The good configurations may hold an Alertmanager's receiver secrets.
    writeFileAtomic(this.statePath, JSON.stringify(this.saved), 0o600);
  }
}

const resultOf = (want: Desired, r: Report): PassResult => ({
  target: want.name,
  version: r.appliedVersion,
  ok: r.ok,
  ...(r.error ? { error: r.error } : {}),
});

const failedAgain = (state: TargetState, want: Desired): Report => ({
  appliedVersion: state.version,
  attemptedVersion: want.version,
  ok: false,
  error: `version ${want.version} failed here before; send config.sync to try it again`,
});
