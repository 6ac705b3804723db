import { describe, expect, it } from 'vitest';
import { observe, type RegionInfo, rediscover, selectRegions } from './region-state.ts';

const t = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, n));

/** Runs cycles of per-region resource counts through select → observe, returning what each cycle visited. */
function cycles(
  counts: Record<string, number>[],
  threshold = 3,
): { visited: string[][]; state: Record<string, RegionInfo> } {
  let state: Record<string, RegionInfo> | undefined;
  const visited: string[][] = [];
  counts.forEach((c, i) => {
    const { regions } = selectRegions(state, ['r1', 'r2', 'r3'], threshold);
    visited.push(regions);
    const next: Record<string, RegionInfo> = { ...(state ?? {}) };
    for (const r of regions) next[r] = observe(next[r], c[r] ?? 0, t(i));
    state = next;
  });
  return { visited, state: state! };
}

describe('region state machine (AC-23)', () => {
  it('visits every region until empty ones reach the threshold, then only the active ones', () => {
    const c = { r1: 2, r2: 0, r3: 0 };
    const { visited, state } = cycles([c, c, c, c]);
    expect(visited.slice(0, 3)).toEqual([
      ['r1', 'r2', 'r3'],
      ['r1', 'r2', 'r3'],
      ['r1', 'r2', 'r3'],
    ]);
    expect(visited[3]).toEqual(['r1']);
    expect(state.r2).toMatchObject({ status: 'empty', empty_count: 3, resource_count: 0, priority: 10 });
    expect(state.r1).toMatchObject({ status: 'active', empty_count: 0, resource_count: 2, priority: 100 });
  });

  it('never skips everything: when all regions are empty, all are visited', () => {
    const { visited } = cycles([{ r1: 0 }, { r1: 0 }, { r1: 0 }, { r1: 0 }]);
    expect(visited[3]).toEqual(['r1', 'r2', 'r3']);
  });

  it('puts active regions first and resets the empty streak when resources appear', () => {
    const { visited, state } = cycles([{ r3: 1 }, { r2: 4 }]);
    expect(visited[1]).toEqual(['r3', 'r1', 'r2']);
    expect(state.r2).toMatchObject({ status: 'active', empty_count: 0 });
    expect(state.r3).toMatchObject({ status: 'empty', empty_count: 1 });
    expect(state.r3!.last_active).toBe(t(0).toISOString());
  });

  it('rediscovery returns skipped regions to unknown so they are probed again', () => {
    const c = { r1: 2 };
    const { state } = cycles([c, c, c]);
    expect(selectRegions(state, ['r1', 'r2', 'r3'], 3).skipped).toEqual(['r2', 'r3']);
    const reset = rediscover({ acc: state }).acc!;
    expect(reset.r2).toMatchObject({ status: 'unknown', empty_count: 0, priority: 50 });
    expect(selectRegions(reset, ['r1', 'r2', 'r3'], 3).regions).toEqual(['r1', 'r2', 'r3']);
  });
});
