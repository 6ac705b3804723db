import { describe, expect, it } from 'vitest';
import type { HealthState } from '../spec.ts';
import type { CheckStatus } from './checkers/checker.ts';
import { type CheckState, initialState, type StateOptions, step, suspend } from './state.ts';

const P: CheckStatus = 'passing';
const W: CheckStatus = 'warning';
const C: CheckStatus = 'critical';

/** Feeds results one second apart; returns the status after each and the transitions. */
function run(
  results: CheckStatus[],
  opts: Partial<StateOptions> = {},
  start: CheckState = initialState(),
  startedAt?: number,
) {
  const o: StateOptions = { successBeforePassing: 1, failuresBeforeCritical: 3, grace: 0, ...opts };
  let state = start;
  const statuses: HealthState[] = [];
  const transitions: string[] = [];
  results.forEach((status, i) => {
    const out = step(state, { status, now: 1000 * (i + 1), startedAt }, o);
    state = out.state;
    statuses.push(state.status);
    if (out.transition) transitions.push(`${out.transition.from}→${out.transition.to}@${out.transition.at}`);
  });
  return { statuses, transitions, state };
}

describe('health state machine', () => {
  it.each<[string, CheckStatus[], Partial<StateOptions>, HealthState[]]>([
    ['one pass is enough by default', [P], {}, ['passing']],
    [
      'passes needed before passing',
      [P, P, P],
      { successBeforePassing: 3 },
      ['unknown', 'unknown', 'passing'],
    ],
    [
      'a failure restarts the pass count',
      [P, C, P, P],
      { successBeforePassing: 2 },
      ['unknown', 'unknown', 'unknown', 'passing'],
    ],
    ['failures needed before critical', [P, C, C, C], {}, ['passing', 'passing', 'passing', 'critical']],
    [
      'a pass restarts the failure count',
      [P, C, C, P, C, C],
      {},
      ['passing', 'passing', 'passing', 'passing', 'passing', 'passing'],
    ],
    ['unknown goes critical after the failures too', [C, C, C], {}, ['unknown', 'unknown', 'critical']],
    ['failuresBeforeCritical 1 is immediate', [P, C], { failuresBeforeCritical: 1 }, ['passing', 'critical']],
    [
      'back from critical needs the passes',
      [C, C, C, P, P],
      { successBeforePassing: 2 },
      ['unknown', 'unknown', 'critical', 'critical', 'passing'],
    ],
    ['warning is immediate from passing', [P, W], {}, ['passing', 'warning']],
    ['warning is immediate from critical', [C, C, C, W], {}, ['unknown', 'unknown', 'critical', 'warning']],
    [
      'warning clears the failure count',
      [P, C, C, W, C, C],
      {},
      ['passing', 'passing', 'passing', 'warning', 'warning', 'warning'],
    ],
    [
      'from warning: failures still need the threshold',
      [W, C, C, C],
      {},
      ['warning', 'warning', 'warning', 'critical'],
    ],
    [
      'from warning: passes still need the threshold',
      [W, P, P],
      { successBeforePassing: 2 },
      ['warning', 'warning', 'passing'],
    ],
  ])('%s', (_name, results, opts, expected) => {
    expect(run(results, opts).statuses).toEqual(expected);
  });

  it('reports each transition once, with from, to and time', () => {
    expect(run([P, P, C, C, C, C, W, P, P], { successBeforePassing: 2 }).transitions).toEqual([
      'unknown→passing@2000',
      'passing→critical@5000',
      'critical→warning@7000',
      'warning→passing@9000',
    ]);
  });

  it('can start from another state', () => {
    const r = run([P], {}, initialState('critical'));
    expect(r.transitions).toEqual(['critical→passing@1000']);
  });

  it.each<[string, CheckStatus[], number, HealthState[], boolean[]]>([
    // startedAt 0, grace 3.5 s: results at 1, 2, 3 s fall inside it.
    [
      'failures in grace do not count',
      [C, C, C, C, C, C],
      3500,
      ['unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'critical'],
      [false, false, false, true, true, true],
    ],
    [
      'warnings in grace do not count',
      [P, W, W, W],
      3500,
      ['passing', 'passing', 'passing', 'warning'],
      [true, false, false, true],
    ],
    ['passes in grace count', [P, C], 3500, ['passing', 'passing'], [true, false]],
    ['no grace: everything counts', [C, C, C], 0, ['unknown', 'unknown', 'critical'], [true, true, true]],
  ])('%s', (_name, results, grace, expected, counted) => {
    let state = initialState();
    const statuses: HealthState[] = [];
    const counts: boolean[] = [];
    results.forEach((status, i) => {
      const out = step(
        state,
        { status, now: 1000 * (i + 1), startedAt: 0 },
        { successBeforePassing: 1, failuresBeforeCritical: 3, grace },
      );
      state = out.state;
      statuses.push(state.status);
      counts.push(out.counted);
    });
    expect(statuses).toEqual(expected);
    expect(counts).toEqual(counted);
  });

  it('grace restarts with the service: a later start time opens a new grace period', () => {
    const o = { successBeforePassing: 1, failuresBeforeCritical: 1, grace: 5000 };
    let s = step(initialState(), { status: P, now: 1000, startedAt: 0 }, o).state;
    s = step(s, { status: C, now: 6000, startedAt: 0 }, o).state; // grace over
    expect(s.status).toBe('critical');
    s = step(s, { status: P, now: 7000, startedAt: 6500 }, o).state; // restarted, came up
    const inGrace = step(s, { status: C, now: 8000, startedAt: 6500 }, o);
    expect(inGrace.counted).toBe(false);
    expect(inGrace.state.status).toBe('passing');
  });

  it('without a known start time there is no grace', () => {
    const out = step(
      initialState(),
      { status: C, now: 1000 },
      { successBeforePassing: 1, failuresBeforeCritical: 1, grace: 60_000 },
    );
    expect(out.state.status).toBe('critical');
  });

  it('suspend: back to unknown with a transition, none when already unknown', () => {
    const critical = { ...initialState('critical'), consecutiveFailures: 4 };
    expect(suspend(critical, 5)).toEqual({
      state: { status: 'unknown', consecutivePasses: 0, consecutiveFailures: 0, since: 5 },
      transition: { from: 'critical', to: 'unknown', at: 5 },
    });
    expect(suspend(initialState(), 5).transition).toBeUndefined();
  });
});
