import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { agentRoutes } from './agents/routes.ts';
import { type AgentOptions, AgentService } from './agents/service.ts';
import { AlertFeed } from './alerts/feed.ts';
import { parseGeneric } from './alerts/ingest.ts';
import { alertMetrics } from './alerts/metrics.ts';
import { AlertOverview, alertOverviewRoutes } from './alerts/overview.ts';
import { alertRoutes } from './alerts/routes.ts';
import { AlertService } from './alerts/service.ts';
import { silenceRoutes } from './alerts/silence-routes.ts';
import { SilenceStore } from './alerts/silences.ts';
import { alertStreamRoute } from './alerts/stream-route.ts';
import { commandRoutes } from './commands/routes.ts';
import { type CommandOptions, CommandService } from './commands/service.ts';
import type { Database } from './db/database.ts';
import { type App, buildApp, type MetricsAuth } from './http/app.ts';

export type { MetricsAuth } from './http/app.ts';

import { datasourceRoutes } from './datasources/routes.ts';
import { DatasourceService } from './datasources/service.ts';
import { actionRoutes } from './files/action-routes.ts';
import { ActionStore } from './files/actions/store.ts';
import { FileService } from './files/file-service.ts';
import { fileServerMetrics } from './files/metrics.ts';
import { RouteStore } from './files/route-store.ts';
import { fileRoutes } from './files/routes.ts';
import { FileRunner, type FileRunnerOptions } from './files/runner.ts';
import { taskRoutes } from './files/task-routes.ts';
import { loggableError } from './http/log-error.ts';
import { Outbound } from './http/outbound.ts';
import { enforcePermissions } from './identity/auth.ts';
import { identityRoutes } from './identity/routes.ts';
import { processSecretBox, type SecretBox } from './identity/secret-box.ts';
import { IdentityService } from './identity/service.ts';
import { Jobs } from './jobs.ts';
import { channelRoutes } from './notify/channel-routes.ts';
import { ChannelStore } from './notify/channel-store.ts';
import { Delivery } from './notify/delivery.ts';
import { notifyMetrics } from './notify/metrics.ts';
import { Notifier } from './notify/notifier.ts';
import { outboxRoutes } from './notify/outbox-routes.ts';
import { OutboxStore } from './notify/outbox-store.ts';
import type { RetryPolicy } from './notify/retry.ts';
import { Router } from './notify/router.ts';
import { notifyRoutes } from './notify/routes.ts';
import { ruleRoutes } from './notify/rule-routes.ts';
import { RuleStore } from './notify/rule-store.ts';
import { templateRoutes } from './notify/template-routes.ts';
import { TemplateStore } from './notify/template-store.ts';
import { releaseRoutes } from './release/routes.ts';
import { ReleaseRunner } from './release/runner.ts';
import { ReleaseService } from './release/service.ts';
import { Retention, scheduleRetention } from './retention/retention.ts';
import type { RetentionSettings } from './retention/settings.ts';
import { ruleGroupRoutes } from './rules/routes.ts';
import { RuleService } from './rules/service.ts';
import { SyncService } from './rules/sync.ts';
import { syncTargetRoutes } from './rules/sync-routes.ts';

export interface ServerOptions {
  database: Database;
  /** `PUBLIC_URL`: the console's address as users reach it, for links in notifications. */
  publicUrl?: string;
  /** Where the built console is; default packages/web/dist when it has been built. */
  consoleDir?: string;
  log: Logger;
  version?: string;
  /** `AUTH_SECRET` (at least 32 bytes): signs access tokens; without it a secret is kept in the database, sealed with `secretBox`. */
  authSecret?: string;
  /** The encryption key for secrets kept in the database (`SecretBox.fromEnv`); default: one random key for this process. */
  secretBox?: SecretBox;
  /** `OPSFLEET_ADMIN_PASSWORD`: the first admin's password; without it a random one is made. */
  adminPassword?: string;
  /** `ALERT_RESOLVE_TIMEOUT`: alerts without endsAt not re-sent for this long are resolved (default 6 h). */
  resolveTimeoutMs?: number;
  /** `ALERT_CLOSE_AFTER`: resolved alerts are closed after this long (default 24 h). */
  closeAfterMs?: number;
  /** How often expiries and silence windows are applied, as a pg-boss job (default 15 s; 0 = no job runner, for tests). */
  housekeepingMs?: number;
  /** `NOTIFY_TICK`: how often group timers, retries and escalations are looked at (default and least 1 s). */
  notifyTickMs?: number;
  /** `NOTIFY_LEASE`: how long a send may take before another replica retries it (default 60 s). */
  notifyLeaseMs?: number;
  /** Retry timing of failed notifications (default: 5 s doubling to 10 min, 8 attempts). */
  notifyRetry?: RetryPolicy;
  /** `AGENT_OFFLINE_AFTER` (default 45 s) and the heartbeat interval agents are told to keep. */
  agents?: AgentOptions;
  /** When a command without a result is handed to its agent again, and how much output it keeps. */
  commands?: CommandOptions;
  /** `RETENTION_*`: how long closed alerts, sent notifications and audit entries are kept. */
  retention?: RetentionSettings;
  /** `OUTBOUND_ALLOW`: internal addresses or CIDR blocks the server may send to (default: none; docs/security/outbound.md). */
  outboundAllow?: string[];
  /** `REQUEST_TIMEOUT`: how long a client may take to send a whole request (default 30 s). */
  requestTimeoutMs?: number;
  /** `METRICS_AUTH`: the credentials `/metrics` asks for (default: none, see docs/security/http.md). */
  metricsAuth?: MetricsAuth;
  /** How often file tasks are looked at and when a silent runner's task is taken again (defaults: 2 s, 60 s). */
  fileRunner?: Pick<FileRunnerOptions, 'pollMs' | 'heartbeatMs' | 'staleMs' | 'slots'>;
}

export interface Server {
  app: App;
  jobs?: Jobs;
  alerts: AlertService;
  identity: IdentityService;
  notifier: Notifier;
  agents: AgentService;
  commands: CommandService;
  retention: Retention;
  files: FileRunner;
  /** Set at the first start only: the admin login to show once. */
  firstAdmin?: { username: string; password: string };
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** packages/web/dist when the console has been built (`npm run build -w @opsfleet/web`). */
function builtConsole(): string | undefined {
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('@opsfleet/web/package.json')), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The control plane: every domain's routes on one app over one database. */
export async function createServer(opts: ServerOptions): Promise<Server> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { db } = opts.database;
  const app = await buildApp({
    consoleDir: opts.consoleDir ?? builtConsole(),
    logger: opts.log as unknown as FastifyBaseLogger,
    version: opts.version ?? '0.1.0',
    registry,
    requestTimeoutMs: opts.requestTimeoutMs,
    metricsAuth: opts.metricsAuth,
    ready: async () => {
      await db.execute(sql`SELECT 1`);
      return true;
    },
  });
  const box = opts.secretBox ?? processSecretBox();
  const identity = await IdentityService.open(opts.database, {
    secret: opts.authSecret,
    box,
  });
  const net = new Outbound({ allow: opts.outboundAllow });
  const channels = new ChannelStore(db, box, net);
  const { resealed } = await channels.reseal();
  if (resealed) opts.log.info({ channels: resealed }, 'channel secrets sealed with the current key');
  const firstAdmin = await identity.ensureFirstAdmin(opts.adminPassword);
  enforcePermissions(app, identity);
  const silences = await SilenceStore.open(opts.database, () => new Date());
  const feed = new AlertFeed(opts.database);
  await feed.start();
  // Without PUBLIC_URL, links in notifications point at the address the server listens on.
  let publicUrl = opts.publicUrl ?? '';
  const consoleUrl = () => publicUrl;
  const rules = new RuleStore(db);
  const notifier = new Notifier(
    new Router({
      db,
      rules,
      silences: () => silences.active(),
      consoleUrl,
      maxAttempts: opts.notifyRetry?.maxAttempts,
    }),
    new Delivery({
      db,
      log: opts.log,
      box,
      net,
      leaseMs: opts.notifyLeaseMs,
      retry: opts.notifyRetry,
      onAttempt: notifyMetrics(registry, db).attempt,
    }),
    opts.log,
  );
  const ingestMetrics = alertMetrics(registry);
  const alerts = new AlertService(db, {
    onIngest: ingestMetrics.observe,
    onRepeat: ingestMetrics.repeat,
    silences: () => silences.active(),
    timeoutMs: opts.resolveTimeoutMs,
    closeAfterMs: opts.closeAfterMs,
    onChange: (fingerprints) => {
      notifier.kick();
      feed
        .publish(fingerprints)
        .catch((err) => opts.log.warn({ err: loggableError(err) }, 'alert feed publish failed'));
    },
  });
  const datasources = new DatasourceService(db, box, net, (...entry) => identity.audit(...entry));
  const commands = await CommandService.open(
    opts.database,
    (...entry) => identity.audit(...entry),
    opts.commands,
  );
  const sync = new SyncService(db, (...entry) => identity.audit(...entry), {
    box,
    keys: identity,
    commands,
    raise: async (report) => {
      await alerts.ingest(parseGeneric(report, new Date()), 'config-sync');
    },
    log: opts.log,
  });
  const alertRules = new RuleService(
    db,
    datasources,
    (...entry) => identity.audit(...entry),
    async (ids) => {
      for (const id of new Set(ids)) await sync.refreshDatasource(id);
    },
  );
  alertRoutes(app, alerts, (ruleId) => alertRules.ruleOf(ruleId));
  alertStreamRoute(app, alerts, feed, identity);
  silenceRoutes(app, silences, alerts, identity);
  const agents = new AgentService(db, opts.agents);
  agentRoutes(app, agents, identity);
  commandRoutes(app, commands);
  const release = new ReleaseRunner(db, commands, (...entry) => identity.audit(...entry), opts.log);
  releaseRoutes(
    app,
    new ReleaseService(
      db,
      commands,
      (...entry) => identity.audit(...entry),
      () => release.kick(),
    ),
  );
  datasourceRoutes(app, datasources);
  ruleGroupRoutes(app, alertRules);
  syncTargetRoutes(app, sync);
  fileRoutes(app, new FileService(opts.database));
  fileServerMetrics(registry, db);
  const fileActions = new ActionStore(db, box, net);
  const fileRouting = new RouteStore(db);
  const files = new FileRunner({
    database: opts.database,
    actions: fileActions,
    routes: fileRouting,
    net,
    log: opts.log,
    ...opts.fileRunner,
  });
  actionRoutes(app, fileActions, fileRouting, identity);
  taskRoutes(app, db, files, identity);
  await files.start();
  alertOverviewRoutes(app, new AlertOverview(db, async () => (await agents.list({ limit: 1 })).counts));
  const every = opts.housekeepingMs ?? 15_000;
  const jobs = every > 0 ? await Jobs.start(opts.database, opts.log) : undefined;
  await jobs?.every('alert-housekeeping', every / 1000, async () => {
    await agents
      .housekeep()
      .catch((err) => opts.log.warn({ err: loggableError(err) }, 'agent housekeeping failed'));
    await commands
      .housekeep()
      .catch((err) => opts.log.warn({ err: loggableError(err) }, 'command housekeeping failed'));
    release.kick();
    if ((await alerts.housekeep()) > 0) notifier.kick();
  });
  const retention = new Retention({
    database: opts.database,
    log: opts.log,
    registry,
    settings: opts.retention,
  });
  if (jobs) await scheduleRetention(jobs, retention);
  // pg-boss keeps one job per whole second at most.
  if (jobs) await notifier.start(jobs, Math.max(1, Math.round((opts.notifyTickMs ?? 1000) / 1000)));
  identityRoutes(app, identity);
  notifyRoutes(app, consoleUrl);
  channelRoutes(app, channels, identity, consoleUrl, net);
  templateRoutes(app, new TemplateStore(db), identity);
  ruleRoutes(app, rules, identity);
  outboxRoutes(app, new OutboxStore(db), identity, () => notifier.wake());
  // Idempotent: a test (or a shutdown hook) may close what was already closed.
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await notifier.close();
      retention.stop();
      await jobs?.stop();
      // Long polls waiting for commands answer now instead of holding the close up.
      await commands.close();
      await release.idle();
      await files.close();
      await app.close();
      await feed.close();
      await silences.close();
      net.close();
      await identity.close();
      await opts.database.close();
    })());
  return {
    app,
    jobs,
    alerts,
    identity,
    notifier,
    agents,
    commands,
    retention,
    files,
    firstAdmin,
    listen: async (port, host = '0.0.0.0') => {
      const address = await app.listen({ port, host });
      publicUrl ||= address.replace('0.0.0.0', '127.0.0.1');
      return address;
    },
    close,
  };
}
