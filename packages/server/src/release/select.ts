/**
 * Auto-select: which targets a task takes when it is asked to take "those that have version X".
 * Only `installed` rows of the task's environment count (QuicFlow took any row of the project,
 * failed and uninstalled ones too). Pure, so the table test states every rule.
 */
export interface SelectableTarget {
  id: string;
  agentId: string;
  environmentId: string;
  priority: number;
}

export type InstallationState = 'installed' | 'failed' | 'uninstalled';
export const INSTALLATION_STATES = ['installed', 'failed', 'uninstalled'] as const;

export interface SelectableInstallation {
  targetId: string;
  version: string;
  state: InstallationState;
}

export type Selection<T extends SelectableTarget> =
  | { ok: true; targets: T[] }
  | { ok: false; reason: string };

/** Highest priority first, then by id so the order is the same on every replica. */
export const byPriority = <T extends SelectableTarget>(a: T, b: T) =>
  b.priority - a.priority || a.id.localeCompare(b.id);

export function autoSelect<T extends SelectableTarget>(input: {
  targets: T[];
  installations: SelectableInstallation[];
  environment: { id: string; name: string };
  /** Take targets with this version installed; without it, every target with any version installed. */
  sourceVersion?: string;
}): Selection<T> {
  const env = input.environment;
  const inEnv = input.targets.filter((t) => t.environmentId === env.id);
  if (!inEnv.length) return { ok: false, reason: `environment ${env.name} has no targets: add one first` };
  const byTarget = new Map(input.installations.map((i) => [i.targetId, i]));
  const rows = inEnv.flatMap((t) => {
    const i = byTarget.get(t.id);
    return i && (input.sourceVersion === undefined || i.version === input.sourceVersion) ? [{ t, i }] : [];
  });
  const what = input.sourceVersion === undefined ? 'any version' : `version ${input.sourceVersion}`;
  if (!rows.length) {
    const versions = [...new Set(inEnv.flatMap((t) => byTarget.get(t.id)?.version ?? []))].sort();
    return {
      ok: false,
      reason: `no target in environment ${env.name} has ${what}${
        versions.length ? ` (they have ${versions.join(', ')})` : ' (nothing is installed there)'
      }`,
    };
  }
  const taken = rows.filter((r) => r.i.state === 'installed').map((r) => r.t);
  if (!taken.length) {
    const states = [...new Set(rows.map((r) => r.i.state))].sort().join(' or ');
    return {
      ok: false,
      reason: `the ${rows.length} target${rows.length === 1 ? '' : 's'} in environment ${env.name} with ${what} ${
        rows.length === 1 ? 'is' : 'are'
      } ${states}, not installed: name them in client_ids to act on them`,
    };
  }
  return { ok: true, targets: taken.sort(byPriority) };
}
