import { byPriority, type SelectableTarget } from './select.ts';

/** How a task goes through its targets. */
export type Strategy =
  | { type: 'all-at-once' }
  | { type: 'rolling'; batchSize: number; intervalSeconds: number }
  | { type: 'canary'; targets?: string[]; percent?: number };

export type Planned<T> = { ok: true; batches: T[][] } | { ok: false; reason: string; field: string };

/**
 * The task's targets in batches, run one after the other. A canary's first batch is the named
 * agents, or else the top `percent` by priority (at least one); the rest is the second batch,
 * run when the canary is promoted.
 */
export function planBatches<T extends SelectableTarget>(targets: T[], strategy: Strategy): Planned<T> {
  const ordered = [...targets].sort(byPriority);
  if (strategy.type === 'all-at-once') return { ok: true, batches: [ordered] };
  if (strategy.type === 'rolling') {
    const batches: T[][] = [];
    for (let i = 0; i < ordered.length; i += strategy.batchSize)
      batches.push(ordered.slice(i, i + strategy.batchSize));
    return { ok: true, batches };
  }
  let canary: T[];
  if (strategy.targets?.length) {
    const chosen = new Set(strategy.targets);
    canary = ordered.filter((t) => chosen.has(t.agentId));
    const missing = strategy.targets.filter((a) => !ordered.some((t) => t.agentId === a));
    if (missing.length)
      return {
        ok: false,
        field: 'body.strategy.targets',
        reason: `canary agent${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${
          missing.length === 1 ? 'is' : 'are'
        } not among the task's targets`,
      };
  } else {
    const count = Math.max(1, Math.ceil((ordered.length * (strategy.percent ?? 10)) / 100));
    canary = ordered.slice(0, count);
  }
  const rest = ordered.filter((t) => !canary.includes(t));
  return { ok: true, batches: rest.length ? [canary, rest] : [canary] };
}
