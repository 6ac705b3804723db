#!/usr/bin/env node
import { preflight } from './usage.ts';

const USAGE = `usage: opsfleet <command>

commands:
  demo                       run every part against simulated clouds (what \`npm start\` does)
  exporter                   run the multi-cloud Prometheus exporter
  server                     run the control plane (alert center API; DATABASE_URL or PGlite in DATA_DIR)
  migrate                    bring the server's database schema up to date and exit
  agent run|status|…         run the host agent, or talk to a running one (\`opsfleet agent help\`)
  check-config exporter      validate server.yaml and accounts.yaml; exit 2 listing every problem
  check-mappings [path…]     validate metric mapping files (default: the built-in catalog or MAPPING_PATH)

\`opsfleet <command> --help\` says more about one command.`;

const [command, ...args] = process.argv.slice(2);

// Each command loads only its own modules: the exporter process should not carry the demo's
// cloud simulators.
async function main(): Promise<number> {
  const early =
    command === undefined
      ? undefined
      : preflight(
          command,
          args,
          (s) => process.stdout.write(s),
          (s) => process.stderr.write(s),
        );
  if (early !== undefined) return early;
  switch (command) {
    case 'demo':
      return (await import('./commands/demo.ts')).demo(args);
    case 'exporter':
      return (await import('./commands/exporter.ts')).runExporter();
    case 'server':
      return (await import('./commands/server.ts')).runServer();
    case 'agent':
      return (await import('./commands/agent.ts')).agentCommand(args);
    case 'migrate':
      return (await import('./commands/server.ts')).runMigrate();
    case 'check-config':
      return (await import('./commands/check-config.ts')).checkConfig(args);
    case 'check-mappings':
      return (await import('./commands/check-mappings.ts')).checkMappings(args);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`opsfleet: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

main().then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`opsfleet: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
