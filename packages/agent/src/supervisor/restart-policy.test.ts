import { describe, expect, it } from 'vitest';
import { RestartSpec } from '../spec.ts';
import { backoff, decideRestart, freshHistory, type RestartInput } from './restart-policy.ts';

const policy = RestartSpec.parse({
  policy: 'on-failure',
  initialDelay: '100ms',
  multiplier: 2,
  maxDelay: '1s',
  jitter: 0,
  stableAfter: '10s',
  maxRestarts: 3,
  window: '5s',
  fatalCooldown: '1m',
});
const NOW = 1_000_000;
const crash = { code: 3, signal: null };

function decide(over: Partial<RestartInput>) {
  return decideRestart({ policy, exit: crash, ranMs: 50, history: freshHistory(), now: NOW, ...over });
}

describe('backoff', () => {
  it.each([
    [0, 100],
    [1, 200],
    [2, 400],
    [3, 800],
    [4, 1000],
    [30, 1000],
  ])('restart after %i earlier ones waits %i ms', (streak, ms) => {
    expect(backoff(policy, streak)).toBe(ms);
  });
});

describe('decideRestart', () => {
  it.each([
    ['never, after a crash', { policy: 'never' }, crash, 'stop', /exit code 3 \(restart policy never\)/],
    [
      'on-failure, clean exit',
      {},
      { code: 0, signal: null },
      'stop',
      /exit code 0 \(restart policy on-failure\)/,
    ],
    ['on-failure, non-zero exit', {}, crash, 'restart', /exit code 3; restarting in 100ms/],
    ['on-failure, killed by a signal', {}, { code: null, signal: 'SIGKILL' }, 'restart', /killed by SIGKILL/],
    [
      'on-failure, unknown exit (adopted)',
      {},
      { code: null, signal: null },
      'restart',
      /exit status unknown/,
    ],
    [
      'always, clean exit',
      { policy: 'always' },
      { code: 0, signal: null },
      'restart',
      /exit code 0; restarting/,
    ],
  ] as const)('%s → %s', (_, over, exit, action, reason) => {
    const d = decideRestart({
      policy: { ...policy, ...over },
      exit,
      ranMs: 50,
      history: freshHistory(),
      now: NOW,
    });
    expect(d.action).toBe(action);
    expect(d.reason).toMatch(reason);
  });

  it('grows the delay with each restart of a series', () => {
    let history = freshHistory();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const d = decide({ history, now: NOW + i * 10 });
      if (d.action !== 'restart') throw new Error(d.action);
      delays.push(d.delayMs);
      history = d.history;
    }
    expect(delays).toEqual([100, 200, 400]);
    expect(history).toEqual({ streak: 3, times: [NOW, NOW + 10, NOW + 20] });
  });

  it('adds up to `jitter` of the delay from the random source', () => {
    const jittery = { ...policy, jitter: 0.5 };
    const at = (r: number) => decideRestart({ ...baseInput(), policy: jittery, random: () => r });
    expect(at(0)).toMatchObject({ delayMs: 100 });
    expect(at(0.5)).toMatchObject({ delayMs: 125 });
    expect(at(0.999)).toMatchObject({ delayMs: 150 });
  });

  it('is FATAL when the restarts inside the window exceed maxRestarts, and starts a fresh series', () => {
    const history = { streak: 3, times: [NOW - 3000, NOW - 2000, NOW - 1000] };
    const d = decide({ history });
    expect(d).toEqual({
      action: 'fatal',
      retryAfterMs: 60_000,
      reason: '3 restarts in 5s, then exit code 3; trying again in 60s',
      history: freshHistory(),
    });
  });

  it('forgets restarts older than the window (but keeps the delay growing)', () => {
    const history = { streak: 3, times: [NOW - 6000, NOW - 2000, NOW - 1000] };
    const d = decide({ history });
    expect(d).toMatchObject({ action: 'restart', delayMs: 800 });
    expect(d.history).toEqual({ streak: 4, times: [NOW - 2000, NOW - 1000, NOW] });
  });

  it('a run longer than stableAfter resets the series', () => {
    const history = { streak: 3, times: [NOW - 3000, NOW - 2000, NOW - 1000] };
    const d = decide({ history, ranMs: 10_000 });
    expect(d).toMatchObject({ action: 'restart', delayMs: 100, history: { streak: 1, times: [NOW] } });
  });

  it('maxRestarts 0: the first failure is FATAL', () => {
    const d = decide({ policy: { ...policy, maxRestarts: 0 } });
    expect(d.action).toBe('fatal');
  });
});

function baseInput(): RestartInput {
  return { policy, exit: crash, ranMs: 50, history: freshHistory(), now: NOW };
}
