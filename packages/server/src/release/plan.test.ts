import { describe, expect, it } from 'vitest';
import { planBatches, type Strategy } from './plan.ts';

const targets = [1, 2, 3, 4, 5].map((n) => ({
  id: `t${n}`,
  agentId: `a${n}`,
  environmentId: 'e',
  priority: n,
}));

describe('planBatches', () => {
  it.each<{ name: string; strategy: Strategy; want: string[][] }>([
    {
      name: 'all at once: one batch by priority',
      strategy: { type: 'all-at-once' },
      want: [['a5', 'a4', 'a3', 'a2', 'a1']],
    },
    {
      name: 'rolling: batches of batchSize, the last one smaller',
      strategy: { type: 'rolling', batchSize: 2, intervalSeconds: 0 },
      want: [['a5', 'a4'], ['a3', 'a2'], ['a1']],
    },
    {
      name: 'canary by percent rounds up',
      strategy: { type: 'canary', percent: 30 },
      want: [
        ['a5', 'a4'],
        ['a3', 'a2', 'a1'],
      ],
    },
    {
      name: 'canary takes at least one target',
      strategy: { type: 'canary', percent: 1 },
      want: [['a5'], ['a4', 'a3', 'a2', 'a1']],
    },
    {
      name: 'canary by named agents',
      strategy: { type: 'canary', targets: ['a1', 'a3'] },
      want: [
        ['a3', 'a1'],
        ['a5', 'a4', 'a2'],
      ],
    },
    {
      name: 'canary of everything is one batch',
      strategy: { type: 'canary', percent: 100 },
      want: [['a5', 'a4', 'a3', 'a2', 'a1']],
    },
  ])('$name', ({ strategy, want }) => {
    const got = planBatches(targets, strategy);
    expect(got.ok && got.batches.map((b) => b.map((t) => t.agentId))).toEqual(want);
  });

  it('refuses canary agents that are not targets of the task, naming them', () => {
    expect(planBatches(targets, { type: 'canary', targets: ['a1', 'zz'] })).toEqual({
      ok: false,
      field: 'body.strategy.targets',
      reason: "canary agent zz is not among the task's targets",
    });
  });
});
