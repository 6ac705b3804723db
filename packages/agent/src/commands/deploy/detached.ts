import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const DETACH_METHODS = ['systemd-run', 'setsid', 'nohup'] as const;
export type DetachMethod = (typeof DETACH_METHODS)[number];

export interface DetachRequest {
  method: DetachMethod;
  command: string;
  args: string[];
  /** Where stdout and stderr go (appended); for systemd-run, default the journal. */
  log?: string;
  /** systemd-run: the transient unit's name (without `.service`). */
  unit?: string;
  cwd?: string;
}

export interface Detached {
  method: DetachMethod;
  /** setsid and nohup: the started process. */
  pid?: number;
  /** systemd-run: the unit it runs in. */
  unit?: string;
}

/**
 * Whether `systemd-run` can start a system unit from here: systemd is the init system (what
 * sd_booted(3) checks) and the agent is root. An unprivileged agent (the shipped
 * opsfleet-agent-user.service) is refused by polkit with no one to ask, so every detached start,
 * and the deploy with it, would fail.
 */
export function systemdRunUsable(
  booted = existsSync('/run/systemd/system'),
  uid = process.getuid?.() ?? -1,
): boolean {
  return booted && uid === 0;
}

/** The method when none is asked for: systemd-run where it is usable, else setsid. */
export function defaultMethod(usable = systemdRunUsable()): DetachMethod {
  return usable ? 'systemd-run' : 'setsid';
}

/** A name systemd takes as a unit name: `opsfleet-<project>-<version>` with other characters as `_`. */
export function unitName(...parts: string[]): string {
  return ['opsfleet', ...parts]
    .join('-')
    .replace(/[^A-Za-z0-9:_.-]/g, '_')
    .slice(0, 200);
}

/**
 * The `systemd-run` arguments that start the command as a transient service: its own unit and
 * cgroup, outside the agent's, so stopping or restarting the agent (whatever its KillMode) leaves
 * it running. `--collect` unloads the unit once it ended, even failed; stopping the unit stops
 * its whole cgroup.
 */
export function systemdRunArgs(r: DetachRequest): string[] {
  const unit = r.unit ?? unitName(r.command.split('/').pop() ?? 'process');
  return [
    `--unit=${unit}`,
    '--collect',
    '--property=KillMode=control-group',
    ...(r.cwd ? [`--working-directory=${r.cwd}`] : []),
    ...(r.log
      ? [`--property=StandardOutput=append:${r.log}`, `--property=StandardError=append:${r.log}`]
      : []),
    '--',
    r.command,
    ...r.args,
  ];
}

/**
 * Starts a process that outlives the deploy script and the agent:
 * - `systemd-run`: a transient unit, outside the agent's cgroup (survives any stop of the agent);
 * - `setsid`: a new session and process group, stdio to the log file and not to the caller's
 *   pipes; it survives the agent's process group being killed and the agent's restart, but stays
 *   in the agent's cgroup;
 * - `nohup`: ignores SIGHUP only, in the caller's session and process group: a timeout or cancel
 *   of the deploy kills it with the script.
 */
export async function startDetached(r: DetachRequest): Promise<Detached> {
  if (r.method === 'systemd-run') {
    const unit = r.unit ?? unitName(r.command.split('/').pop() ?? 'process');
    const child = spawn('systemd-run', systemdRunArgs({ ...r, unit }), {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [code] = (await Promise.race([
      once(child, 'exit'),
      once(child, 'error').then(([e]) => Promise.reject(e)),
    ])) as [number | null];
    if (code !== 0) throw new Error(`systemd-run exited ${code} starting ${unit}`);
    return { method: r.method, unit };
  }
  if (!r.log) throw new Error(`--log: the ${r.method} method needs a log file for the process's output`);
  mkdirSync(dirname(r.log), { recursive: true });
  const fd = openSync(r.log, 'a', 0o640);
  try {
    const [command, args] = r.method === 'nohup' ? ['nohup', [r.command, ...r.args]] : [r.command, r.args];
    const child = spawn(command, args, {
      cwd: r.cwd,
      stdio: ['ignore', fd, fd],
      detached: r.method === 'setsid',
    });
    await Promise.race([once(child, 'spawn'), once(child, 'error').then(([e]) => Promise.reject(e))]);
    child.unref();
    return { method: r.method, pid: child.pid! };
  } finally {
    closeSync(fd);
  }
}

export const DETACH_USAGE =
  'usage: opsfleet agent detach [--method auto|systemd-run|setsid|nohup] [--log FILE] [--unit NAME] [--pid-file FILE] [--cwd DIR] -- command [args...]';

/** The detach entry's arguments; a problem is thrown naming the flag and what it takes. */
export function parseDetachArgs(
  argv: string[],
  systemdUsable?: boolean,
): DetachRequest & { pidFile?: string } {
  const end = argv.indexOf('--');
  if (end === -1 || end === argv.length - 1)
    throw new Error(`the command to start goes after --\n${DETACH_USAGE}`);
  const flags = new Map<string, string>();
  const own = argv.slice(0, end);
  for (let i = 0; i < own.length; i += 2) {
    const flag = own[i]!;
    if (!['--method', '--log', '--unit', '--pid-file', '--cwd'].includes(flag))
      throw new Error(`unknown flag ${flag}\n${DETACH_USAGE}`);
    const value = own[i + 1];
    if (value === undefined || value === '') throw new Error(`${flag}: needs a value\n${DETACH_USAGE}`);
    flags.set(flag, value);
  }
  const asked = flags.get('--method') ?? 'auto';
  if (asked !== 'auto' && !DETACH_METHODS.includes(asked as DetachMethod))
    throw new Error(`--method: ${asked} is none of auto, ${DETACH_METHODS.join(', ')}`);
  const method = asked === 'auto' ? defaultMethod(systemdUsable) : (asked as DetachMethod);
  const log = flags.get('--log');
  if (method !== 'systemd-run' && !log)
    throw new Error(`--log: the ${method} method needs a file for the process's output\n${DETACH_USAGE}`);
  const [command, ...args] = argv.slice(end + 1);
  return {
    method,
    command: command!,
    args,
    ...(log ? { log } : {}),
    ...(flags.has('--unit') ? { unit: flags.get('--unit')! } : {}),
    ...(flags.has('--cwd') ? { cwd: flags.get('--cwd')! } : {}),
    ...(flags.has('--pid-file') ? { pidFile: flags.get('--pid-file')! } : {}),
  };
}

/**
 * `opsfleet agent detach`, what a deploy script runs through `$OPSFLEET_DETACH`: starts the
 * command detached, writes its pid (setsid, nohup) to `--pid-file`, prints the pid or unit.
 * Answers the exit code: 2 for bad arguments, 1 when the start failed.
 */
export async function detach(argv: string[]): Promise<number> {
  let req: ReturnType<typeof parseDetachArgs>;
  try {
    req = parseDetachArgs(argv);
  } catch (err) {
    process.stderr.write(`opsfleet agent detach: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const started = await startDetached(req);
    if (req.pidFile && started.pid) {
      writeFileSync(`${req.pidFile}.tmp`, `${started.pid}\n`);
      renameSync(`${req.pidFile}.tmp`, req.pidFile);
    }
    process.stdout.write(`${started.unit ?? started.pid}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`opsfleet agent detach: ${(err as Error).message}\n`);
    return 1;
  }
}
