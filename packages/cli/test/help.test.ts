import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandTree, helpWordAsFlag } from '../src/usage.ts';

/**
 * Every command and subcommand of the real `opsfleet` process: `--help`, `-h` and `help` print
 * its usage and exit 0 with nothing created in the working folder (no data/, no demo folder),
 * and an unknown flag exits 2 with the usage on stderr. The commands come from the command
 * tree itself, so a new command is covered without touching this file.
 */
const CLI = join(import.meta.dirname, '../bin/opsfleet.mjs');
const run = promisify(execFile);

function paths(command: Command, prefix: string[] = []): { path: string[]; command: Command }[] {
  return [{ path: prefix, command }, ...command.commands.flatMap((c) => paths(c, [...prefix, c.name()]))];
}
const ALL = paths(commandTree());

type Outcome = { code: number; stdout: string; stderr: string };
async function opsfleet(args: string[], cwd: string): Promise<Outcome> {
  // Without DATA_DIR or OPSFLEET_DEMO_DIR the commands would write under the working folder.
  const { DATA_DIR: _d, OPSFLEET_DEMO_DIR: _o, ...env } = process.env;
  return run(process.execPath, [CLI, ...args], { cwd, env, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: Outcome) => e,
  );
}

/** At most two processes at a time: the machine has two cores shared with other work. */
async function inTurn<T, R>(items: T[], each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await each(items[i]!);
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

const usageOf = (path: string[]) => new RegExp(`^Usage: ${['opsfleet', ...path].join(' ')} `, 'm');

describe('opsfleet help', () => {
  it(`--help, -h and help print the usage of each of the ${ALL.length} commands and exit 0 without side effects`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsfleet-help-'));
    const cases = ALL.flatMap(({ path, command }) =>
      ['--help', '-h', 'help'].map((flag) => ({ path, command, args: [...path, flag] })),
    );
    const outcomes = await inTurn(cases, (c) => opsfleet(c.args, dir));
    cases.forEach(({ path, command, args }, i) => {
      const { code, stdout } = outcomes[i]!;
      expect(code, args.join(' ')).toBe(0);
      expect(stdout, args.join(' ')).toMatch(usageOf(path));
      for (const option of command.options) expect(stdout, args.join(' ')).toContain(option.flags);
      for (const sub of command.commands) expect(stdout, args.join(' ')).toContain(sub.name());
    });
    // No server data, no demo folder, no agent state: nothing ran.
    expect(readdirSync(dir)).toEqual([]);
  }, 600_000);

  it('exits 2 with the error and the usage on stderr for a flag a command does not know', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsfleet-flag-'));
    const outcomes = await inTurn(ALL, ({ path }) => opsfleet([...path, '--no-such-flag'], dir));
    ALL.forEach(({ path }, i) => {
      const { code, stdout, stderr } = outcomes[i]!;
      expect(code, path.join(' ')).toBe(2);
      expect(stderr, path.join(' ')).toMatch(/error: unknown option '--no-such-flag'/);
      expect(stderr, path.join(' ')).toMatch(usageOf(path));
      expect(stdout).toBe('');
    });
    expect(readdirSync(dir)).toEqual([]);
  }, 600_000);

  it('exits 2 naming the flag for a bad value or the missing argument, before the command runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsfleet-value-'));
    const tail = await opsfleet(['agent', 'logs', 'web', '--tail', 'many'], dir);
    expect(tail.code).toBe(2);
    expect(tail.stderr).toMatch(/option '--tail <lines>' argument 'many' is invalid/);
    const level = await opsfleet(['agent', 'logs', 'web', '--level', 'loud'], dir);
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/Allowed choices are trace, debug, info, warn, error, fatal/);
    const listen = await opsfleet(['server', '--listen', '8080'], dir);
    expect(listen.code).toBe(2);
    expect(listen.stderr).toMatch(/--listen must be host:port/);
    const missing = await opsfleet(['agent', 'stop'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /error: missing required argument 'service'[\s\S]*Usage: opsfleet agent stop /,
    );
    const exporter = await opsfleet(['exporter', '--web.listen-address', 'nowhere'], dir);
    expect(exporter.code).toBe(2);
    expect(exporter.stderr).toMatch(/--web.listen-address: expected host:port .*got "nowhere"/);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});

describe('the word help', () => {
  const tree = commandTree();
  it.each([
    [
      ['server', 'help'],
      ['server', '--help'],
    ],
    [
      ['agent', 'logs', 'web', 'help'],
      ['agent', 'logs', 'web', '--help'],
    ],
    // A flag's value is only a value; commands with subcommands take `help [command]` themselves.
    [
      ['agent', 'logs', 'web', '--grep', 'help'],
      ['agent', 'logs', 'web', '--grep', 'help'],
    ],
    [
      ['agent', 'help', 'logs'],
      ['agent', 'help', 'logs'],
    ],
    [['help'], ['help']],
  ])('%j → %j', (args, want) => {
    expect(helpWordAsFlag(tree, args)).toEqual(want);
  });
});

describe('docs/cli.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../../docs/cli.md'), 'utf8');
  it.each(ALL.filter((c) => c.path.length).map((c) => [c.path.join(' '), c.command] as const))(
    'documents opsfleet %s and each of its flags',
    (path, command) => {
      expect(doc).toContain(`opsfleet ${path}`);
      for (const option of command.options) expect(doc).toContain(option.long!);
    },
  );
});
