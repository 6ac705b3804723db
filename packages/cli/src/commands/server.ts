import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger, onShutdown, parseDuration } from '@opsfleet/core';
import {
  checkAuthSecret,
  createServer,
  type MetricsAuth,
  openDatabase,
  parseAllowList,
  type RetentionSettings,
  retentionSettings,
  SecretBox,
} from '@opsfleet/server';
import { logEnv } from './log-env.ts';

type Env = Record<string, string | undefined>;

export interface ServerSettings {
  databaseUrl?: string;
  dataDir: string;
  /** `--listen` / `LISTEN_ADDRESS` host; 0.0.0.0 when unset (every route but login, health and docs needs a credential). */
  host?: string;
  port: number;
  requestTimeoutMs?: number;
  metricsAuth?: MetricsAuth;
  resolveTimeoutMs?: number;
  closeAfterMs?: number;
  notifyTickMs?: number;
  notifyLeaseMs?: number;
  agentOfflineAfterMs?: number;
  publicUrl?: string;
  retention?: RetentionSettings;
  /** `OUTBOUND_ALLOW`: internal addresses the server may send notifications to. */
  outboundAllow?: string[];
}

/**
 * `host:port` as `--listen` and `LISTEN_ADDRESS` take it (`127.0.0.1:8080`, `[::1]:8080`,
 * `0.0.0.0:8080`).
 */
export function parseListen(raw: string, name: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(raw.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65_535)
    throw new Error(`${name} must be host:port, e.g. 127.0.0.1:8080 or [::1]:8080, got "${raw}"`);
  return { host: (m[1] ?? m[2])!, port };
}

/** `METRICS_AUTH=basic` (`METRICS_USER`, `METRICS_PASSWORD[_FILE]`) or `bearer` (`METRICS_TOKEN[_FILE]`). */
export function metricsAuthOf(env: Env): MetricsAuth | undefined {
  const secret = (name: string): string => {
    const file = env[`${name}_FILE`];
    const value = file ? readFileSync(file, 'utf8').trim() : env[name];
    if (!value) throw new Error(`METRICS_AUTH=${env.METRICS_AUTH} needs ${name} or ${name}_FILE`);
    return value;
  };
  // A credential for another mode would be ignored, leaving /metrics less protected than meant.
  const mode = env.METRICS_AUTH || 'none';
  const usedBy: Record<string, string> = {
    METRICS_USER: 'basic',
    METRICS_PASSWORD: 'basic',
    METRICS_PASSWORD_FILE: 'basic',
    METRICS_TOKEN: 'bearer',
    METRICS_TOKEN_FILE: 'bearer',
  };
  for (const [name, wanted] of Object.entries(usedBy))
    if (env[name] && mode !== wanted)
      throw new Error(
        `${name} is set but METRICS_AUTH is ${mode}, so it would protect nothing: set METRICS_AUTH=${wanted}, or unset ${name}`,
      );
  switch (mode) {
    case 'none':
      return undefined;
    case 'basic':
      return { basic: { username: env.METRICS_USER || 'metrics', password: secret('METRICS_PASSWORD') } };
    case 'bearer':
      return { bearer: secret('METRICS_TOKEN') };
    default:
      throw new Error(`METRICS_AUTH must be none, basic or bearer, got "${env.METRICS_AUTH}"`);
  }
}

/**
 * `DATABASE_URL` (PostgreSQL) or PGlite under `DATA_DIR`; `--listen` (`listenFlag`) /
 * `LISTEN_ADDRESS`, or `SERVER_PORT`.
 */
export function serverSettings(env: Env, listenFlag?: string): ServerSettings {
  const listenRaw = listenFlag ?? (env.LISTEN_ADDRESS || undefined);
  const listen =
    listenRaw === undefined
      ? undefined
      : parseListen(listenRaw, listenFlag !== undefined ? '--listen' : 'LISTEN_ADDRESS');
  const port = listen?.port ?? Number(env.SERVER_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`SERVER_PORT must be a port number (0-65535), got "${env.SERVER_PORT}"`);
  // The flag wins over both variables; between the two, a port that differs would be ignored.
  if (listenFlag === undefined && listen && env.SERVER_PORT && Number(env.SERVER_PORT) !== listen.port)
    throw new Error(
      `SERVER_PORT=${env.SERVER_PORT} and LISTEN_ADDRESS=${env.LISTEN_ADDRESS} name different ports, and LISTEN_ADDRESS wins: unset SERVER_PORT`,
    );
  logEnv(env);
  const duration = (name: string): number | undefined => {
    const raw = env[name];
    if (!raw) return undefined;
    let ms: number;
    try {
      ms = parseDuration(raw);
    } catch {
      throw new Error(`${name} must be a duration such as 30m, 6h or 1d, got "${raw}"`);
    }
    // 0 used to fall back to the default without a word.
    if (ms <= 0) throw new Error(`${name} must be longer than 0 (unset it for the default), got "${raw}"`);
    return ms;
  };
  if (env.PUBLIC_URL && !/^https?:\/\/[^/\s]+/.test(env.PUBLIC_URL))
    throw new Error(
      `PUBLIC_URL must be the console's address as users open it, such as https://opsfleet.example.com, got "${env.PUBLIC_URL}"`,
    );
  const resolveTimeoutMs = duration('ALERT_RESOLVE_TIMEOUT');
  const closeAfterMs = duration('ALERT_CLOSE_AFTER');
  const notifyTickMs = duration('NOTIFY_TICK');
  const notifyLeaseMs = duration('NOTIFY_LEASE');
  const agentOfflineAfterMs = duration('AGENT_OFFLINE_AFTER');
  const requestTimeoutMs = duration('REQUEST_TIMEOUT');
  const metricsAuth = metricsAuthOf(env);
  const dataDir = resolve(env.DATA_DIR ?? join('data', 'server'));
  // Checked here rather than when the server builds its identity service, which runs after the
  // database is opened and migrated: a bad secret then ended in a stack trace and exit 1.
  if (env.AUTH_SECRET) checkAuthSecret(env.AUTH_SECRET);
  SecretBox.checkEnv(env, dataDir);
  const outboundAllow = parseAllowList(env.OUTBOUND_ALLOW);
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir,
    ...(listen ? { host: listen.host } : {}),
    port,
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    ...(metricsAuth ? { metricsAuth } : {}),
    ...(outboundAllow.length ? { outboundAllow } : {}),
    ...(resolveTimeoutMs ? { resolveTimeoutMs } : {}),
    ...(closeAfterMs ? { closeAfterMs } : {}),
    ...(notifyTickMs ? { notifyTickMs } : {}),
    ...(notifyLeaseMs ? { notifyLeaseMs } : {}),
    ...(agentOfflineAfterMs ? { agentOfflineAfterMs } : {}),
    ...(env.PUBLIC_URL ? { publicUrl: env.PUBLIC_URL } : {}),
    retention: retentionSettings(env),
  };
}

export interface StartedServer {
  url: string;
  close(): Promise<void>;
}

/** The first start prints the admin login once; it is not logged anywhere else. */
function announceFirstAdmin(
  admin: { username: string; password: string } | undefined,
  fromEnv: boolean,
): void {
  if (!admin) return;
  process.stdout.write(
    fromEnv
      ? `first start: created user "${admin.username}" with the password from OPSFLEET_ADMIN_PASSWORD\n`
      : `first start: created user "${admin.username}" with password ${admin.password}\n` +
          '  (shown once; change it after logging in, or set OPSFLEET_ADMIN_PASSWORD before the first start)\n',
  );
}

/** Opens the database (migrating it), starts the HTTP server and registers graceful shutdown. */
export async function startServer(
  settings: ServerSettings,
  env: Env,
  host = settings.host ?? '0.0.0.0',
): Promise<StartedServer> {
  const log = createLogger({ ...logEnv(env), name: 'server' });
  const database = await openDatabase({ url: settings.databaseUrl, dataDir: settings.dataDir });
  const server = await createServer({
    database,
    log,
    authSecret: env.AUTH_SECRET || undefined,
    secretBox: SecretBox.fromEnv(env, settings.dataDir),
    resolveTimeoutMs: settings.resolveTimeoutMs,
    closeAfterMs: settings.closeAfterMs,
    notifyTickMs: settings.notifyTickMs,
    notifyLeaseMs: settings.notifyLeaseMs,
    ...(settings.agentOfflineAfterMs ? { agents: { offlineAfterMs: settings.agentOfflineAfterMs } } : {}),
    publicUrl: settings.publicUrl,
    retention: settings.retention,
    requestTimeoutMs: settings.requestTimeoutMs,
    metricsAuth: settings.metricsAuth,
    adminPassword: env.OPSFLEET_ADMIN_PASSWORD || undefined,
    outboundAllow: settings.outboundAllow,
  });
  announceFirstAdmin(server.firstAdmin, Boolean(env.OPSFLEET_ADMIN_PASSWORD));
  const address = await server.listen(settings.port, host);
  log.info({ address, database: database.kind }, 'server listening');
  onShutdown(() => server.close(), { log });
  return { url: address.replace('0.0.0.0', '127.0.0.1'), close: () => server.close() };
}

/** The settings, or undefined after saying on stderr which one is wrong (the caller exits 2). */
function settingsOrSay(command: string, env: Env, listenFlag?: string): ServerSettings | undefined {
  try {
    return serverSettings(env, listenFlag);
  } catch (err) {
    process.stderr.write(`opsfleet ${command}: ${(err as Error).message}\n`);
    return undefined;
  }
}

/** `opsfleet server [--listen host:port]`: runs until a signal (-1), or 2 for a bad setting. */
export async function runServer(env: Env = process.env, listenFlag?: string): Promise<number> {
  const settings = settingsOrSay('server', env, listenFlag);
  if (!settings) return 2;
  await startServer(settings, env);
  return -1;
}

/** `opsfleet migrate`: brings the database schema up to date and exits. */
export async function runMigrate(env: Env = process.env): Promise<number> {
  const settings = settingsOrSay('migrate', env);
  if (!settings) return 2;
  const database = await openDatabase({ url: settings.databaseUrl, dataDir: settings.dataDir });
  await database.close();
  process.stdout.write(
    `database schema is up to date (${settings.databaseUrl ? 'PostgreSQL' : `PGlite in ${settings.dataDir}`})\n`,
  );
  return 0;
}
