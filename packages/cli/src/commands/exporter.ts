import { ConfigError, createLogger, formatProblems, onShutdown } from '@opsfleet/core';
import {
  createExporter,
  defaultMappingPath,
  type ExporterConfig,
  loadExporterConfig,
  loadMappings,
  PROVIDERS,
  resourceVocabulary,
} from '@opsfleet/exporter';

type Env = Record<string, string | undefined>;

/** Loads the exporter config or prints every problem; `undefined` means exit 2. */
export function loadConfigOrReport(env: Env): ExporterConfig | undefined {
  try {
    return loadExporterConfig(resourceVocabulary(), env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${formatProblems(err.label, err.problems)}\n`);
      return undefined;
    }
    throw err;
  }
}

export interface StartedExporter {
  url: string;
  close(): Promise<void>;
  firstCollection(): Promise<void>;
  seriesCount(): number;
}

/**
 * Starts the exporter on `config` and registers graceful shutdown; used by `exporter` and `demo`.
 * `host` overrides the configured listen address.
 */
export async function startExporter(
  config: ExporterConfig,
  env: Env,
  host = config.host,
): Promise<StartedExporter> {
  const log = createLogger({ ...config.server.log, name: 'exporter' });
  for (const warning of config.warnings) log.warn(warning);
  const { catalog, problems } = loadMappings(env.MAPPING_PATH || defaultMappingPath());
  for (const p of problems) log.warn({ file: p.path }, `mapping file skipped: ${p.message}`);
  const exporter = await createExporter({
    config,
    catalog,
    providers: PROVIDERS,
    log,
    env,
    loadConfig: () => loadExporterConfig(resourceVocabulary(), env),
    watchConfig: true,
  });
  const address = await exporter.listen(config.port, host);
  log.info(
    { address, accounts: config.accounts.length, interval_ms: config.intervalMs },
    'exporter listening',
  );
  onShutdown(() => exporter.close(), { log });
  return {
    url: address.replace('0.0.0.0', '127.0.0.1'),
    close: () => exporter.close(),
    firstCollection: () => exporter.firstCollection(),
    seriesCount: () => exporter.store.size(),
  };
}

/**
 * `--web.listen-address host:port` (Prometheus exporters' flag; `:port` keeps the host) as the
 * EXPORTER_LISTEN_ADDRESS and EXPORTER_PORT it stands for, so a reload reads the same values.
 */
export function listenFlag(value: string | undefined, env: Env): Env | string {
  if (value === undefined) return env;
  const m = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(value);
  if (!m)
    return `--web.listen-address: expected host:port (127.0.0.1:9101, :9101 or [::1]:9101), got "${value}"`;
  return {
    ...env,
    ...(m[1] ? { EXPORTER_LISTEN_ADDRESS: m[1].replace(/^\[|\]$/g, '') } : {}),
    EXPORTER_PORT: m[2],
  };
}

/** `opsfleet exporter [--web.listen-address host:port]`: runs until a signal (-1), or 2 for a bad setting. */
export async function runExporter(env: Env = process.env, listenAddress?: string): Promise<number> {
  const withFlag = listenFlag(listenAddress, env);
  if (typeof withFlag === 'string') {
    process.stderr.write(`opsfleet exporter: ${withFlag}\n`);
    return 2;
  }
  const config = loadConfigOrReport(withFlag);
  if (!config) return 2;
  await startExporter(config, withFlag);
  return -1;
}
