import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

/**
 * The command line, on commander: every command, its flags and its help. `--help`, `-h` and
 * `help` print a command's usage and exit 0 before anything of the command runs (`opsfleet
 * server --help` once started a server); an unknown command or flag, or a bad value, exits 2
 * with the message and the usage on stderr. Each action imports its command's module when it
 * runs, so the exporter process does not carry the demo's cloud simulators.
 */

type Env = Record<string, string | undefined>;

const AGENT_ENV = `
The client commands find the agent through its agent.yaml (AGENT_CONFIG, else ./agent.yaml, else
/etc/opsfleet/agent.yaml): its gRPC address, and its token (agent.grpc.token, else the token
files the agent wrote in its data folder, admin first, then read-only). OPSFLEET_AGENT (host:port)
and OPSFLEET_AGENT_TOKEN override them; OPSFLEET_AGENT_CA (a PEM file) switches to TLS.
\`run\` reads AGENT_CONFIG when no file is given, LOG_LEVEL and LOG_FORMAT (json or console).`;

const CONTROL = {
  start: 'start a service (its dependencies first)',
  stop: 'stop a service and its whole process tree',
  restart: 'stop and start a service',
  pause: "SIGSTOP a service's process tree; its health checks pause, it is not restarted",
  resume: 'SIGCONT a paused service',
} as const;

function nonNegativeInteger(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new InvalidArgumentError('expected a whole number of lines, such as 50.');
  return Number(raw);
}

/**
 * The `opsfleet` command tree. `done` receives each action's exit code (-1: a server that keeps
 * running until a signal).
 */
export function commandTree(done: (code: number) => void = () => {}, env: Env = process.env): Command {
  const program = new Command('opsfleet')
    .description('opsfleet: multi-cloud exporter, control plane server and host agent.')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('demo')
    .summary('run every part against simulated clouds (what `npm start` does)')
    .description(
      'run every part against simulated clouds on this machine (what `npm start` does): the exporter, the control plane server (PGlite in data/demo/server), a host agent with two services, a notification receiver and the console; prints their addresses, Ctrl-C stops them all',
    )
    .addHelpText(
      'after',
      `
Environment: OPSFLEET_DEMO_DIR (default data/demo), OPSFLEET_ADMIN_PASSWORD (default
opsfleet-demo), EXPORTER_PORT, SERVER_PORT, AGENT_GRPC_PORT, AGENT_HTTP_PORT (preferred ports).`,
    )
    .action(async () => done(await (await import('./commands/demo.ts')).demo([])));

  // Prometheus exporters' spelling; commander would store it as `web.listenAddress`.
  const listenAddress = new Option(
    '--web.listen-address <host:port>',
    'where to listen; `:port` keeps the configured host (wins over EXPORTER_LISTEN_ADDRESS and EXPORTER_PORT)',
  );
  program
    .command('exporter')
    .description('run the multi-cloud Prometheus exporter')
    .addOption(listenAddress)
    .addHelpText(
      'after',
      `
Configuration: SERVER_PATH and ACCOUNTS_PATH (default ./configs/server.yaml and
./configs/accounts.yaml), MAPPING_PATH; see docs/exporter.md.`,
    )
    .action(async (options: Record<string, string | undefined>) =>
      done(
        await (await import('./commands/exporter.ts')).runExporter(
          env,
          options[listenAddress.attributeName()],
        ),
      ),
    );

  program
    .command('server')
    .description('run the control plane: alert center, notifications, agents, console')
    .option('--listen <host:port>', 'where to listen (wins over LISTEN_ADDRESS; default 0.0.0.0:8080)')
    .addHelpText(
      'after',
      `
DATABASE_URL (PostgreSQL) or PGlite in DATA_DIR (default data/server); every setting is an
environment variable, listed in docs/server.md.`,
    )
    .action(async (options: { listen?: string }) =>
      done(await (await import('./commands/server.ts')).runServer(env, options.listen)),
    );

  program
    .command('migrate')
    .summary("bring the server's database schema up to date and exit")
    .description(
      "bring the server's database schema up to date (DATABASE_URL, or PGlite in DATA_DIR) and exit",
    )
    .action(async () => done(await (await import('./commands/server.ts')).runMigrate(env)));

  const agent = program
    .command('agent')
    .description('run the host agent, or talk to a running one')
    .addHelpText('after', AGENT_ENV);
  const withAgent = async (run: (agent: typeof import('./commands/agent.ts')) => Promise<number>) =>
    done(await run(await import('./commands/agent.ts')));
  agent
    .command('run')
    .description('run the agent in the foreground')
    .argument('[agent.yaml]', 'its configuration (default AGENT_CONFIG or ./agent.yaml)')
    .action((file?: string) => withAgent((a) => a.agentRun(file, env)));
  agent
    .command('status')
    .description('the services: state, pid, uptime, restarts, reason')
    .action(() => withAgent((a) => a.agentStatus(env)));
  for (const [action, description] of Object.entries(CONTROL))
    agent
      .command(action)
      .description(description)
      .argument('<service>')
      .action((service: string) =>
        withAgent((a) => a.agentControl(action as keyof typeof CONTROL, service, env)),
      );
  agent
    .command('logs')
    .description("a service's recent log lines")
    .argument('<service>')
    .option('-f, --follow', 'print new lines as they come, until Ctrl-C')
    .option('--tail <lines>', 'how many recent lines to print first', nonNegativeInteger, 50)
    .addOption(
      new Option('--level <level>', 'only lines at this level or above').choices([
        'trace',
        'debug',
        'info',
        'warn',
        'error',
        'fatal',
      ]),
    )
    .option('--grep <text>', 'only lines containing this text (case-insensitive)')
    .action((service: string, options: { follow?: boolean; tail: number; level?: string; grep?: string }) =>
      withAgent((a) => a.agentLogs(service, options, env)),
    );
  agent
    .command('health')
    .description('health checks and their state')
    .argument('[service]', 'only this service')
    .action((service?: string) => withAgent((a) => a.agentHealth(service, env)));
  agent
    .command('detach')
    .description(
      'start a process that outlives the caller and the agent (what a deploy script runs as $OPSFLEET_DETACH); prints its pid, or its unit for systemd-run',
    )
    .addOption(
      new Option(
        '--method <method>',
        "systemd-run: a transient unit outside the agent's cgroup; setsid: a new session; nohup: same session (weakest)",
      )
        .choices(['auto', 'systemd-run', 'setsid', 'nohup'])
        .default('auto'),
    )
    .option('--log <file>', 'append its stdout and stderr here (needed by setsid and nohup)')
    .option('--unit <name>', 'systemd-run: the unit name')
    .option('--pid-file <file>', 'write its pid here (setsid, nohup)')
    .option('--cwd <dir>', 'its working folder')
    .argument('<command...>', 'the command and its arguments, after --')
    .action(async (command: string[], options: import('./commands/agent-detach.ts').DetachOptions) =>
      done(await (await import('./commands/agent-detach.ts')).agentDetach(options, command)),
    );

  program
    .command('check-config')
    .summary("validate the exporter's configuration (check-config exporter)")
    .description('validate a configuration; exit 2 listing every problem')
    .command('exporter')
    .description(
      "validate the exporter's server.yaml and accounts.yaml (SERVER_PATH, ACCOUNTS_PATH): exit 2 listing every problem of both files, 0 with a summary",
    )
    .action(async () => done(await (await import('./commands/check-config.ts')).checkConfig(env)));

  program
    .command('check-mappings')
    .summary('validate metric mapping files')
    .description(
      'validate metric mapping files (default: MAPPING_PATH or the built-in catalog); exit 2 listing every problem',
    )
    .argument('[path...]', 'mapping files or folders')
    .action(async (paths: string[]) =>
      done(await (await import('./commands/check-mappings.ts')).checkMappings(paths, env)),
    );

  return program;
}

/**
 * The word `help` anywhere among a command's own arguments asks for its usage, as `--help`
 * does. Commands with subcommands already take `help [command]`, so only a leaf's `help` is
 * rewritten, and never the value of a flag (`--grep help`).
 */
export function helpWordAsFlag(program: Command, args: string[]): string[] {
  let command = program;
  const out = [...args];
  for (let i = 0; i < out.length; i++) {
    const arg = out[i]!;
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub) {
      command = sub;
      continue;
    }
    if (arg === 'help') {
      if (command.commands.length) return out;
      out[i] = '--help';
      continue;
    }
    const option = command.options.find((o) => o.long === arg || o.short === arg);
    if (option && (option.required || option.optional)) i++;
  }
  return out;
}

/** Runs `opsfleet` with `args` (those after the command name); resolves to the exit code. */
export async function runCli(args: string[], env: Env = process.env): Promise<number> {
  let code = 0;
  const program = commandTree((c) => {
    code = c;
  }, env);
  try {
    await program.parseAsync(helpWordAsFlag(program, args), { from: 'user' });
  } catch (err) {
    // Commander has already printed the usage, or the error followed by the usage.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}
