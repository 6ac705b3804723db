import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Every command shown in a block marked runnable (```` ```bash runnable ````) in README.md and
 * docs/*.md runs as a reader would type it, in an empty folder, and ends with the exit status
 * the docs give (`# exit N` at the start of its comment; 0 otherwise).
 */
const ROOT = join(import.meta.dirname, '..');

interface DocCommand {
  file: string;
  line: number;
  command: string;
  exitCode: number;
}

/** The commands of the runnable blocks of one Markdown text: one per non-empty line. */
function runnableCommands(file: string, markdown: string): DocCommand[] {
  const out: DocCommand[] = [];
  let inRunnable = false;
  let inOther = false;
  markdown.split('\n').forEach((text, i) => {
    const fence = /^\s*```\s*(.*)$/.exec(text);
    if (fence) {
      if (inRunnable || inOther) {
        inRunnable = inOther = false;
      } else if (/^(bash|sh|shell)\s+runnable\b/.test(fence[1]!.trim())) inRunnable = true;
      else inOther = true;
      return;
    }
    if (!inRunnable || !text.trim() || text.trim().startsWith('#')) return;
    // A comment starts at ` #` outside quotes; the commands shown use no quoted `#`.
    const hash = text.search(/\s#\s/);
    const command = (hash < 0 ? text : text.slice(0, hash)).trim();
    const exit = hash < 0 ? null : /^\s#\s+exit (\d+)\b/.exec(text.slice(hash));
    out.push({ file, line: i + 1, command, exitCode: exit ? Number(exit[1]) : 0 });
  });
  return out;
}

const docs = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const commands = docs.flatMap((f) => runnableCommands(f, readFileSync(join(ROOT, f), 'utf8')));

describe('runnableCommands', () => {
  it('takes the lines of runnable blocks only, with the exit status their comment gives', () => {
    const md = [
      '```bash',
      'npm start',
      '```',
      '```bash runnable',
      '# a comment line',
      'npx opsfleet --help   # every command',
      '',
      'npx opsfleet check-config exporter   # exit 2: two problems',
      '```',
      '```',
      'output',
      '```',
    ].join('\n');
    expect(runnableCommands('x.md', md)).toEqual([
      { file: 'x.md', line: 6, command: 'npx opsfleet --help', exitCode: 0 },
      { file: 'x.md', line: 8, command: 'npx opsfleet check-config exporter', exitCode: 2 },
    ]);
  });
});

describe('commands shown in the docs', () => {
  // An empty folder as a fresh shell would be in; `npx opsfleet` finds the command through a
  // node_modules/.bin of its own, as in a project that installed opsfleet.
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-docs-'));
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  symlinkSync(join(ROOT, 'packages/cli/bin/opsfleet.mjs'), join(dir, 'node_modules/.bin/opsfleet'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are found in README.md and docs/', () => {
    expect(commands.length).toBeGreaterThanOrEqual(4);
    expect(new Set(commands.map((c) => c.file)).size).toBeGreaterThanOrEqual(2);
  });

  it.each(commands.map((c) => [`${c.file}:${c.line} ${c.command}`, c] as const))('%s', async (_name, c) => {
    const run = await promisify(execFile)('bash', ['-c', c.command], {
      cwd: dir,
      env: { ...process.env, npm_config_yes: 'false', NO_COLOR: '1' },
      timeout: 60_000,
    }).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? -1,
        output: `${e.stdout ?? ''}${e.stderr ?? ''}`,
      }),
    );
    expect(run.code, run.output).toBe(c.exitCode);
    if (c.exitCode !== 0) expect(run.output.trim(), 'a failing command says why').not.toBe('');
  });
});
