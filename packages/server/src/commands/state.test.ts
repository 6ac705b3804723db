import { describe, expect, it } from 'vitest';
import { type CommandEvent, type CommandState, effectiveState, transition } from './state.ts';

const now = new Date('2026-01-01T12:00:00Z');
const later = new Date('2026-01-01T12:05:00Z');
const earlier = new Date('2026-01-01T11:55:00Z');

describe('command state machine', () => {
  const table: [CommandState, Date, CommandEvent, CommandState | 'refused', boolean?][] = [
    ['queued', later, { type: 'deliver' }, 'delivered', true],
    ['delivered', later, { type: 'deliver' }, 'delivered', false],
    ['running', later, { type: 'deliver' }, 'running', false],
    ['queued', later, { type: 'output' }, 'running', true],
    ['delivered', later, { type: 'output' }, 'running', true],
    ['running', later, { type: 'output' }, 'running', false],
    ['delivered', later, { type: 'result', ok: true }, 'succeeded', true],
    ['running', later, { type: 'result', ok: false }, 'failed', true],
    ['queued', later, { type: 'cancel' }, 'cancelled', true],
    ['running', later, { type: 'cancel' }, 'cancelled', true],
    // The same result again (its answer was lost) is accepted and changes nothing.
    ['succeeded', later, { type: 'result', ok: true }, 'succeeded', false],
    ['failed', later, { type: 'result', ok: false }, 'failed', false],
    // A different result for a finished command is not.
    ['succeeded', later, { type: 'result', ok: false }, 'refused'],
    ['succeeded', later, { type: 'cancel' }, 'refused'],
    ['succeeded', later, { type: 'output' }, 'refused'],
    ['cancelled', later, { type: 'deliver' }, 'refused'],
    ['cancelled', later, { type: 'result', ok: true }, 'refused'],
    ['cancelled', later, { type: 'output' }, 'refused'],
    // Past its deadline an open command is expired, whatever comes.
    ['queued', earlier, { type: 'deliver' }, 'refused'],
    ['running', earlier, { type: 'result', ok: true }, 'refused'],
    ['delivered', earlier, { type: 'output' }, 'refused'],
    ['running', earlier, { type: 'cancel' }, 'refused'],
    ['queued', earlier, { type: 'expire' }, 'expired', true],
    ['running', earlier, { type: 'expire' }, 'expired', true],
    ['expired', earlier, { type: 'expire' }, 'expired', false],
    ['queued', later, { type: 'expire' }, 'refused'],
    // A finished command keeps its outcome after the deadline.
    ['succeeded', earlier, { type: 'expire' }, 'refused'],
  ];
  it.each(table)('%s (deadline %s) + %o → %s', (from, deadline, event, to, changed) => {
    const t = transition(from, deadline, now, event);
    if (to === 'refused') {
      expect(t.ok).toBe(false);
      if (!t.ok) expect(t.reason).toMatch(/the command is|deadline/);
    } else expect(t).toEqual({ ok: true, state: to, changed });
  });

  it.each([
    ['queued', later, 'queued'],
    ['running', later, 'running'],
    ['queued', now, 'expired'],
    ['delivered', earlier, 'expired'],
    ['succeeded', earlier, 'succeeded'],
    ['cancelled', earlier, 'cancelled'],
  ] as const)('%s with deadline %s reads as %s', (state, deadline, seen) => {
    expect(effectiveState(state, deadline, now)).toBe(seen);
  });
});
