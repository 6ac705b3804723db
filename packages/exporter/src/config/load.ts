import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, resolve } from 'node:path';
import {
  ConfigError,
  type ConfigProblem,
  type Credential,
  collectAuthPairs,
  parseAdminAuth,
  parseConfigText,
  parseDuration,
} from '@opsfleet/core';
import { shardProblems } from '../cluster/shard.ts';
import type { Account, CloudName, CollectSettings } from '../providers/provider.ts';
import {
  type AccountsFile,
  accountsFileSchema,
  normaliseAccounts,
  type ResourceVocabulary,
} from './accounts-config.ts';
import { defaultServerFile, mergeDimMapping, type ServerFile, serverFileSchema } from './server-config.ts';

export interface ExporterConfig {
  server: ServerFile['server'];
  estimation: ServerFile['estimation'];
  accounts: Account[];
  settings: CollectSettings;
  port: number;
  /** The address the HTTP port binds (`server.listen_address`, EXPORTER_LISTEN_ADDRESS). */
  host: string;
  /** Who may use the admin endpoints from other hosts; empty: loopback only. Re-read on reload. */
  adminAuth: Credential[];
  intervalMs: number;
  serverPath?: string;
  accountsPath?: string;
  /** Non-fatal findings (skipped template accounts…), logged at start and printed by check-config. */
  warnings: string[];
}

type Env = Record<string, string | undefined>;

/** The first existing path: the env variable's (which must exist when set), else the defaults. */
export function locate(envVar: string, defaults: string[], env: Env, required: boolean): string | undefined {
  const explicit = env[envVar];
  if (explicit) {
    if (!existsSync(explicit)) {
      throw new ConfigError(`${envVar}`, [
        { path: envVar, message: `file not found: ${explicit} (fix the path or unset ${envVar})` },
      ]);
    }
    return resolve(explicit);
  }
  const found = defaults.find((p) => existsSync(p));
  if (!found && required) {
    throw new ConfigError(envVar, [
      { path: envVar, message: `no file found at ${defaults.join(' or ')}: set ${envVar}` },
    ]);
  }
  return found ? resolve(found) : undefined;
}

export function parseServerFile(text: string, env: Env, label = 'server.yaml'): ServerFile {
  return parseConfigText(text, serverFileSchema, { env, label });
}

export function parseAccountsFile(text: string, env: Env, label = 'accounts.yaml'): AccountsFile {
  return parseConfigText(text, accountsFileSchema, { env, label });
}

/**
 * Builds the runtime configuration from parsed files and the environment. Every problem in
 * the accounts is reported at once, as one ConfigError.
 */
export function buildConfig(
  serverFile: ServerFile,
  accountsFile: AccountsFile,
  vocab: Partial<Record<CloudName, ResourceVocabulary>>,
  env: Env,
  paths: { serverPath?: string; accountsPath?: string } = {},
): ExporterConfig {
  const { accounts, problems, warnings: accountWarnings } = normaliseAccounts(accountsFile, vocab);
  const warnings = [...(serverFile.warnings ?? []), ...accountWarnings];
  const port = env.EXPORTER_PORT ? Number(env.EXPORTER_PORT) : serverFile.server.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push({
      path: 'EXPORTER_PORT',
      message: `must be a port between 1 and 65535, got "${env.EXPORTER_PORT}"`,
    });
  }
  let intervalMs = serverFile.server.scrape_interval;
  if (env.SCRAPE_INTERVAL) {
    try {
      intervalMs = parseDuration(env.SCRAPE_INTERVAL);
    } catch (err) {
      problems.push({ path: 'SCRAPE_INTERVAL', message: (err as Error).message });
    }
  }
  // Read when the first collection is scheduled; an unknown value meant `auto`, and a maximum
  // that is not a number started every replica at once.
  if (env.FIRST_RUN_STRATEGY && !['auto', 'immediate', 'staggered'].includes(env.FIRST_RUN_STRATEGY))
    problems.push({
      path: 'FIRST_RUN_STRATEGY',
      message: `must be auto, immediate or staggered, got "${env.FIRST_RUN_STRATEGY}"`,
    });
  if (env.FIRST_RUN_MAX_DELAY && !/^\d+$/.test(env.FIRST_RUN_MAX_DELAY))
    problems.push({
      path: 'FIRST_RUN_MAX_DELAY',
      message: `must be a whole number of seconds such as 180, got "${env.FIRST_RUN_MAX_DELAY}"`,
    });
  const host = env.EXPORTER_LISTEN_ADDRESS || serverFile.server.listen_address;
  if (host !== 'localhost' && !isIP(host))
    problems.push({
      path: env.EXPORTER_LISTEN_ADDRESS ? 'EXPORTER_LISTEN_ADDRESS' : 'server.listen_address',
      message: `must be an IP address such as 127.0.0.1 or 0.0.0.0 (or localhost), got "${host}"`,
    });
  problems.push(...shardProblems(env), ...adminAuthProblems(serverFile.server, env));
  if (problems.length) throw new ConfigError(paths.accountsPath ?? 'accounts.yaml', problems);
  const s = serverFile.server;
  const settings: CollectSettings = {
    pageSize: s.page_size,
    periodFallback: s.period_fallback,
    regionConcurrency: s.region_concurrency || 4,
    productConcurrency: s.product_concurrency || 2,
    metricConcurrency: s.metric_concurrency || 5,
    discoveryTtlMs: s.discovery_ttl,
    resourceDimMapping: mergeDimMapping(s.resource_dim_mapping),
    estimation: serverFile.estimation,
    cloudwatchDelayMs: s.cloudwatch_delay,
    defaultRegions: (env.DEFAULT_REGIONS ?? '')
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
  };
  return {
    server: s,
    estimation: serverFile.estimation,
    accounts,
    settings,
    port,
    host,
    adminAuth: collectAuthPairs(env, s),
    intervalMs,
    warnings,
    ...paths,
  };
}

const truthy = (v: unknown) => (typeof v === 'boolean' ? v : /^(1|true|yes)$/i.test(String(v ?? '').trim()));

/**
 * Admin auth switched on must come with credentials: before, "on" without any pair silently left
 * the admin endpoints open.
 */
function adminAuthProblems(server: ServerFile['server'], env: Env): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // Credentials in the environment are read only when it switches admin auth on.
  if (!truthy(env.ADMIN_AUTH_ENABLED))
    for (const name of ['ADMIN_AUTH', 'ADMIN_USERNAME', 'ADMIN_PASSWORD'])
      if (env[name])
        problems.push({
          path: name,
          message: `is set but ADMIN_AUTH_ENABLED is not, so it would protect nothing: set ADMIN_AUTH_ENABLED=true, or unset ${name}`,
        });
  if (truthy(env.ADMIN_AUTH_ENABLED)) {
    const pairs = [
      ...(env.ADMIN_AUTH ? parseAdminAuth(env.ADMIN_AUTH) : []),
      ...(env.ADMIN_USERNAME || env.ADMIN_PASSWORD
        ? [{ username: env.ADMIN_USERNAME ?? '', password: env.ADMIN_PASSWORD ?? '' }]
        : []),
    ];
    if (!pairs.length && !(truthy(server.admin_auth_enabled) && server.admin_auth.length))
      problems.push({
        path: 'ADMIN_AUTH_ENABLED',
        message:
          'admin auth is on but no credentials are set: set ADMIN_AUTH ("user:password") or ADMIN_USERNAME and ADMIN_PASSWORD, or unset ADMIN_AUTH_ENABLED',
      });
    for (const p of pairs)
      if (!p.username || !p.password)
        problems.push({
          path: env.ADMIN_AUTH ? 'ADMIN_AUTH' : 'ADMIN_USERNAME/ADMIN_PASSWORD',
          message: `${p.username ? `user "${p.username}"` : 'an entry'} has no ${p.username ? 'password' : 'user name'}: give every admin both`,
        });
  }
  if (!truthy(server.admin_auth_enabled) && server.admin_auth.length && !truthy(env.ADMIN_AUTH_ENABLED))
    problems.push({
      path: 'server.admin_auth',
      message:
        'lists credentials but admin_auth_enabled is false, so they would protect nothing: set admin_auth_enabled: true, or remove admin_auth',
    });
  if (truthy(server.admin_auth_enabled) && !server.admin_auth.length && !truthy(env.ADMIN_AUTH_ENABLED))
    problems.push({
      path: 'server.admin_auth',
      message:
        'admin_auth_enabled is true but admin_auth lists no credentials: add [{username, password}], or set admin_auth_enabled: false',
    });
  return problems;
}

/**
 * Loads server.yaml and accounts.yaml from SERVER_PATH / ACCOUNTS_PATH or the default locations.
 * Problems of both files are reported together, each path prefixed with its file.
 */
export function loadExporterConfig(
  vocab: Partial<Record<CloudName, ResourceVocabulary>>,
  env: Env = process.env,
): ExporterConfig {
  const serverPath = locate('SERVER_PATH', ['/app/configs/server.yaml', './configs/server.yaml'], env, false);
  const accountsPath = locate(
    'ACCOUNTS_PATH',
    ['/app/configs/accounts.yaml', './configs/accounts.yaml'],
    env,
    false,
  );
  const problems: ConfigProblem[] = [];
  const attempt = <T>(file: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(
        ...err.problems.map((p) => ({ path: `${basename(file)}: ${p.path}`, message: p.message })),
      );
      return undefined;
    }
  };
  const serverFile = serverPath
    ? attempt(serverPath, () => parseServerFile(readFileSync(serverPath, 'utf8'), env, serverPath))
    : defaultServerFile();
  const accountsFile = accountsPath
    ? attempt(accountsPath, () => parseAccountsFile(readFileSync(accountsPath, 'utf8'), env, accountsPath))
    : { accounts: {} };
  // accounts.yaml is checked whole even when server.yaml has problems (against the default server
  // settings then), so one run lists the problems of both files.
  const config = accountsFile
    ? attempt(accountsPath ?? 'accounts.yaml', () =>
        buildConfig(serverFile ?? defaultServerFile(), accountsFile, vocab, env, {
          serverPath,
          accountsPath,
        }),
      )
    : undefined;
  if (problems.length || !config || !serverFile) throw new ConfigError('exporter configuration', problems);
  return config;
}
