import { describe, expect, it } from 'vitest';
import { planRecovery } from './recovery.ts';
import type { UnitSnapshot } from './systemctl.ts';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const policy = { policy: 'on-failure' as const, stableAfter: 30_000, fatalCooldown: 300_000 };

const unit = (over: Partial<UnitSnapshot>): UnitSnapshot => ({
  loadState: 'loaded',
  activeState: 'active',
  subState: 'running',
  result: 'success',
  restart: 'on-failure',
  mainPid: 4242,
  nRestarts: 0,
  execMainCode: 0,
  execMainStatus: 0,
  ...over,
});

const gaveUp = unit({
  activeState: 'failed',
  subState: 'failed',
  result: 'start-limit-hit',
  mainPid: 0,
  nRestarts: 5,
  stateChangeAt: T0,
});

describe('planRecovery', () => {
  it.each([
    ['FATAL, cool-down running', gaveUp, T0 + 299_999, { action: 'wait', until: T0 + 300_000 }],
    ['FATAL, cool-down over', gaveUp, T0 + 300_000, { action: 'restart' }],
    [
      'a crash loop that ended failed with Result=exit-code',
      { ...gaveUp, result: 'exit-code' },
      T0 + 400_000,
      { action: 'restart' },
    ],
    [
      'the time it failed unknown: counted from now',
      { ...gaveUp, stateChangeAt: undefined },
      T0,
      { action: 'wait', until: T0 + 300_000 },
    ],
    [
      'failed with Restart=no: it simply ended',
      { ...gaveUp, result: 'exit-code', restart: 'no' },
      T0 + 400_000,
      { action: 'none' },
    ],
    [
      'running stableAfter after restarts: reset the counters',
      unit({ nRestarts: 3, execMainStartAt: T0 }),
      T0 + 30_000,
      { action: 'reset-counters' },
    ],
    ['running, not stable yet', unit({ nRestarts: 3, execMainStartAt: T0 }), T0 + 29_999, { action: 'none' }],
    ['running, no restarts to forget', unit({ execMainStartAt: T0 }), T0 + 60_000, { action: 'none' }],
    [
      'in auto-restart: systemd is on it',
      unit({ activeState: 'activating', subState: 'auto-restart', nRestarts: 2, mainPid: 0 }),
      T0,
      { action: 'none' },
    ],
    ['stopped', unit({ activeState: 'inactive', subState: 'dead', mainPid: 0 }), T0, { action: 'none' }],
  ] as const)('%s', (_, snap, now, expected) => {
    expect(planRecovery(snap, policy, now)).toMatchObject(expected);
  });

  it('policy never: nothing, even for a unit systemd gave up on', () => {
    expect(planRecovery(gaveUp, { ...policy, policy: 'never' }, T0 + 1e9)).toEqual({ action: 'none' });
  });

  it('says why, for the log', () => {
    expect(planRecovery(gaveUp, policy, T0 + 300_000)).toEqual({
      action: 'restart',
      reason: 'FATAL (start-limit-hit) for 300s, cool-down of 300s over',
    });
  });
});
