/**
 * Each command's usage, and the flags it takes: `--help`, `-h` or `help` print the usage and
 * exit 0 before the command does anything (`opsfleet server --help` used to start a server), and
 * a flag the command does not know exits 2 with the usage.
 */
export interface CommandUsage {
  text: string;
  /** Flags that take a value (`--listen 127.0.0.1:8080` or `--listen=…`). */
  flags: string[];
}

export const COMMANDS: Record<string, CommandUsage> = {
  demo: {
    flags: [],
    text: `usage: opsfleet demo

Runs every part against simulated clouds on this machine: the exporter, the control plane
server (PGlite in data/demo/server), a host agent with two services, a notification receiver
and the console. Prints their addresses; Ctrl-C stops them all. What \`npm start\` does.

environment: OPSFLEET_DEMO_DIR (default data/demo), OPSFLEET_ADMIN_PASSWORD (default
opsfleet-demo), EXPORTER_PORT, SERVER_PORT, AGENT_GRPC_PORT, AGENT_HTTP_PORT (preferred ports)`,
  },
  exporter: {
    flags: ['--web.listen-address'],
    text: `usage: opsfleet exporter [--web.listen-address host:port]

Runs the multi-cloud Prometheus exporter. Configuration: SERVER_PATH and ACCOUNTS_PATH
(default ./configs/server.yaml and ./configs/accounts.yaml), MAPPING_PATH; see docs/exporter.md.

  --web.listen-address host:port   where to listen (also EXPORTER_LISTEN_ADDRESS, EXPORTER_PORT)`,
  },
  server: {
    flags: ['--listen'],
    text: `usage: opsfleet server [--listen host:port]

Runs the control plane: alert center, notifications, agents, console. DATABASE_URL
(PostgreSQL) or PGlite in DATA_DIR (default data/server); every setting in docs/server.md.

  --listen host:port   where to listen (also LISTEN_ADDRESS; default 0.0.0.0:8080)`,
  },
  migrate: {
    flags: [],
    text: `usage: opsfleet migrate

Brings the server's database schema up to date (DATABASE_URL, or PGlite in DATA_DIR) and exits.`,
  },
  'check-config': {
    flags: [],
    text: `usage: opsfleet check-config exporter

Validates the exporter's server.yaml and accounts.yaml (SERVER_PATH, ACCOUNTS_PATH) and exits
2 listing every problem of both files, 0 with a summary when they are valid.`,
  },
  'check-mappings': {
    flags: [],
    text: `usage: opsfleet check-mappings [path…]

Validates metric mapping files (default: MAPPING_PATH or the built-in catalog); exits 2
listing every problem.`,
  },
};

const HELP = new Set(['--help', '-h', 'help']);

/**
 * What to do before running `command` with `args`: print its usage and exit 0 for a help
 * request, or say which flag it does not know and exit 2; undefined to go on.
 */
export function preflight(
  command: string,
  args: string[],
  out: (s: string) => void,
  err: (s: string) => void,
) {
  const usage = COMMANDS[command];
  if (!usage) return undefined;
  if (args.some((a) => HELP.has(a))) {
    out(`${usage.text}\n`);
    return 0;
  }
  const unknown = args.find((a) => a.startsWith('-') && !usage.flags.includes(a.split('=')[0]!));
  if (unknown) {
    err(`opsfleet ${command}: unknown flag "${unknown}"\n\n${usage.text}\n`);
    return 2;
  }
  return undefined;
}
