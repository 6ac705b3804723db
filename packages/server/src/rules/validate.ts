import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Flavor, type RuleGroup, renderGroup } from './render.ts';

/** A problem one of the peers' tools found, mapped back to the rule and field where it can be. */
export interface RuleProblem {
  tool: 'promtool' | 'vmalert' | 'opsfleet';
  /** The rule's id; undefined when the problem is the group's or the file's. */
  rule?: string;
  /** `expr`, `for`, `keep_firing_for`, `labels.<name>`, `annotations.<name>`, or undefined. */
  field?: string;
  message: string;
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Checks the tools report badly (a bad duration fails the whole file, naming no rule). */
export function checkDurations(group: RuleGroup): RuleProblem[] {
  const out: RuleProblem[] = [];
  if (group.interval && !DURATION.test(group.interval))
    out.push({
      tool: 'opsfleet',
      field: 'interval',
      message: `"${group.interval}" is not a duration such as 30s or 1m`,
    });
  for (const r of group.rules)
    for (const [field, v] of [
      ['for', r.for],
      ['keep_firing_for', r.keepFiringFor],
    ] as const)
      if (v && !DURATION.test(v))
        out.push({
          tool: 'opsfleet',
          rule: r.id,
          field,
          message: `"${v}" is not a duration such as 5m or 1h30m`,
        });
  return out;
}

function fieldOf(message: string): string | undefined {
  if (/could not parse expression|invalid expression|bad prometheus expr/.test(message)) return 'expr';
  const annotation = /annotation "([^"]+)"|key "([^"]+)", template/.exec(message);
  if (annotation && /annotation/.test(message)) return `annotations.${annotation[1] ?? annotation[2]}`;
  const label = /label(?: name)? "([^"]+)"|invalid labels?.*key "([^"]+)"/.exec(message);
  if (label) return `labels.${label[1] ?? label[2]}`;
  return undefined;
}

/**
 * `promtool check rules` output: one line per problem, `file: [L:C: ]group "g", rule N, "name": message`
 * (N counts the file's rules from 1), or `file: message` for the file as a whole.
 */
export function parsePromtool(output: string, ruleIds: string[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const line of output.split('\n')) {
    const m = /^[^:]+: (?:\d+:\d+: )?group "(?:[^"]*)", rule (\d+), "(?:[^"]*)": (.*)$/.exec(line);
    if (m) {
      problems.push({
        tool: 'promtool',
        rule: ruleIds[Number(m[1]) - 1],
        field: fieldOf(m[2]!),
        message: m[2]!,
      });
      continue;
    }
    const file = /^[^:\s]+\.ya?ml: (.*)$/.exec(line);
    if (file) problems.push({ tool: 'promtool', message: file[1]! });
  }
  return problems;
}

/** vmalert -dryRun stops at a group's first problem: `invalid <what> for rule "group"."name": message`. */
export function parseVmalert(output: string, rules: { id: string; name: string }[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const m of output.matchAll(/invalid (\w+) for rule "(?:[^"]*)"\."((?:[^"\\]|\\.)*)": (.*)$/gm)) {
    const rule = rules.find((r) => r.name === m[2])?.id;
    problems.push({
      tool: 'vmalert',
      rule,
      field: fieldOf(`invalid ${m[1]}: ${m[3]}`) ?? m[1],
      message: m[3]!,
    });
  }
  for (const m of output.matchAll(/invalid rule "(?:[^"]*)"\."((?:[^"\\]|\\.)*)": (.*)$/gm)) {
    const rule = rules.find((r) => r.name === m[1])?.id;
    problems.push({ tool: 'vmalert', rule, field: fieldOf(m[2]!), message: m[2]! });
  }
  if (!problems.length) {
    const fatal = /\tfatal\t\S+\t(.*)$/m.exec(output);
    if (fatal) problems.push({ tool: 'vmalert', message: fatal[1]!.slice(0, 500) });
  }
  return problems;
}

function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, maxBuffer: 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        const output = `${stdout}${stderr}`;
        if (err && (err as { killed?: boolean }).killed)
          resolve({ code: null, output: `${cmd} did not finish within ${timeoutMs / 1000} s` });
        else if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
          resolve({ code: null, output: `${cmd} is not installed on the server` });
        else resolve({ code: typeof code === 'number' ? code : 1, output });
      },
    );
  });
}

/**
 * The group checked by the peers' own tools, each on the file rendered for it: `promtool check
 * rules` for Prometheus and `vmalert -dryRun` for vmalert. Tools get 10 s each; a missing tool
 * is a problem, never a pass.
 */
export async function validateGroup(
  group: RuleGroup,
  flavors: Flavor[] = ['prometheus', 'vmalert'],
): Promise<RuleProblem[]> {
  const own = checkDurations(group);
  if (own.length) return own;
  const dir = await mkdtemp(join(tmpdir(), 'opsfleet-rules-'));
  try {
    const problems: RuleProblem[] = [];
    for (const flavor of flavors) {
      const rendered = renderGroup(group, flavor);
      const file = join(dir, `${flavor}.yml`);
      await writeFile(file, rendered.text);
      if (flavor === 'prometheus') {
        const r = await run('promtool', ['check', 'rules', file], 10_000);
        if (r.code !== 0) {
          const found = parsePromtool(
            r.output,
            rendered.rules.map((x) => x.id),
          );
          problems.push(
            ...(found.length
              ? found
              : [{ tool: 'promtool' as const, message: r.output.trim().slice(0, 500) }]),
          );
        }
      } else {
        const r = await run('vmalert', ['-dryRun', `-rule=${file}`, '-loggerLevel=ERROR'], 10_000);
        if (r.code !== 0 || /\tfatal\t/.test(r.output)) {
          const found = parseVmalert(r.output, rendered.rules);
          problems.push(
            ...(found.length
              ? found
              : [{ tool: 'vmalert' as const, message: r.output.trim().slice(0, 500) }]),
          );
        }
      }
    }
    return problems;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
