import { basename, join } from 'node:path';
import type { ConfigTarget } from '../spec.ts';

/** A configuration as it lies on disk: absolute path → content. */
export type DiskFiles = Record<string, string>;

const RULE_FILE = /^opsfleet-[A-Za-z0-9._-]+\.yml$/;

/** Whether a file in a rules folder is one opsfleet owns (the others are left alone). */
export const isOwnedRuleFile = (name: string): boolean => RULE_FILE.test(name) && !name.includes('..');

/**
 * Where each of the server's files goes on this host, or why it cannot: rule files only into the
 * target's rulesDir under opsfleet's own names, an Alertmanager configuration only into its
 * configFile. A server that names any other path is refused, so it cannot write elsewhere.
 */
export function placeFiles(
  target: ConfigTarget,
  files: Record<string, string>,
): { ok: true; files: DiskFiles } | { ok: false; problem: string } {
  const out: DiskFiles = {};
  if (target.kind === 'alertmanager') {
    const names = Object.keys(files);
    if (names.length !== 1)
      return {
        ok: false,
        problem: `an Alertmanager configuration is one file; the server sent ${names.length}`,
      };
    out[target.configFile!] = files[names[0]!]!;
    return { ok: true, files: out };
  }
  for (const [name, content] of Object.entries(files)) {
    if (basename(name) !== name || !isOwnedRuleFile(name))
      return {
        ok: false,
        problem: `refusing the file name ${JSON.stringify(name)}: rule files are opsfleet-<name>.yml`,
      };
    out[join(target.rulesDir!, name)] = content;
  }
  return { ok: true, files: out };
}

/** The paths that differ between two configurations on disk (added, removed or changed). */
export function changedPaths(a: DiskFiles, b: DiskFiles): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((p) => a[p] !== b[p]).sort();
}
