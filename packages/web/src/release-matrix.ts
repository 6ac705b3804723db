/**
 * The installation matrix: the project's targets as rows, its versions as columns, and in the
 * one cell of a row that a target has installed, the state with the task that wrote it.
 */
import type { Installation, InstallationState, Target, Version } from './api/release.ts';

export interface MatrixCell {
  state: InstallationState;
  taskId: string | null;
  updatedAt: string;
}

export interface MatrixRow {
  /** The target's id (the table's row key). */
  id: string;
  agent: string;
  environment: string;
  /** By version name; a target has at most one. */
  cells: Record<string, MatrixCell>;
}

export interface Matrix {
  /** Version names: the project's, oldest first, then any an installation names that is gone. */
  versions: string[];
  rows: MatrixRow[];
}

export function buildMatrix(
  targets: readonly Target[],
  versions: readonly Version[],
  installations: readonly Installation[],
): Matrix {
  const columns = versions.map((v) => v.version);
  const byTarget = new Map(installations.map((i) => [i.targetId, i]));
  for (const i of installations) if (!columns.includes(i.version)) columns.push(i.version);
  const row = (id: string, agent: string, environment: string): MatrixRow => {
    const i = byTarget.get(id);
    return {
      id,
      agent,
      environment,
      cells: i ? { [i.version]: { state: i.state, taskId: i.taskId, updatedAt: i.updatedAt } } : {},
    };
  };
  const rows = targets.map((t) => row(t.id, t.agent.name, t.environment.name));
  // A row for a target the targets list did not include (it pages; the installations do not).
  for (const i of installations)
    if (!targets.some((t) => t.id === i.targetId))
      rows.push(row(i.targetId, i.agent.name, i.environment.name));
  return { versions: columns, rows };
}

export const INSTALLATION_COLORS: Record<InstallationState, string> = {
  installed: 'green',
  failed: 'red',
  uninstalled: 'default',
};
