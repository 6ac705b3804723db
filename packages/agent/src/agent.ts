import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@opsfleet/core';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { CommandChannel } from './commands/channel.ts';
import { type LoadedConfig, parseAgentConfig } from './config/load.ts';
import { maskedPaths, maskValue, maskYaml } from './config/mask.ts';
import { settingsNeedingRestart } from './config/restart-settings.ts';
import { type ConfigWatcher, watchConfig } from './config/watch.ts';
import { ConfigSync } from './config-sync/index.ts';
import { AgentError } from './errors.ts';
import { FilePipeline } from './files/index.ts';
import { HealthMonitor } from './health/monitor.ts';
import { HealthReporter } from './health/report.ts';
import { serviceHealth } from './health/service-health.ts';
import { type LogLine, parseLevel, queryLogs } from './logs/query.ts';
import { Rotator, rotationTargets } from './logs/rotation.ts';
import { followLog } from './logs/stream.ts';
import { renderMetrics } from './metrics/registry.ts';
import { serviceSnapshots, systemSnapshot } from './metrics/snapshot.ts';
import { startTelemetry, type Telemetry } from './metrics/telemetry.ts';
import { type Registrations, type ReportedService, startRegistrations } from './registration/index.ts';
import { type CreatedToken, resolveTokens, type Tokens } from './rpc/auth.ts';
import type {
  AgentOps,
  ApplyResult,
  CheckResultView,
  CheckView,
  CommandAction,
  LogLineView,
  LogQuery,
  ServiceView,
} from './rpc/ops.ts';
import { type RpcServer, startRpc } from './rpc/server.ts';
import type { AgentConfig, ServiceStatus } from './spec.ts';
import { Supervisor } from './supervisor/supervisor.ts';
import { SystemdBackend } from './systemd/systemd-backend.ts';

/**
 * The host agent: one supervisor, the health monitor watching what it runs, metrics, log
 * rotation, registration, the gRPC API and the HTTP endpoints, all from one agent.yaml that is
 * reloaded when it changes. Implements the operations the gRPC API offers.
 */
export interface AgentOptions {
  /** agent.yaml; watched for changes. */
  configPath: string;
  log: Logger;
  version?: string;
  env?: Record<string, string | undefined>;
}

export class Agent implements AgentOps {
  private rpc?: RpcServer;
  private http?: HttpServer;
  private watcher?: ConfigWatcher;
  private registrations?: Registrations;
  private commands?: CommandChannel;
  private configSync?: ConfigSync;
  private files?: FilePipeline;
  private reporter?: HealthReporter;
  private systemd?: SystemdBackend;
  /** The systemd services' last known status, refreshed every few seconds and after commands. */
  private systemdStatus: ServiceStatus[] = [];
  private systemdTimer?: NodeJS.Timeout;
  private readonly started = Date.now();
  private tokens: Tokens;
  /** Tokens this start generated (the first start without tokens in agent.yaml), to show once. */
  readonly createdTokens: CreatedToken[];
  private readonly reloadFailures: Counter<'reason'>;

  private constructor(
    private readonly opts: AgentOptions,
    private loaded: LoadedConfig,
    readonly supervisor: Supervisor,
    readonly monitor: HealthMonitor,
    readonly telemetry: Telemetry,
    private readonly rotator: Rotator,
  ) {
    const { tokens, created } = resolveTokens(loaded.config.agent);
    this.tokens = tokens;
    this.createdTokens = created;
    this.reloadFailures = new Counter({
      name: 'opsfleet_agent_config_reload_failures_total',
      help: 'agent.yaml changes not applied, by reason: invalid (empty, unparsable or failing validation; nothing changed) or apply (valid, but applying it failed part way).',
      labelNames: ['reason'],
      registers: [telemetry.registry],
    });
    // Present from the start, so an alert on increase() sees the first failure.
    for (const reason of ['invalid', 'apply']) this.reloadFailures.inc({ reason }, 0);
  }

  /** The configuration running now. */
  get current(): AgentConfig {
    return this.loaded.config;
  }

  /** Reads agent.yaml (a ConfigError lists every problem), adopts or starts the services, opens the APIs. */
  static async start(opts: AgentOptions): Promise<Agent> {
    const loaded = parseAgentConfig(readFileSync(opts.configPath, 'utf8'), opts.env, opts.configPath);
    const { agent: settings } = loaded.config;
    for (const w of loaded.warnings) opts.log.warn(w, 'a discovered package was skipped');
    const supervisor = new Supervisor({ dataDir: settings.dataDir, log: opts.log });
    const reporter = settings.server
      ? new HealthReporter({
          url: settings.server.url,
          token: settings.server.token,
          log: opts.log,
          ...(settings.name ? { host: settings.name } : {}),
        })
      : undefined;
    let agent: Agent | undefined;
    const health = new HealthMonitor({
      runtime: (name) => agent?.status(name),
      restart: (name) =>
        agent?.backendOf(name) === 'systemd'
          ? agent.systemd!.restart(name)
          : supervisor.recover(name, 'a health check is critical'),
      onTransition: (e) => reporter?.report(e),
      log: opts.log,
    });
    const telemetry = startTelemetry(settings, {
      services: () =>
        supervisor.list().map(({ name, pid, restarts, state }) => ({ name, pid, restarts, state })),
      // The sampler reads every process of /proc: the supervisor's tree pass uses that read.
      onProcessTable: (table) => supervisor.trackTreesIn(table.byPid.values()),
      onError: (what, err) => opts.log.debug({ what, err: String(err) }, 'metrics source failed'),
    });
    const rotator = new Rotator({
      dir: join(settings.dataDir, 'logs'),
      onError: (err, name) => opts.log.warn({ service: name, err: String(err) }, 'log rotation failed'),
    });
    agent = new Agent(opts, loaded, supervisor, health, telemetry, rotator);
    agent.reporter = reporter;
    const systemd = settings.systemd;
    if (systemd || loaded.config.services.some((x) => x.backend === 'systemd'))
      agent.systemd = new SystemdBackend({
        dataDir: settings.dataDir,
        ...(systemd?.mode ? { mode: systemd.mode } : {}),
        ...(systemd?.unitDir ? { unitDir: systemd.unitDir } : {}),
        systemctl: { binary: systemd?.systemctl ?? 'systemctl' },
      });
    if (reporter) reportFatal(supervisor, reporter);
    await agent.applyLoaded(loaded);
    rotator.start();
    agent.rpc = await startRpc(agent, {
      listen: settings.grpc.listen,
      ...(settings.grpc.tls ? { tls: settings.grpc.tls } : {}),
      tokens: () => agent!.tokens,
    });
    agent.http = await agent.listenHttp(settings.http.listen);
    agent.registrations = startRegistrations(settings, {
      version: opts.version ?? '0.1.0',
      services: () => agent!.reportedServices(),
      grpcAddress: agent.rpc.address,
      log: opts.log,
    });
    if (settings.server) {
      const host = hostname();
      if (settings.configSync)
        agent.configSync = new ConfigSync({
          settings: settings.configSync,
          server: settings.server,
          dataDir: settings.dataDir,
          host: settings.name ?? host,
          log: opts.log,
        }).start();
      agent.commands = new CommandChannel({
        url: settings.server.url,
        token: settings.server.token,
        dataDir: settings.dataDir,
        host: {
          name: settings.name ?? host,
          hostname: host,
          version: opts.version ?? '0.1.0',
          services: () => agent!.services(),
          command: (service, action) => agent!.command(service, action),
          ...(agent.configSync ? { syncConfig: () => agent!.configSync!.syncNow() } : {}),
        },
        log: opts.log,
      }).start();
    }
    if (agent.systemd) {
      // systemd restarts by itself; this looks at its units and runs the FATAL cool-down.
      agent.systemdTimer = setInterval(() => void agent!.refreshSystemd(true), 5000);
      agent.systemdTimer.unref();
    }
    agent.watcher = watchConfig(
      opts.configPath,
      {
        onChange: (next) =>
          void agent.applyLoaded(next).catch((err) => {
            agent!.reloadFailures.inc({ reason: 'apply' });
            opts.log.error({ err: String(err) }, 'reload failed');
          }),
        onInvalid: (err) => {
          agent!.reloadFailures.inc({ reason: 'invalid' });
          opts.log.error(
            { problems: err.problems },
            'agent.yaml changed but is not valid; still running the last good one',
          );
        },
      },
      { env: opts.env },
    );
    opts.log.info({ grpc: agent.rpc.address, http: agent.httpAddress }, 'agent started');
    return agent;
  }

  get grpcAddress(): string {
    return this.rpc?.address ?? '';
  }

  get httpAddress(): string {
    const a = this.http?.address();
    return a && typeof a === 'object' ? `${a.address}:${a.port}` : '';
  }

  private async applyLoaded(loaded: LoadedConfig): Promise<ApplyResult> {
    const all = loaded.config.services;
    const r = await this.supervisor.apply(all.filter((x) => x.backend === 'direct'));
    const units = this.systemd ? await this.systemd.apply(all) : undefined;
    if (units && this.systemd) {
      const auto = new Set(all.filter((x) => x.autostart).map((x) => x.name));
      for (const name of units.added) if (auto.has(name)) await this.systemd.start(name);
      for (const name of units.changed) await this.systemd.restart(name);
      r.started.push(...units.added.filter((n) => auto.has(n)));
      r.restarted.push(...units.changed);
      r.stopped.push(...units.removed);
      r.unchanged.push(...units.unchanged);
      await this.refreshSystemd(false);
    }
    const waiting = settingsNeedingRestart(this.loaded.config.agent, loaded.config.agent);
    if (waiting.length)
      this.opts.log.warn(
        { settings: waiting },
        'agent settings changed; they take effect at the next agent start',
      );
    this.loaded = loaded;
    this.tokens = resolveTokens(loaded.config.agent).tokens;
    this.monitor.setServices(loaded.config.services);
    this.rotator.setServices(rotationTargets(loaded.config.services));
    await this.applyFiles(loaded.config);
    this.opts.log.info(r, 'services applied');
    return {
      applied: true,
      problems: [],
      started: [...r.started, ...r.added],
      stopped: r.stopped,
      restarted: r.restarted,
      unchanged: [...r.unchanged, ...r.updated, ...r.adopted],
    };
  }

  private listenHttp(listen: string): Promise<HttpServer> {
    const server = createServer((req, res) => {
      if (req.url === '/metrics')
        void renderMetrics(this.telemetry.registry).then(({ contentType, body }) =>
          res.writeHead(200, { 'content-type': contentType }).end(body),
        );
      else if (req.url === '/healthz' || req.url === '/readyz')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      else
        res
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('not found: try /metrics, /healthz, /readyz\n');
    });
    const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
    const host = listen.slice(0, listen.lastIndexOf(':'));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  }

  /** Every service, whichever backend runs it. */
  statuses(): ServiceStatus[] {
    return [...this.supervisor.list(), ...this.systemdStatus];
  }

  /** The services with their health, as the server's agent list shows them. */
  reportedServices(): ReportedService[] {
    const health = serviceHealth(this.monitor.status());
    return this.statuses().map((s) => {
      const h = health.get(s.name);
      return h === undefined ? s : { ...s, health: h };
    });
  }

  status(name: string): ServiceStatus | undefined {
    return this.supervisor.get(name) ?? this.systemdStatus.find((x) => x.name === name);
  }

  backendOf(name: string): 'direct' | 'systemd' | undefined {
    return this.current.services.find((x) => x.name === name)?.backend;
  }

  private async refreshSystemd(tick: boolean): Promise<void> {
    if (!this.systemd) return;
    try {
      if (tick) await this.systemd.tick();
      this.systemdStatus = await this.systemd.list();
    } catch (err) {
      this.opts.log.warn({ err: String(err) }, 'could not read the systemd units');
    }
  }

  services(): ServiceView[] {
    return this.statuses().map(view);
  }

  /** The running configuration and the file, secrets masked: a read-only token may see it. */
  config(service?: string): { json: string; yaml: string } {
    const spec = service ? this.current.services.find((s) => s.name === service) : this.current;
    if (!spec) throw new AgentError('not-found', `no service ${service} is supervised here`);
    return {
      json: JSON.stringify(maskValue(spec), null, 2),
      yaml: maskYaml(readFileSync(this.opts.configPath, 'utf8')),
    };
  }

  /** New agent.yaml text: checked first; written and applied (as a reload) when valid. */
  async applyConfig(yaml: string, dryRun: boolean): Promise<ApplyResult> {
    let next: LoadedConfig;
    const refused = (problems: ApplyResult['problems']): ApplyResult => ({
      applied: false,
      problems,
      started: [],
      stopped: [],
      restarted: [],
      unchanged: [],
    });
    try {
      next = parseAgentConfig(yaml, this.opts.env, this.opts.configPath);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return refused(err.problems);
    }
    const masked = maskedPaths(next.config);
    if (masked.length)
      return refused(
        masked.map((path) => ({
          path,
          message: 'is the mask GetConfig shows in place of a secret; send the real value',
        })),
      );
    if (dryRun)
      return { applied: false, problems: [], started: [], stopped: [], restarted: [], unchanged: [] };
    this.watcher?.applied(yaml);
    // Renamed into place, so the watcher never reads half a file. The file holds tokens: it
    // keeps the mode it had (an operator may have narrowed it), or 0600 when it had none.
    const tmp = `${this.opts.configPath}.${process.pid}.tmp`;
    const mode = statSync(this.opts.configPath, { throwIfNoEntry: false })?.mode ?? 0o600;
    writeFileSync(tmp, yaml, { mode: mode & 0o777 });
    chmodSync(tmp, mode & 0o777);
    renameSync(tmp, this.opts.configPath);
    return this.applyLoaded(next);
  }

  async command(service: string, action: CommandAction): Promise<ServiceView> {
    if (this.backendOf(service) !== 'systemd' || !this.systemd)
      return view(await this.supervisor[action](service));
    await this.systemd[action](service);
    await this.refreshSystemd(false);
    return view(await this.systemd.status(service));
  }

  private known(service: string): void {
    if (!this.current.services.some((s) => s.name === service))
      throw new AgentError('not-found', `no service ${service} is supervised here`);
  }

  async logs(service: string, q: LogQuery): Promise<LogLineView[]> {
    this.known(service);
    const level = parseLevel(q.level);
    const r = await queryLogs(join(this.current.agent.dataDir, 'logs'), service, {
      keyword: q.keyword,
      ...(level ? { level } : {}),
      since: q.since,
      until: q.until,
      tail: q.tail ?? (q.since || q.until ? undefined : 100),
    });
    return r.lines.map((l) => lineView(service, l));
  }

  async *followLogs(service: string, q: LogQuery, signal: AbortSignal): AsyncIterable<LogLineView> {
    this.known(service);
    const level = parseLevel(q.level);
    const follower = followLog(join(this.current.agent.dataDir, 'logs'), service, {
      signal,
      keyword: q.keyword,
      ...(level ? { level } : {}),
      lines: q.tail ?? 0,
    });
    for await (const line of follower) yield lineView(service, line);
  }

  health(service?: string): CheckView[] {
    if (service) this.known(service);
    return this.monitor.status(service).map((c) => ({
      service: c.service,
      check: c.check,
      state: c.state,
      output: c.lastOutput ?? '',
      lastRunAt: c.lastRunAt ?? '',
      consecutiveFailures: c.consecutiveFailures,
    }));
  }

  healthHistory(service: string, check: string, limit: number): CheckResultView[] {
    const h = this.monitor.history(service, check);
    if (!h) throw new AgentError('not-found', `no check ${check} on service ${service}`);
    return h.results.slice(-limit).map((r) => ({ at: r.at, status: r.status, output: r.output, ms: r.ms }));
  }

  systemMetrics() {
    return systemSnapshot(this.telemetry.registry);
  }

  serviceMetrics() {
    return serviceSnapshots(this.telemetry.registry);
  }

  /** Starts, changes or stops the file pipeline as agent.yaml's `files:` says. */
  private async applyFiles(config: AgentConfig): Promise<void> {
    if (!config.files) {
      await this.files?.close();
      this.files = undefined;
    } else if (this.files) await this.files.update(config.files);
    else
      this.files = await FilePipeline.start({
        settings: config.files,
        dataDir: config.agent.dataDir,
        host: config.agent.name ?? hostname(),
        ...(config.agent.server ? { server: config.agent.server } : {}),
        registry: this.telemetry.registry,
        log: this.opts.log,
      });
  }

  /**
   * Stops the agent. `leaveServices` (the default on SIGTERM) leaves them running for the next
   * agent to adopt; otherwise they are stopped, dependents first.
   */
  async close(leaveServices = true): Promise<void> {
    this.watcher?.close();
    clearInterval(this.systemdTimer);
    await this.commands?.close();
    await this.configSync?.close();
    await this.files?.close();
    await this.registrations?.close();
    await this.rpc?.close();
    await new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r()));
    await this.monitor.close();
    await this.reporter?.close();
    await this.rotator.stop();
    await this.telemetry.stop();
    await (leaveServices ? this.supervisor.detach() : this.supervisor.close());
    // systemd keeps its units running without the agent; stop them only when asked to.
    if (!leaveServices && this.systemd)
      for (const s of this.systemdStatus) await this.systemd.stop(s.name).catch(() => undefined);
    this.opts.log.info({ ranMs: Date.now() - this.started }, 'agent stopped');
  }
}

/**
 * A service that gave up (FATAL: too many restarts in its window) is an alert, reported like a
 * critical health check named `supervisor`; it resolves when the service runs again.
 */
function reportFatal(supervisor: Supervisor, reporter: HealthReporter): void {
  const fatal = new Set<string>();
  supervisor.onChange((s) => {
    const was = fatal.has(s.name);
    if (s.state === 'fatal' && !was) fatal.add(s.name);
    else if (s.state === 'running' && was) fatal.delete(s.name);
    else return;
    reporter.report({
      service: s.name,
      check: 'supervisor',
      from: was ? 'critical' : 'passing',
      to: was ? 'passing' : 'critical',
      output: s.reason ?? s.state,
      at: new Date().toISOString(),
    });
  });
}

function view(s: ServiceStatus): ServiceView {
  const started = s.startedAt ? Date.parse(s.startedAt) : undefined;
  return {
    name: s.name,
    state: s.state,
    backend: s.backend,
    pid: s.pid ?? 0,
    startedAt: s.startedAt ?? '',
    uptimeSeconds: started && s.state === 'running' ? (Date.now() - started) / 1000 : 0,
    restarts: s.restarts,
    reason: s.reason ?? '',
    nextStartAt: s.nextStartAt ?? '',
    lastExitCode: s.lastExit?.code ?? -1,
    lastExitSignal: s.lastExit?.signal ?? '',
  };
}

const lineView = (service: string, l: LogLine): LogLineView => ({
  service,
  text: l.text,
  level: l.level,
  time: l.time ? new Date(l.time).toISOString() : '',
});
