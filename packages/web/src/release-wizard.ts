/**
 * The deploy wizard's choices and the request bodies they become: the preview's selection and
 * the task itself. A choice that cannot become a valid body is reported, by field, before
 * anything is sent.
 */
import type {
  FailureStrategy,
  Operation,
  Preview,
  SelectionBody,
  Strategy,
  TaskBody,
} from './api/release.ts';

export interface WizardValues {
  environment?: string;
  version?: string;
  operation: Operation;
  /** `pick`: the agents in `clients`; `auto`: those with `sourceVersion` installed (any, if empty). */
  selection: 'pick' | 'auto';
  clients?: string[];
  sourceVersion?: string;
  strategy: 'all-at-once' | 'rolling' | 'canary';
  batchSize?: number;
  intervalSeconds?: number;
  canaryBy?: 'targets' | 'percent';
  canaryTargets?: string[];
  canaryPercent?: number;
  failureStrategy: FailureStrategy;
  /** A local date and time as a `datetime-local` input gives it (`2026-12-08T10:00`), or empty: now. */
  scheduledAt?: string;
}

export const WIZARD_DEFAULTS: WizardValues = {
  operation: 'deploy',
  selection: 'auto',
  strategy: 'all-at-once',
  batchSize: 1,
  intervalSeconds: 0,
  canaryBy: 'percent',
  canaryPercent: 10,
  failureStrategy: 'continue',
};

export type Built<T> = { ok: true; body: T } | { ok: false; problems: Record<string, string> };

function strategyOf(v: WizardValues, problems: Record<string, string>): Strategy {
  if (v.strategy === 'rolling') {
    if (!v.batchSize || v.batchSize < 1) problems.batchSize = 'at least one target per batch';
    return { type: 'rolling', batchSize: v.batchSize ?? 1, intervalSeconds: v.intervalSeconds ?? 0 };
  }
  if (v.strategy === 'canary') {
    if (v.canaryBy === 'targets') {
      if (!v.canaryTargets?.length) problems.canaryTargets = 'pick the agents that go first';
      return { type: 'canary', targets: v.canaryTargets ?? [] };
    }
    if (!v.canaryPercent || v.canaryPercent < 1 || v.canaryPercent > 100)
      problems.canaryPercent = '1 to 100 percent';
    return { type: 'canary', percent: v.canaryPercent ?? 10 };
  }
  return { type: 'all-at-once' };
}

/** What the preview is asked: the targets and batches, without the version or the operation. */
export function selectionBody(project: string, v: WizardValues): Built<SelectionBody> {
  const problems: Record<string, string> = {};
  if (!v.environment) problems.environment = 'pick an environment';
  if (v.selection === 'pick' && !v.clients?.length) problems.clients = 'pick at least one target';
  const strategy = strategyOf(v, problems);
  if (Object.keys(problems).length) return { ok: false, problems };
  const auto = v.selection === 'auto';
  return {
    ok: true,
    body: {
      project,
      environment: v.environment as string,
      auto_select_clients: auto,
      ...(auto ? (v.sourceVersion ? { source_version: v.sourceVersion } : {}) : { client_ids: v.clients }),
      strategy,
    },
  };
}

export function taskBody(project: string, v: WizardValues): Built<TaskBody> {
  const selection = selectionBody(project, v);
  const problems = selection.ok ? {} : { ...selection.problems };
  if (!v.version) problems.version = 'pick the version';
  const start = v.scheduledAt ? new Date(v.scheduledAt) : undefined;
  if (start && Number.isNaN(start.getTime())) problems.scheduledAt = 'a date and time, or empty to start now';
  if (!selection.ok || Object.keys(problems).length) return { ok: false, problems };
  return {
    ok: true,
    body: {
      ...selection.body,
      version: v.version as string,
      operation: v.operation,
      failure_strategy: v.failureStrategy,
      ...(start ? { scheduled_at: start.toISOString() } : {}),
    },
  };
}

/** The preview's targets by batch, first batch first, each batch's agents in the server's order. */
export function previewBatches(preview: Preview): { batch: number; agents: string[] }[] {
  const batches = new Map<number, string[]>();
  for (const t of preview.targets) batches.set(t.batch, [...(batches.get(t.batch) ?? []), t.agent.name]);
  return [...batches.entries()].sort(([a], [b]) => a - b).map(([batch, agents]) => ({ batch, agents }));
}

/** A strategy in a few words, for lists and the task page. */
export function strategyText(s: Strategy): string {
  if (s.type === 'rolling') return `rolling, ${s.batchSize} at a time, ${s.intervalSeconds} s apart`;
  if (s.type === 'canary')
    return s.targets?.length
      ? `canary: ${s.targets.length} chosen target${s.targets.length === 1 ? '' : 's'} first`
      : `canary: ${s.percent ?? 0} % first`;
  return 'all at once';
}
